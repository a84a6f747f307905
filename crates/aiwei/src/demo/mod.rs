//! `aiwei demo`: fills an empty database with a believable demo organisation
//! so the system can be shown and tried without real data.
//!
//! It creates the departments of a district 爱卫办, one staff account per role
//! (with random passwords the caller prints once), and a few thousand matters
//! (calls and visits) spread over recent months. Every matter goes through the
//! same intake rules and store call as a real one. Everything about the
//! matters comes from a seeded RNG, so the same seed and clock give the same
//! data set; passwords never do.
//!
//! All names, phone numbers and addresses are invented.
//!
//! This module is the driver: it writes the organisation, records what
//! `planner` decided and moves the matters along their flows. The sample
//! texts live in `texts.toml`, read by `texts`.

mod history;
mod planner;
mod texts;

use std::fmt;

use aiwei_core::access;
use aiwei_core::handling::ActionRequest;
use aiwei_core::{
    DepartmentCode, MatterStatus, MatterType, ReplyChannel, Role, Satisfaction, Username,
};
use aiwei_store::Store;
use aiwei_store::matters::{IntakeContext, LedgerFilter, Matter};
use aiwei_store::users::{NewUser, User};
use anyhow::{Context, bail};
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::distributions::Alphanumeric;

use texts::Texts;

/// What to generate.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// How many matters go through the real flows.
    pub matters: u32,
    /// Matters are spread over the last this many days.
    pub days: u32,
    /// How many closed matters to copy into the years before them
    /// ([`history`]): the city-scale data set.
    pub history: u64,
    /// The copies are spread over this many years.
    pub years: u32,
    /// Seed of everything about the matters (not the passwords).
    pub seed: u64,
    /// Matter number prefix, e.g. `AW`.
    pub prefix: String,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            matters: 3_000,
            days: 120,
            history: 0,
            years: 3,
            seed: 2026,
            prefix: "AW".to_owned(),
        }
    }
}

/// A demo account and its one-time password.
#[derive(Clone)]
pub struct DemoAccount {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub department: Option<String>,
    pub password: String,
}

/// Never prints the password.
impl fmt::Debug for DemoAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DemoAccount")
            .field("username", &self.username)
            .field("roles", &self.roles)
            .field("department", &self.department)
            .finish_non_exhaustive()
    }
}

/// What [`seed`] created.
#[derive(Debug, Clone)]
pub struct DemoReport {
    pub accounts: Vec<DemoAccount>,
    pub departments: usize,
    pub matters: u32,
    /// The copies written, when history was asked for.
    pub history: Option<history::HistoryReport>,
}

/// Creates the demo organisation and its matters. Refuses a database that
/// already holds matters or any of the demo departments or accounts.
pub async fn seed(
    store: &Store,
    opts: &DemoOptions,
    hash_password: &(dyn Fn(&str) -> anyhow::Result<String> + Sync),
    now: DateTime<Utc>,
) -> anyhow::Result<DemoReport> {
    if !aiwei_core::ids::valid_prefix(&opts.prefix) {
        bail!("the matter number prefix must be 1 to 8 capital ASCII letters");
    }
    let texts = texts::load()?;
    ensure_empty(store, &texts).await?;

    for d in &texts.departments {
        let code = DepartmentCode::parse(&d.code)?;
        store
            .add_department(&code, &d.name)
            .await
            .with_context(|| format!("creating department {code}"))?;
    }
    for r in &texts.routing {
        store
            .set_routing(&r.category, Some(&r.lead), &r.co, None, now)
            .await
            .with_context(|| format!("routing of {}", r.category))?;
    }

    let mut accounts = Vec::with_capacity(texts.accounts.len());
    let mut clerks = Vec::new();
    for spec in &texts.accounts {
        let password = random_password();
        let new = NewUser {
            username: Username::parse(&spec.username)?,
            display_name: spec.display_name.clone(),
            password_hash: hash_password(&password)?,
            roles: vec![spec.role],
            departments: spec
                .department
                .as_deref()
                .map(DepartmentCode::parse)
                .transpose()?
                .into_iter()
                .collect(),
        };
        let user = store
            .add_user(&new)
            .await
            .with_context(|| format!("creating user {}", spec.username))?;
        if user.has(Role::Intake) {
            clerks.push(user);
        }
        accounts.push(DemoAccount {
            username: spec.username.clone(),
            display_name: spec.display_name.clone(),
            roles: vec![spec.role],
            department: spec.department.clone(),
            password,
        });
    }
    tracing::info!(
        departments = texts.departments.len(),
        accounts = accounts.len(),
        "demo organisation created"
    );

    let categories = store.list_categories().await?;
    let plan = planner::plan_matters(opts, &texts, &categories, now);
    let crew = Crew::load(store).await?;
    let articles = knowledge_base(
        store,
        &texts,
        &crew,
        now - Duration::days(i64::from(opts.days) + 10),
        now,
    )
    .await?;
    let held = held_open(&plan);
    let mut recorded = 0u32;
    for (i, planned) in plan.iter().enumerate() {
        let clerk = clerks
            .get(planned.clerk)
            .or_else(|| clerks.first())
            .context("the demo has no intake account")?;
        let mut request = planned.request.clone();
        // Three in four of the consultations an article answers are
        // answered from it, in its words.
        if request.answer.is_some() && !recorded.is_multiple_of(4) {
            let content = request.content.as_deref().unwrap_or_default();
            if let Some((from, answer)) = articles
                .iter()
                .find(|(needle, ..)| content.contains(needle.as_str()))
                .map(|(_, from, answer)| (*from, answer.clone()))
            {
                request.answered_from = Some(from);
                request.answer = Some(answer);
            }
        }
        let matter = request
            .validate(planned.at)
            .context("a generated demo matter failed the intake rules")?;
        let ctx = IntakeContext {
            actor: clerk,
            prefix: &opts.prefix,
            now: planned.at,
        };
        let m = store.record_intake(&matter, &ctx).await?;
        progress(store, &m, clerk, &crew, now, held.contains(&i)).await?;
        recorded += 1;
        if recorded.is_multiple_of(500) {
            tracing::info!(matters = recorded, "demo matters recorded");
        }
    }
    disclosure_examples(store, &crew, now).await?;
    training_examples(store, &crew, now).await?;
    telephone_examples(store, now).await?;
    tracing::info!(matters = recorded, "demo matters complete");
    let history = if opts.history > 0 {
        let report = history::write(
            store,
            &texts,
            opts.history,
            opts.years,
            opts.seed,
            &opts.prefix,
        )
        .await?;
        tracing::info!(copies = report.copies, "demo history complete");
        Some(report)
    } else {
        None
    };

    Ok(DemoReport {
        accounts,
        departments: texts.departments.len(),
        matters: recorded,
        history,
    })
}

/// The plan indices of the two newest ordinary complaints for 环境卫生科,
/// which stay dispatched and unsigned however old they are, so the
/// disclosure examples always find open matters to use, whatever the hour
/// the demo is built at.
fn held_open(plan: &[planner::Planned]) -> Vec<usize> {
    plan.iter()
        .enumerate()
        .rev()
        .filter(|(_, p)| {
            let r = &p.request;
            !r.sensitive
                && r.matter_type
                    .as_deref()
                    .map(MatterType::parse)
                    .is_some_and(|t| t.ok() == Some(MatterType::Complaint))
                && !r.category.as_deref().is_some_and(is_vector_control)
        })
        .map(|(i, _)| i)
        .take(2)
        .collect()
}

/// Vector-control categories go to 病媒防制科, the rest to 环境卫生科.
fn is_vector_control(category: &str) -> bool {
    category.starts_with("vector")
}

/// Writes the knowledge base, as a department proposes and a supervisor
/// publishes; returns, for each article that answers consultations, the
/// text that marks them, its version in force and its answer.
async fn knowledge_base(
    store: &Store,
    texts: &Texts,
    crew: &Crew,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<(String, aiwei_core::knowledge::AnsweredFrom, String)>> {
    use aiwei_core::knowledge::{AnsweredFrom, ArticleInput};
    use aiwei_store::trail::AuditActor;
    let publishers = aiwei_core::knowledge::default_publishers();
    let author = crew.hjws.actor();
    let publisher = crew.supervisor.actor();
    let by = AuditActor::cli();
    let mut answering = Vec::new();
    for a in &texts.articles {
        let input = ArticleInput {
            kind: Some(a.kind.as_str().to_owned()),
            title: Some(a.title.clone()),
            category: a.category.clone(),
            tags: a.tags.clone(),
            source: a.source.clone(),
            doc_number: a.doc_number.clone(),
            effective_from: a.effective_from,
            expires_on: a.expires_on,
            full_text: a.full_text.clone(),
            answer: Some(a.answer.clone()),
            note: None,
            base_version: None,
        };
        let (content, _) = input
            .validate()
            .map_err(|e| anyhow::anyhow!("demo article {}: {e}", a.title))?;
        let id = store
            .create_article(&author, &publishers, &content, None, &by, at)
            .await?;
        store
            .publish_article(&publisher, &publishers, id, 1, &by, at)
            .await?;
        if let Some(new_answer) = &a.proposed_answer {
            let mut edited = content.clone();
            edited.answer = new_answer.clone();
            store
                .propose_article(
                    &author,
                    &publishers,
                    id,
                    Some(1),
                    &edited,
                    Some("按新的防蚊指引调整换水频次"),
                    &by,
                    now - Duration::days(2),
                )
                .await?;
        }
        if a.retired {
            store
                .retire_article(&publisher, &publishers, id, "已被新条例替代", &by, at)
                .await?;
        }
        if let Some(needle) = &a.answers {
            answering.push((
                needle.clone(),
                AnsweredFrom {
                    article: id,
                    version: 1,
                },
                a.answer.clone(),
            ));
        }
    }
    Ok(answering)
}

/// The staff who move demo matters along their flows.
/// `texts.toml` must keep these accounts.
struct Crew {
    hjws: User,
    bmfz: User,
    leader: User,
    supervisor: User,
}

impl Crew {
    async fn load(store: &Store) -> anyhow::Result<Self> {
        let get = |name: &'static str| async move {
            store
                .user_by_name(&Username::parse(name)?)
                .await
                .with_context(|| format!("demo account {name}"))
        };
        Ok(Self {
            hjws: get("jingban").await?,
            bmfz: get("jingban2").await?,
            leader: get("lingdao").await?,
            supervisor: get("duban").await?,
        })
    }
}

/// The clerks seated at extensions 8001 and 8002, and this morning's
/// calls the exchange reported: answered ones, and missed ones on the
/// call-back list, one of them already called back.
async fn telephone_examples(store: &Store, now: DateTime<Utc>) -> anyhow::Result<()> {
    use aiwei_core::telephony::{CallEventKind as E, CallEventRequest, CallbackOutcome};
    let by = aiwei_store::trail::AuditActor::cli();
    let mut seated = Vec::new();
    for (name, ext) in [("jieting", "8001"), ("jieting2", "8002")] {
        let u = store.user_by_name(&Username::parse(name)?).await?;
        store
            .set_extension_audited(u.id, Some(ext), &by, now)
            .await?;
        seated.push(u.id);
    }
    // (call id, caller, extension, minutes ago, seconds ringing, answered)
    let calls = [
        ("demo-0001", "13912345601", "8001", 95, 6, true),
        ("demo-0002", "13812345602", "8002", 80, 14, true),
        ("demo-0003", "02587654321", "8001", 62, 30, false),
        ("demo-0004", "13612345604", "8002", 41, 25, false),
        ("demo-0005", "13512345605", "8001", 18, 30, false),
    ];
    for (id, caller, ext, ago, ring, answered) in calls {
        let rang = now - chrono::Duration::minutes(ago);
        let event = |kind: E, at: DateTime<Utc>, with_caller: bool| CallEventRequest {
            event: kind.as_str().into(),
            call_id: id.into(),
            caller: with_caller.then(|| caller.into()),
            extension: with_caller.then(|| ext.into()),
            at: Some(at),
        };
        let mut events = vec![event(E::Ringing, rang, true)];
        let end = rang + chrono::Duration::seconds(ring);
        if answered {
            events.push(event(E::Answered, end, false));
            events.push(event(E::Ended, end + chrono::Duration::minutes(4), false));
        } else {
            events.push(event(E::Ended, end, false));
        }
        for e in events {
            let ev = e
                .parse(now)
                .map_err(|e| anyhow::anyhow!("a demo call event failed its rules: {e:?}"))?;
            store.record_call_event(&ev, now).await?;
        }
    }
    let worked = store.call_by_exchange_id("demo-0003").await?;
    store
        .work_callback(
            worked.id,
            CallbackOutcome::Reached,
            Some("已回拨，来电人询问灭鼠药发放时间，已答复"),
            seated[0],
            now - chrono::Duration::minutes(50),
        )
        .await?;
    Ok(())
}

/// A year of training: sessions on the regulation's topics, most
/// staff present with their scores, one clerk who missed the recent ones
/// (so the page shows someone due), and one session planned ahead.
async fn training_examples(store: &Store, crew: &Crew, now: DateTime<Utc>) -> anyhow::Result<()> {
    use aiwei_core::training::{Attendance, SessionRequest, TrainingTopic};
    let today = now.with_timezone(&aiwei_core::time::china()).date_naive();
    let staff: Vec<User> = store
        .list_users()
        .await?
        .into_iter()
        .filter(|u| u.active && !u.roles.contains(&aiwei_core::Role::Admin))
        .filter(|u| !u.roles.contains(&aiwei_core::Role::Auditor))
        .collect();
    let sessions = [
        (
            250,
            TrainingTopic::Law,
            "《爱国卫生工作条例》与本单位来电来访制度",
            "市爱卫办 周主任",
            3.0,
        ),
        (
            150,
            TrainingTopic::Policy,
            "国家卫生城市标准与病媒生物控制水平评价",
            "疾控中心 何老师",
            2.0,
        ),
        (
            60,
            TrainingTopic::Communication,
            "来电接听礼仪与投诉沟通技巧",
            "12345热线 培训组",
            2.0,
        ),
        (
            20,
            TrainingTopic::Emergency,
            "登革热等媒介传染病疫情的应急处置流程",
            "疾控中心 何老师",
            1.5,
        ),
        (
            -10,
            TrainingTopic::Business,
            "新版知识库答复口径与并单规则",
            "孙丽",
            1.0,
        ),
    ];
    for (k, (days_ago, topic, title, trainer, hours)) in sessions.into_iter().enumerate() {
        let held_on = today - chrono::Duration::days(days_ago);
        let held = days_ago > 0;
        let attendees = staff
            .iter()
            .enumerate()
            .map(|(i, u)| {
                // The second clerk missed the last two sessions held.
                let missed = u.username.as_str() == "jieting2" && k >= 2;
                let attended = held && !missed;
                Attendance {
                    user: u.id,
                    attended,
                    score: attended.then(|| 78.0 + ((i * 7 + k * 5) % 21) as f64),
                }
            })
            .collect();
        let req = SessionRequest {
            held_on,
            topic,
            title: title.into(),
            trainer: trainer.into(),
            hours: Some(hours),
            notes: None,
            attendees,
        };
        let s = req
            .validate(today)
            .map_err(|e| anyhow::anyhow!("a demo training session failed its rules: {e:?}"))?;
        store.add_session(&s, crew.supervisor.id, now).await?;
    }
    Ok(())
}

/// Two disclosures of caller data on open matters of 环境卫生科, so
/// the demo shows the flow: one waiting for the supervisor, one approved
/// and waiting for its recipient's signature.
async fn disclosure_examples(store: &Store, crew: &Crew, now: DateTime<Utc>) -> anyhow::Result<()> {
    use aiwei_store::disclosures::NewDisclosure;
    use aiwei_store::trail::AuditActor;
    let (recent, _) = store
        .ledger(&LedgerFilter::default(), &access::EVERYTHING, None, 500)
        .await?;
    let mut open = recent.into_iter().filter(|m| {
        !m.sensitive
            && m.lead_department.as_deref() == Some("HJWS")
            && matches!(
                m.status,
                MatterStatus::Dispatched
                    | MatterStatus::Signed
                    | MatterStatus::OnSite
                    | MatterStatus::Rectifying
            )
    });
    fn actor(u: &User) -> AuditActor<'_> {
        AuditActor {
            user: Some(u.id),
            name: Some(&u.username),
            ip: None,
            cli: true,
        }
    }
    let asks = [
        (&crew.hjws, "现场核查需与来电人约定上门时间", false),
        (
            &crew.leader,
            "领导小组督导时需回访核实来电人反映的情况",
            true,
        ),
    ];
    for (who, purpose, approve) in asks {
        let Some(m) = open.next() else {
            return Ok(());
        };
        let new = NewDisclosure {
            matter: m.id,
            recipient: who.id,
            purpose: purpose.to_owned(),
            fields: vec![
                aiwei_core::DisclosedField::Phone,
                aiwei_core::DisclosedField::Name,
            ],
        };
        let d = store
            .request_disclosure(&new, &actor(who), now - Duration::hours(2))
            .await?;
        if approve {
            store
                .decide_disclosure(
                    d.id,
                    true,
                    "同意，限本次回访核实使用",
                    Duration::days(7),
                    &crew.supervisor.actor(),
                    &actor(&crew.supervisor),
                    now - Duration::hours(1),
                )
                .await?;
        }
    }
    Ok(())
}

/// Takes one flow step at `at` as `actor`.
async fn step(
    store: &Store,
    m: &Matter,
    actor: &User,
    at: DateTime<Utc>,
    req: ActionRequest,
) -> anyhow::Result<()> {
    let s = req
        .validate(at)
        .map_err(|e| anyhow::anyhow!("demo step refused: {e}"))?;
    store.apply_step(m.id, actor, &s, at).await?;
    Ok(())
}

fn said(text: &str) -> String {
    text.to_owned()
}

/// Moves a recorded matter along its flow as the office would have by
/// `now`: older complaints dispatched, handled, fed back and revisited
/// (one in ten redone), suggestions decided, pending consultations
/// answered. Recent matters stay in progress, so the queues, the clocks and
/// the supervision board all have something real to show.
async fn progress(
    store: &Store,
    m: &Matter,
    clerk: &User,
    crew: &Crew,
    now: DateTime<Utc>,
    hold: bool,
) -> anyhow::Result<()> {
    use ActionRequest as A;
    if m.status != MatterStatus::Received {
        return Ok(());
    }
    let t0 = m.received_at;
    let age = now - t0;
    let h = |hours: i64| t0 + Duration::hours(hours);
    // A stable spread of outcomes without another random stream.
    let k = m
        .number
        .bytes()
        .fold(0u32, |a, b| a.wrapping_mul(31).wrapping_add(u32::from(b)))
        % 10;
    match m.matter_type {
        MatterType::Complaint => {
            if age < Duration::hours(4) && k < 5 && !hold {
                return Ok(());
            }
            let (lead, handler) = match m.category.as_deref() {
                Some(c) if is_vector_control(c) => ("BMFZ", &crew.bmfz),
                _ => ("HJWS", &crew.hjws),
            };
            let dispatch = A::Dispatch {
                lead: said(lead),
                co: Vec::new(),
                note: None,
            };
            step(store, m, clerk, t0 + Duration::minutes(20), dispatch).await?;
            if hold || age < Duration::hours(30) {
                return Ok(());
            }
            step(store, m, handler, h(1), A::SignFor { note: None }).await?;
            let arrive = A::Arrive {
                arrived_at: h(5),
                who: handler.display_name.clone(),
                findings: said("经现场核查，反映情况属实。"),
            };
            step(store, m, handler, h(5), arrive).await?;
            if age < Duration::days(4) {
                return Ok(());
            }
            let mut round = 0;
            loop {
                let base = h(6 + round * 72);
                let plan = A::Plan {
                    measures: said("责令相关单位限期整改，安排人员清理并加强日常巡查。"),
                    planned_completion: base + Duration::days(2),
                };
                step(store, m, handler, base, plan).await?;
                let progress = A::ReportProgress {
                    text: said("已完成大部分清理工作。"),
                };
                step(store, m, handler, base + Duration::days(1), progress).await?;
                let complete = A::Complete {
                    result: said("已整改完毕，现场恢复整洁。"),
                };
                step(store, m, handler, base + Duration::hours(40), complete).await?;
                let feedback = A::Feedback {
                    channel: ReplyChannel::Phone,
                    content: said("已电话告知来电人处理情况、整改措施和结果。"),
                };
                step(store, m, clerk, base + Duration::hours(44), feedback).await?;
                let at = base + Duration::hours(50);
                if round == 0 && k == 7 && age > Duration::days(9) {
                    let revisit = A::Revisit {
                        satisfaction: Satisfaction::Dissatisfied,
                        words: Some(said("过两天又出现了")),
                        cause: Some(said("整改不彻底，问题反复")),
                    };
                    step(store, m, clerk, at, revisit).await?;
                    let sign = A::SignFor { note: None };
                    step(store, m, handler, at + Duration::hours(1), sign).await?;
                    let arrive = A::Arrive {
                        arrived_at: at + Duration::hours(3),
                        who: handler.display_name.clone(),
                        findings: said("复查发现问题仍存在。"),
                    };
                    step(store, m, handler, at + Duration::hours(3), arrive).await?;
                    round += 1;
                    continue;
                }
                let satisfaction = if k == 3 {
                    Satisfaction::FairlySatisfied
                } else {
                    Satisfaction::Satisfied
                };
                let revisit = A::Revisit {
                    satisfaction,
                    words: Some(said("处理及时，谢谢。")),
                    cause: None,
                };
                step(store, m, clerk, at, revisit).await?;
                return Ok(());
            }
        }
        MatterType::Suggestion if age > Duration::days(5) => {
            step(store, m, clerk, h(1), A::Submit { note: None }).await?;
            let adopted = k < 7;
            let opinion = if adopted {
                "建议可行，予以采纳。"
            } else {
                "目前条件不具备，暂不采纳。"
            };
            let evaluate = A::Evaluate {
                adopted,
                opinion: said(opinion),
            };
            step(store, m, &crew.leader, h(72), evaluate).await?;
            if adopted {
                if age < Duration::days(12) {
                    return Ok(());
                }
                let done = A::Implemented {
                    result: said("已组织实施。"),
                };
                step(store, m, &crew.leader, h(240), done).await?;
            }
            let tell = A::Tell {
                channel: ReplyChannel::Phone,
                content: said("已告知建议人评估结果。"),
            };
            step(store, m, clerk, h(if adopted { 250 } else { 80 }), tell).await?;
        }
        MatterType::Consultation if age > Duration::days(2) => {
            if k < 3 {
                let coordinate = A::Coordinate {
                    departments: vec![said("HJWS")],
                    question: Some(said("请提供相关标准依据。")),
                };
                step(store, m, clerk, t0 + Duration::minutes(30), coordinate).await?;
                let input = A::ProvideInput {
                    text: said("依据相关卫生标准答复。"),
                };
                step(store, m, &crew.hjws, h(20), input).await?;
            }
            let reply = A::Reply {
                channel: ReplyChannel::Phone,
                answer: said("已按政策规定答复来电人。"),
            };
            step(store, m, clerk, h(26), reply).await?;
        }
        MatterType::Other if age > Duration::days(2) => {
            let result = A::RecordResult {
                result: said("已按规定办理。"),
            };
            step(store, m, clerk, h(1), result).await?;
            let feedback = A::Feedback {
                channel: ReplyChannel::Phone,
                content: said("已告知办理结果。"),
            };
            step(store, m, clerk, h(2), feedback).await?;
        }
        _ => {}
    }
    Ok(())
}

async fn ensure_empty(store: &Store, texts: &Texts) -> anyhow::Result<()> {
    let (matters, _) = store
        .ledger(&LedgerFilter::default(), &access::EVERYTHING, None, 1)
        .await?;
    if !matters.is_empty() {
        bail!("the database already holds matters; the demo needs an empty database");
    }
    let departments = store.list_departments().await?;
    if let Some(d) = departments
        .iter()
        .find(|d| texts.departments.iter().any(|x| x.code == d.code))
    {
        bail!(
            "department {} already exists; the demo needs an empty database",
            d.code
        );
    }
    let users = store.list_users().await?;
    if let Some(u) = users
        .iter()
        .find(|u| texts.accounts.iter().any(|a| a.username == u.username))
    {
        bail!(
            "user {} already exists; the demo needs an empty database",
            u.username
        );
    }
    Ok(())
}

const PASSWORD_LEN: usize = 12;

/// A fresh password from the OS-seeded thread RNG, never the demo seed.
fn random_password() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(PASSWORD_LEN)
        .map(char::from)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_twelve_alphanumerics() {
        let p = random_password();
        assert_eq!(p.len(), PASSWORD_LEN);
        assert!(p.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(p, random_password());
    }

    /// The flows act as these accounts and dispatch to these departments.
    #[test]
    fn the_texts_hold_the_crew_and_the_departments_the_flows_use() {
        let texts = texts::load().unwrap();
        for name in ["jingban", "jingban2", "lingdao", "duban"] {
            assert!(texts.accounts.iter().any(|a| a.username == name), "{name}");
        }
        for code in ["HJWS", "BMFZ"] {
            assert!(texts.departments.iter().any(|d| d.code == code), "{code}");
        }
        let clerks = texts.accounts.iter().filter(|a| a.role == Role::Intake);
        assert_eq!(
            clerks.count(),
            2,
            "the plan spreads matters over two clerks"
        );
        for d in &texts.departments {
            DepartmentCode::parse(&d.code).unwrap();
        }
        for a in &texts.accounts {
            Username::parse(&a.username).unwrap();
        }
    }
}
