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

mod planner;
mod texts;

use std::fmt;

use aiwei_core::access;
use aiwei_core::handling::ActionRequest;
use aiwei_core::{DepartmentCode, MatterStatus, MatterType, Role, Username};
use aiwei_store::Store;
use aiwei_store::matters::{IntakeContext, LedgerFilter, Matter};
use aiwei_store::users::{NewUser, User};
use anyhow::{Context, bail};
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::distributions::Alphanumeric;
use serde_json::json;

use texts::Texts;

/// What to generate.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// How many matters.
    pub matters: u32,
    /// Matters are spread over the last this many days.
    pub days: u32,
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
    let mut recorded = 0u32;
    for planned in &plan {
        let clerk = clerks
            .get(planned.clerk)
            .or_else(|| clerks.first())
            .context("the demo has no intake account")?;
        let matter = planned
            .request
            .validate(planned.at)
            .context("a generated demo matter failed the intake rules")?;
        let ctx = IntakeContext {
            actor: clerk,
            prefix: &opts.prefix,
            now: planned.at,
        };
        let m = store.record_intake(&matter, &ctx).await?;
        progress(store, &m, clerk, &crew, now).await?;
        recorded += 1;
        if recorded.is_multiple_of(500) {
            tracing::info!(matters = recorded, "demo matters recorded");
        }
    }
    disclosure_examples(store, &crew, now).await?;
    tracing::info!(matters = recorded, "demo data complete");

    Ok(DemoReport {
        accounts,
        departments: texts.departments.len(),
        matters: recorded,
    })
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
    body: serde_json::Value,
) -> anyhow::Result<()> {
    let req: ActionRequest = serde_json::from_value(body)?;
    let s = req
        .validate(at)
        .map_err(|e| anyhow::anyhow!("demo step refused: {e}"))?;
    store.apply_step(m.id, actor, &s, at).await?;
    Ok(())
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
) -> anyhow::Result<()> {
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
            if age < Duration::hours(4) && k < 5 {
                return Ok(());
            }
            let (lead, handler) = match m.category.as_deref() {
                Some(c) if c.starts_with("vector") => ("BMFZ", &crew.bmfz),
                _ => ("HJWS", &crew.hjws),
            };
            step(
                store,
                m,
                clerk,
                t0 + Duration::minutes(20),
                json!({"action": "dispatch", "lead": lead}),
            )
            .await?;
            if age < Duration::hours(30) {
                return Ok(());
            }
            step(store, m, handler, h(1), json!({"action": "sign_for"})).await?;
            step(store, m, handler, h(5), json!({"action": "arrive", "arrived_at": h(5), "who": handler.display_name, "findings": "经现场核查，反映情况属实。"})).await?;
            if age < Duration::days(4) {
                return Ok(());
            }
            let mut round = 0;
            loop {
                let base = h(6 + round * 72);
                step(store, m, handler, base, json!({"action": "plan", "measures": "责令相关单位限期整改，安排人员清理并加强日常巡查。", "planned_completion": base + Duration::days(2)})).await?;
                step(
                    store,
                    m,
                    handler,
                    base + Duration::days(1),
                    json!({"action": "report_progress", "text": "已完成大部分清理工作。"}),
                )
                .await?;
                step(
                    store,
                    m,
                    handler,
                    base + Duration::hours(40),
                    json!({"action": "complete", "result": "已整改完毕，现场恢复整洁。"}),
                )
                .await?;
                step(store, m, clerk, base + Duration::hours(44), json!({"action": "feedback", "channel": "phone", "content": "已电话告知来电人处理情况、整改措施和结果。"})).await?;
                let at = base + Duration::hours(50);
                if round == 0 && k == 7 && age > Duration::days(9) {
                    step(store, m, clerk, at, json!({"action": "revisit", "satisfaction": "dissatisfied", "words": "过两天又出现了", "cause": "整改不彻底，问题反复"})).await?;
                    step(
                        store,
                        m,
                        handler,
                        at + Duration::hours(1),
                        json!({"action": "sign_for"}),
                    )
                    .await?;
                    step(store, m, handler, at + Duration::hours(3), json!({"action": "arrive", "arrived_at": at + Duration::hours(3), "who": handler.display_name, "findings": "复查发现问题仍存在。"})).await?;
                    round += 1;
                    continue;
                }
                let satisfaction = if k == 3 {
                    "fairly_satisfied"
                } else {
                    "satisfied"
                };
                step(store, m, clerk, at, json!({"action": "revisit", "satisfaction": satisfaction, "words": "处理及时，谢谢。"})).await?;
                return Ok(());
            }
        }
        MatterType::Suggestion if age > Duration::days(5) => {
            step(store, m, clerk, h(1), json!({"action": "submit"})).await?;
            let adopted = k < 7;
            step(store, m, &crew.leader, h(72), json!({"action": "evaluate", "adopted": adopted, "opinion": if adopted { "建议可行，予以采纳。" } else { "目前条件不具备，暂不采纳。" }})).await?;
            if adopted {
                if age < Duration::days(12) {
                    return Ok(());
                }
                step(
                    store,
                    m,
                    &crew.leader,
                    h(240),
                    json!({"action": "implemented", "result": "已组织实施。"}),
                )
                .await?;
            }
            step(
                store,
                m,
                clerk,
                h(if adopted { 250 } else { 80 }),
                json!({"action": "tell", "channel": "phone", "content": "已告知建议人评估结果。"}),
            )
            .await?;
        }
        MatterType::Consultation if age > Duration::days(2) => {
            if k < 3 {
                step(store, m, clerk, t0 + Duration::minutes(30), json!({"action": "coordinate", "departments": ["HJWS"], "question": "请提供相关标准依据。"})).await?;
                step(
                    store,
                    m,
                    &crew.hjws,
                    h(20),
                    json!({"action": "provide_input", "text": "依据相关卫生标准答复。"}),
                )
                .await?;
            }
            step(store, m, clerk, h(26), json!({"action": "reply", "channel": "phone", "answer": "已按政策规定答复来电人。"})).await?;
        }
        MatterType::Other if age > Duration::days(2) => {
            step(
                store,
                m,
                clerk,
                h(1),
                json!({"action": "record_result", "result": "已按规定办理。"}),
            )
            .await?;
            step(
                store,
                m,
                clerk,
                h(2),
                json!({"action": "feedback", "channel": "phone", "content": "已告知办理结果。"}),
            )
            .await?;
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
