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

use std::fmt;

use aiwei_core::access;
use aiwei_core::handling::ActionRequest;
use aiwei_core::intake::{CallerInput, IntakeRequest, LocationInput};
use aiwei_core::time::china;
use aiwei_core::{Channel, DepartmentCode, MatterStatus, MatterType, Role, Username};
use aiwei_store::Store;
use aiwei_store::categories::Category;
use aiwei_store::matters::{IntakeContext, LedgerFilter, Matter};
use aiwei_store::users::{NewUser, User};
use anyhow::{Context, bail};
use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, TimeZone, Timelike, Utc, Weekday};
use rand::distributions::Alphanumeric;
use rand::rngs::StdRng;
use rand::seq::{IteratorRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use serde_json::json;

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
    ensure_empty(store).await?;

    for (code, name) in DEPARTMENTS {
        let code = DepartmentCode::parse(code)?;
        store
            .add_department(&code, name)
            .await
            .with_context(|| format!("creating department {code}"))?;
    }

    let mut accounts = Vec::with_capacity(ACCOUNTS.len());
    let mut clerks = Vec::new();
    for spec in ACCOUNTS {
        let password = random_password();
        let new = NewUser {
            username: Username::parse(spec.username)?,
            display_name: spec.display_name.to_owned(),
            password_hash: hash_password(&password)?,
            roles: vec![spec.role],
            departments: spec
                .department
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
            username: spec.username.to_owned(),
            display_name: spec.display_name.to_owned(),
            roles: vec![spec.role],
            department: spec.department.map(str::to_owned),
            password,
        });
    }
    tracing::info!(
        departments = DEPARTMENTS.len(),
        accounts = accounts.len(),
        "demo organisation created"
    );

    let categories = store.list_categories().await?;
    let plan = plan_matters(opts, &categories, now);
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
        departments: DEPARTMENTS.len(),
        matters: recorded,
    })
}

/// The staff who move demo matters along their flows.
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

async fn ensure_empty(store: &Store) -> anyhow::Result<()> {
    let (matters, _) = store
        .ledger(&LedgerFilter::default(), &access::EVERYTHING, None, 1)
        .await?;
    if !matters.is_empty() {
        bail!("the database already holds matters; the demo needs an empty database");
    }
    let departments = store.list_departments().await?;
    if let Some(d) = departments
        .iter()
        .find(|d| DEPARTMENTS.iter().any(|(code, _)| *code == d.code))
    {
        bail!(
            "department {} already exists; the demo needs an empty database",
            d.code
        );
    }
    let users = store.list_users().await?;
    if let Some(u) = users
        .iter()
        .find(|u| ACCOUNTS.iter().any(|a| a.username == u.username))
    {
        bail!(
            "user {} already exists; the demo needs an empty database",
            u.username
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The organisation
// ---------------------------------------------------------------------------

const DEPARTMENTS: &[(&str, &str)] = &[
    ("AWB", "爱卫办"),
    ("HJWS", "环境卫生科"),
    ("BMFZ", "病媒防制科"),
    ("JKZX", "疾控中心"),
    ("WYGL", "物业管理科"),
    ("SCJG", "市场监管所"),
    ("JDB", "街道办"),
];

struct AccountSpec {
    username: &'static str,
    display_name: &'static str,
    role: Role,
    department: Option<&'static str>,
}

const fn account(
    username: &'static str,
    display_name: &'static str,
    role: Role,
    department: Option<&'static str>,
) -> AccountSpec {
    AccountSpec {
        username,
        display_name,
        role,
        department,
    }
}

/// The intake accounts come first: matters are recorded by them, in order.
const ACCOUNTS: &[AccountSpec] = &[
    account("jieting", "王芳", Role::Intake, Some("AWB")),
    account("jieting2", "李静", Role::Intake, Some("AWB")),
    account("jingban", "张伟", Role::Handler, Some("HJWS")),
    account("jingban2", "刘洋", Role::Handler, Some("BMFZ")),
    account("keshi", "陈明", Role::DeptLead, Some("HJWS")),
    account("lingdao", "赵建国", Role::LeadingGroup, Some("AWB")),
    account("duban", "孙丽", Role::Supervisor, Some("AWB")),
    account("shenji", "周敏", Role::Auditor, None),
    account("admin", "吴磊", Role::Admin, None),
];

const PASSWORD_LEN: usize = 12;

/// A fresh password from the OS-seeded thread RNG, never the demo seed.
fn random_password() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(PASSWORD_LEN)
        .map(char::from)
        .collect()
}

// ---------------------------------------------------------------------------
// Text data: a fictional city's places, and the matter templates
// ---------------------------------------------------------------------------

struct District {
    area_code: &'static str,
    center: (f64, f64),
    streets: &'static str,
    estates: &'static str,
    markets: &'static str,
}

static DISTRICTS: [District; 3] = [
    District {
        area_code: "330102",
        center: (30.255, 120.170),
        streets: "解放路 人民路 中山路 清泰街 定安路 建国路",
        estates: "幸福里小区 阳光花园 清泰新村 金色家园 紫荆公寓",
        markets: "解放路农贸市场 东园菜市场",
    },
    District {
        area_code: "330105",
        center: (30.300, 120.140),
        streets: "建设街 胜利路 湖墅路 文化路 新华街 和平路",
        estates: "和平新村 锦绣华庭 运河花苑 桂花苑 红星小区",
        markets: "建设街农贸市场 城北菜市场",
    },
    District {
        area_code: "330106",
        center: (30.285, 120.120),
        streets: "学院路 文一路 翠苑路 古荡街 青年路 江滨路",
        estates: "翠苑一区 东方名苑 文鼎苑 枫林小区 青山公寓",
        markets: "翠苑农贸市场 古荡菜场",
    },
];

// Word lists are space-separated; see [`word`].
const SHOPS: &str = "老王面馆 川味小厨 好再来快餐店 张记烧烤 福满楼酒家 兰州拉面馆 阿婆馄饨店 鑫鑫麻辣烫 湘味轩 德顺包子铺";
const PLACES: &str = "网吧 KTV 棋牌室 商场 宾馆大堂 汽车站候车室";
const SCHOOLS: &str = "实验小学 育才小学 春晖幼儿园 新华中学 阳光幼儿园";
const COMPANIES: &str = "洁美环境服务有限公司 康源消杀服务有限公司 安居物业服务有限公司 恒信保洁服务有限公司 瑞丰病媒防制有限公司";
const DAYS: &str = "两天 三天 四五天 一个星期 十多天 半个多月";
const FREQ: &str = "两三天 三四天 一个星期 好几天";
const TIMES: &str = "每天晚上 一到傍晚 一大早 中午前后 半夜里";
const ASKS: &[&str] = &[
    "希望相关部门尽快处理。",
    "希望尽快处理并回复处理结果。",
    "之前已经反映过多次，一直没有解决，请督促处理。",
    "请相关部门到现场查看。",
    "要求有关部门加强监管。",
    "请尽快派人处理，处理后回电告知。",
    "周边居民意见很大，希望尽快解决。",
];

/// Which channel a template reads right for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fit {
    Any,
    Phone,
    Visit,
}

impl Fit {
    fn allows(self, channel: Channel) -> bool {
        match self {
            Fit::Any => true,
            Fit::Phone => channel == Channel::Phone,
            Fit::Visit => channel == Channel::Visit,
        }
    }
}

/// A matter text with `{slot}`s filled from a [`Scene`]; the address and
/// answer are filled from the same scene, so they agree with the text.
struct Template {
    ty: MatterType,
    category: &'static str,
    fit: Fit,
    address: Option<&'static str>,
    text: &'static str,
    answer: Option<&'static str>,
    sensitive: bool,
}

const fn complaint(category: &'static str, address: &'static str, text: &'static str) -> Template {
    Template {
        ty: MatterType::Complaint,
        category,
        fit: Fit::Any,
        address: Some(address),
        text,
        answer: None,
        sensitive: false,
    }
}

/// Trade secrets or internal management of a company.
const fn sensitive(category: &'static str, address: &'static str, text: &'static str) -> Template {
    Template {
        sensitive: true,
        ..complaint(category, address, text)
    }
}

const fn consult(
    category: &'static str,
    fit: Fit,
    text: &'static str,
    answer: &'static str,
) -> Template {
    Template {
        ty: MatterType::Consultation,
        category,
        fit,
        address: None,
        text,
        answer: Some(answer),
        sensitive: false,
    }
}

const fn suggest(category: &'static str, text: &'static str) -> Template {
    Template {
        ty: MatterType::Suggestion,
        category,
        fit: Fit::Any,
        address: None,
        text,
        answer: None,
        sensitive: false,
    }
}

const fn other(
    category: &'static str,
    fit: Fit,
    text: &'static str,
    answer: &'static str,
) -> Template {
    Template {
        ty: MatterType::Other,
        ..consult(category, fit, text, answer)
    }
}

#[rustfmt::skip]
const TEMPLATES: &[Template] = &[
    complaint("env.garbage", "{estate}{building}幢", "{who}反映{estate}{building}幢楼下的垃圾桶已经{days}没有清运，垃圾满溢到路面，气味很大。{ask}"),
    complaint("env.garbage", "{street}{no}号附近", "{who}反映{street}{no}号附近有人长期乱堆建筑垃圾和废旧家具，占用人行道，晚上经过很不安全。{ask}"),
    complaint("env.garbage", "{street}", "{who}投诉{street}沿街商铺把垃圾直接堆在路边绿化带里，环卫车{freq}才来一次，清运不及时。{ask}"),
    complaint("env.garbage", "{estate}", "{who}反映{estate}垃圾分类亭周边污水横流，分类桶破损{days}无人更换。{ask}"),
    complaint("env.toilet", "{street}与{street2}交叉口", "{who}反映{street}与{street2}交叉口的公厕卫生状况差，地面湿滑，便池堵塞，异味很重。{ask}"),
    complaint("env.toilet", "{street}街心公园", "{who}反映{street}街心公园内的公厕{days}没有厕纸和洗手液，洗手池水龙头坏了也没人修。{ask}"),
    complaint("env.toilet", "{market}", "{who}称{market}旁的公厕开放时间不固定，{time}经常锁着门，附近摊贩和顾客如厕困难。{ask}"),
    complaint("env.water", "{estate}{building}幢", "{who}反映{estate}{building}幢附近下水道堵塞，雨后积水{days}不退，污水漫到单元门口。{ask}"),
    complaint("env.water", "{street}{no}号", "{who}反映{street}{no}号门前路面坑洼积水发臭，过往车辆经常溅行人一身泥水。{ask}"),
    complaint("env.water", "{street}{no}号", "{who}投诉{street}{no}号一家洗车店污水直排雨水井，路面常年湿滑发黑。{ask}"),
    complaint("env.market", "{market}", "{who}反映{market}水产区地面污水横流，垃圾随地丢弃，下午收摊后也没人冲洗，气味难闻。{ask}"),
    complaint("env.market", "{market}", "{who}反映{market}活禽摊位卫生条件差，禽类粪便随意堆放，担心传播疾病。{ask}"),
    complaint("env.market", "{market}", "{who}称{market}门口占道经营的摊贩很多，烂菜叶和塑料袋堆了一地，市场管理方不管。{ask}"),
    complaint("env.backstreet", "{street}{no}号后巷", "{who}反映{street}{no}号后面的小巷长期无人打扫，墙角堆满杂物和生活垃圾，还有人随地便溺。{ask}"),
    complaint("env.backstreet", "{estate}附近", "{who}反映{estate}附近城中村出租房密集，屋前屋后乱搭乱建，垃圾乱倒，卫生死角很多。{ask}"),
    complaint("vector.mosquito", "{estate}{building}幢", "{who}反映{estate}{building}幢楼下绿化带里有很多积水的废弃容器，蚊子特别多，{time}在家开着灭蚊灯还是被咬。{ask}"),
    complaint("vector.mosquito", "{street}{no}号", "{who}反映{street}{no}号旁边的废弃工地有大量积水，已经能看到孑孓，周边居民晚上不敢开窗。{ask}"),
    complaint("vector.mosquito", "{estate}", "{who}称{estate}内的景观水池{days}没有换水，水面漂着垃圾，蚊虫孳生严重。{ask}"),
    complaint("vector.mosquito", "{street}{school}门口", "{who}反映{street}{school}门口的花坛和废轮胎里有积水，孩子们上下学经常被蚊子叮咬，家长担心登革热。{ask}"),
    complaint("vector.rodent", "{street}{no}号{shop}后巷", "{who}反映{street}{no}号{shop}后巷老鼠成群，{time}能看到老鼠在垃圾桶边窜来窜去，担心污染食品。{ask}"),
    complaint("vector.rodent", "{estate}", "{who}反映{estate}绿化带里有很多鼠洞，最近楼道里也发现了老鼠，有居民家里的电线被咬坏。{ask}"),
    complaint("vector.rodent", "{market}", "{who}称{market}干货区鼠患严重，商户的货物经常被咬，市场的毒饵站很久没有投药了。{ask}"),
    complaint("vector.cockroach", "{estate}{building}幢", "{who}反映所住的{estate}{building}幢是老楼，蟑螂很多，楼道和垃圾管道里到处都是，自己买药效果不好，希望统一组织消杀。"),
    complaint("vector.cockroach", "{street}{no}号{shop}", "{who}反映在{street}{no}号{shop}用餐时看到墙角有蟑螂爬过，怀疑后厨卫生不达标。{ask}"),
    complaint("vector.fly", "{street}{no}号", "{who}反映{street}{no}号附近的垃圾中转站苍蝇成群，周边商铺和住户不敢开门开窗。{ask}"),
    complaint("vector.fly", "{market}", "{who}反映{market}熟食摊位没有防蝇设施，苍蝇直接落在卤菜上。{ask}"),
    complaint("hazard.kitchen", "{street}{no}号{shop}", "{who}反映{street}{no}号{shop}后厨地面油污很厚，员工不戴帽子口罩，生熟食品混放。{ask}"),
    complaint("hazard.kitchen", "{street}{no}号{shop}", "{who}称在{street}{no}号{shop}就餐后出现腹泻，怀疑餐具消毒不到位，要求有关部门检查。"),
    complaint("hazard.kitchen", "{street}{no}号{shop}", "{who}反映{street}{no}号{shop}把泔水桶放在店门口，油水漏到人行道上，天一热就臭气熏天。{ask}"),
    complaint("hazard.water_supply", "{estate}", "{who}反映{estate}二次供水水箱一年多没有清洗消毒，自来水放出来发黄、有沉淀，物业一直推脱。{ask}"),
    complaint("hazard.water_supply", "{estate}{building}幢", "{who}反映{estate}{building}幢水箱清洗公示记录与实际不符，很久没见物业清洗水箱，水有异味。{ask}"),
    complaint("hazard.smoking", "{street}{no}号", "{who}反映{street}{no}号的{place}内经常有人吸烟，工作人员看到也不劝阻，室内烟味很重。{ask}"),
    complaint("hazard.smoking", "{estate}{building}幢", "{who}投诉{estate}{building}幢电梯里经常有人吸烟，烟头随地丢，多次提醒无效，希望加强控烟管理。"),
    complaint("hazard.smoking", "{street}{school}附近", "{who}反映{street}{school}附近的小卖部向未成年人出售香烟，放学后经常有学生在巷子里抽烟。{ask}"),
    complaint("hazard.other", "{street}{no}号", "{who}反映{street}{no}号一家理发店的毛巾、剃刀不消毒，重复使用，担心交叉感染。{ask}"),
    complaint("hazard.other", "{estate}{building}幢", "{who}反映{estate}{building}幢有住户在楼顶大量饲养鸽子，羽毛和粪便到处都是，影响邻居健康。{ask}"),
    sensitive("hazard.other", "{street}{no}号", "{who}自称{company}员工，反映公司内部管理混乱：消杀作业记录造假，实际未按合同频次投药，负责人要求员工统一口径应付检查。请求为其身份保密。"),
    sensitive("hazard.kitchen", "{street}{no}号{shop}", "{who}自称{shop}员工，反映老板要求使用过期食材，检查前临时突击打扫，并提供了店内进货渠道和供应商报价等内部资料，请求不要透露其身份。"),
    sensitive("hazard.water_supply", "{estate}", "{who}反映{company}承接{estate}二次供水清洗项目时使用未备案的消毒剂，涉及该公司内部技术配方，要求保密处理。"),
    consult("policy.regulation", Fit::Any, "{who}询问今年爱国卫生月的活动主题和时间安排，所在单位想组织职工参加。", "已告知每年4月为爱国卫生月，今年的活动主题和具体安排以市爱卫会发布的通知为准，可关注爱卫办公众号或向所在街道了解。"),
    consult("policy.regulation", Fit::Any, "{who}咨询沿街商户门前“三包”责任的具体内容和相关规定。", "已告知门前“三包”（包卫生、包秩序、包绿化）的责任内容及依据，建议与所在街道签订责任书并按要求落实。"),
    consult("policy.regulation", Fit::Any, "{who}询问爱国卫生相关条例对住宅小区物业在环境卫生方面有哪些要求。", "已介绍物业服务企业在保洁、垃圾分类收集、病媒生物防制和二次供水管理等方面的责任，建议查阅条例全文或向所在街道咨询。"),
    consult("policy.standard", Fit::Any, "{who}咨询病媒生物防制标准中对餐饮单位防鼠设施的具体要求。", "已告知需设置高度不低于60厘米的挡鼠板、下水道口加装防鼠网、门窗缝隙不超过6毫米等要求，建议对照标准逐项自查。"),
    consult("policy.standard", Fit::Any, "{who}询问卫生城市复审时对农贸市场的检查标准，市场想提前做好准备。", "已告知检查重点包括功能分区、排水通畅、公厕达标、防蝇防鼠设施和活禽管理，建议对照标准自查整改。"),
    consult("policy.standard", Fit::Any, "{who}咨询单位申报健康单位需要达到哪些标准。", "已介绍健康单位的评价内容（健康环境、健康管理、健康服务和健康文化），申报材料由所在街道初审后报区爱卫办。"),
    consult("knowledge.vector", Fit::Any, "{who}询问小区居民如何领取免费的灭蚊灭鼠药物，需要带什么材料。", "已告知药物由社区统一向街道申领，居民可持身份证到所在社区居委会登记领取，每户限领一份。"),
    consult("knowledge.vector", Fit::Any, "{who}咨询家里发现蟑螂如何自行消杀，用什么药比较安全。", "已介绍胶饵和粘捕盒的使用方法和注意事项，提醒将药物放在儿童和宠物接触不到的地方，并保持厨房干燥清洁。"),
    consult("knowledge.vector", Fit::Any, "{who}询问家里花盆积水如何防止蚊虫孳生，以及登革热的预防知识。", "已告知“翻盆倒罐”清除积水、水培植物每周换水、使用蚊帐和驱蚊剂等措施，出现发热、皮疹等症状应及时就医。"),
    consult("knowledge.health", Fit::Any, "{who}咨询健康城市建设的主要内容，想了解社区能做哪些工作。", "已介绍健康城市建设的主要内容（健康环境、健康社会、健康服务、健康人群、健康文化），建议社区结合实际开展健康讲座、健身步道建设等活动。"),
    consult("knowledge.health", Fit::Any, "{who}询问哪里可以参加免费的戒烟门诊和控烟知识讲座。", "已告知开设戒烟门诊的医院及预约方式，并介绍了社区健康讲座的报名渠道。"),
    consult("service", Fit::Any, "{who}询问病媒生物防制服务机构备案需要提交哪些材料。", "已告知备案所需材料（营业执照、专业技术人员证明、药械管理制度等）及办理窗口和时间。"),
    consult("service", Fit::Phone, "{who}咨询爱卫办的办公地址和接待时间，想当面反映问题。", "已告知办公地址及接待时间（工作日8:30—17:30）。"),
    consult("service", Fit::Any, "{who}询问卫生先进单位的申报流程和截止时间。", "已告知申报流程为单位自评、街道初审、区爱卫办复核，截止时间以当年通知为准，并提供了联系人电话。"),
    consult("service", Fit::Visit, "{who}到窗口领取单位消杀登记表，并询问填写要求。", "已提供登记表并现场指导填写。"),
    suggest("improve.measures", "{who}建议在{street}沿线增设分类垃圾桶，并把清运时间调整到早高峰之前，减少对行人的影响。"),
    suggest("improve.measures", "{who}建议对{market}实行“一日一清洗、一周一消毒”制度，并公开检查结果接受群众监督。"),
    suggest("improve.measures", "{who}建议爱卫办处理投诉后及时回访，告知处理结果，不要只答复“已转交”。"),
    suggest("improve.activity", "{who}建议在{estate}组织一次集中的灭鼠灭蟑活动，由物业和社区统一投药，效果会比各家各户自己处理好。"),
    suggest("improve.activity", "{who}建议爱国卫生月期间组织居民志愿者开展“清洁家园”活动，集中清理{street}一带的卫生死角。"),
    suggest("improve.publicity", "{who}建议多在社区宣传栏和电梯广告里宣传防蚊灭蚊知识，很多老年人不会用手机看公众号。"),
    suggest("improve.publicity", "{who}建议到{street}{school}开展病媒生物防制和健康知识进校园活动，通过“小手拉大手”带动家长。"),
    other("other.praise", Fit::Any, "{who}表示此前反映的{estate}垃圾清运问题已经解决，对环卫工人和爱卫办工作人员表示感谢。", "已记录，感谢{who}对爱卫工作的支持，将转达相关科室。"),
    other("other.praise", Fit::Any, "{who}表扬{street}街心公园公厕的保洁员认真负责，公厕一直很干净，希望给予表扬。", "已记录并转达环境卫生科，感谢{who}的肯定。"),
    other("other.misdial", Fit::Phone, "来电人拨错号码，想找燃气公司报修。", "已告知燃气公司24小时报修电话。"),
    other("other.misdial", Fit::Phone, "来电人询问是否是物业公司电话，告知拨错后挂断。", "误拨，已按规定登记。"),
    other("other.misdial", Fit::Phone, "来电人咨询社保卡补办事宜，不属于本单位职责范围。", "已建议拨打12345政务服务热线咨询。"),
    other("other.misdial", Fit::Visit, "来访人走错办公地点，原本要去市场监管所办理食品经营许可证。", "已指引至市场监管所办事窗口。"),
    other("other.misdial", Fit::Visit, "来访人咨询户籍迁移事宜，不属于本单位职责范围。", "已告知到辖区派出所户籍窗口办理。"),
];

/// Share of each type among all matters.
const TYPE_WEIGHTS: &[(MatterType, u32)] = &[
    (MatterType::Complaint, 55),
    (MatterType::Consultation, 25),
    (MatterType::Suggestion, 10),
    (MatterType::Other, 10),
];

/// Share of the sub-categories within their type.
#[rustfmt::skip]
const CATEGORY_WEIGHTS: &[(&str, u32)] = &[
    ("env.garbage", 18), ("env.toilet", 9), ("env.water", 6), ("env.market", 7),
    ("env.backstreet", 5), ("vector.mosquito", 10), ("vector.rodent", 8),
    ("vector.cockroach", 5), ("vector.fly", 4), ("hazard.kitchen", 9),
    ("hazard.water_supply", 4), ("hazard.smoking", 7), ("hazard.other", 3),
    ("policy.regulation", 5), ("policy.standard", 4), ("knowledge.vector", 6),
    ("knowledge.health", 3), ("service", 5), ("improve.measures", 5),
    ("improve.activity", 3), ("improve.publicity", 3), ("other.praise", 4),
    ("other.misdial", 6),
];

/// Share of complaints that touch a company's internal affairs.
const SENSITIVE_SHARE: f64 = 0.05;

/// The category's weight in a month, in hundredths: mosquitoes and flies in
/// summer, rats in winter, 爱国卫生月 (April) topics in spring.
fn category_weight(code: Option<&str>, month: u32) -> u32 {
    let base = CATEGORY_WEIGHTS
        .iter()
        .find(|(c, _)| Some(*c) == code)
        .map_or(5, |(_, w)| *w);
    let season = match (code.unwrap_or(""), month) {
        ("vector.mosquito", 6..=9) => 300,
        ("vector.mosquito", 5 | 10) => 150,
        ("vector.mosquito", _) => 30,
        ("vector.fly", 6..=9) => 200,
        ("vector.fly", _) => 60,
        ("env.water", 5..=9) => 150,
        ("vector.rodent", 11 | 12 | 1 | 2) => 130,
        ("knowledge.vector", 4..=9) => 180,
        ("policy.regulation" | "improve.activity", 3 | 4) => 250,
        _ => 100,
    };
    base * season
}

// ---------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------

const SURNAMES: &str = "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹 彭 曾 田 董 袁 潘 蒋 蔡 余 杜 叶 程 苏 魏 吕 丁 沈 姚 卢 钟 陆 汪 范 金 方 邵 钱 俞 应 楼";
const GIVEN_ONE: &str =
    "伟 芳 敏 静 磊 强 军 洋 勇 艳 杰 娟 涛 明 超 霞 平 刚 燕 华 斌 丽 萍 鑫 琳";
const GIVEN_TWO: &str = "建华 秀英 志强 丽娟 海燕 国庆 桂兰 晓明 春梅 文斌 淑珍 俊杰 雅婷 子涵 浩然 玉兰 振国 美玲 伟东 红霞 建军 晓燕 佳怡 宇航 凤英 立新 慧敏 志华 金花 一鸣";
const TITLES: &str = "先生 女士 阿姨 师傅 大爷";
const BRANDS: &str = "安居 恒信 嘉和 瑞丰 华宇 金桥 明珠 康源";
const COMMUNITIES: &str = "清波 湖滨 朝晖 翠苑 文新 米市巷 小营 和睦";
const MOBILE_PREFIXES: &str = "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 176 177 180 181 182 183 185 186 187 188 189 191 198 199";

/// One word of a space-separated word list.
fn word<R: Rng>(rng: &mut R, list: &'static str) -> &'static str {
    list.split_whitespace().choose(rng).unwrap_or_default()
}

fn district<R: Rng>(rng: &mut R) -> &'static District {
    &DISTRICTS[rng.gen_range(0..DISTRICTS.len())]
}

/// A person's name, now and then only a surname and a polite title, as
/// callers who will not give their full name are recorded.
fn person_name<R: Rng>(rng: &mut R) -> String {
    let surname = word(rng, SURNAMES);
    match rng.gen_range(0..10) {
        0 => format!("{surname}{}", word(rng, TITLES)),
        1..=3 => format!("{surname}{}", word(rng, GIVEN_ONE)),
        _ => format!("{surname}{}", word(rng, GIVEN_TWO)),
    }
}

/// A calling organisation. Companies, schools and shops are also the places
/// complaints name, so as callers they carry a form the matter texts never
/// hold: a caller's organisation is never stored in clear by coincidence.
fn organization_name<R: Rng>(rng: &mut R) -> String {
    let d = district(rng);
    match rng.gen_range(0..6) {
        0 => format!("{}物业{}项目部", word(rng, BRANDS), word(rng, d.estates)),
        1 => format!("{}业主委员会", word(rng, d.estates)),
        2 => format!("{}{}家长委员会", word(rng, d.streets), word(rng, SCHOOLS)),
        3 => format!("{}社区居委会", word(rng, COMMUNITIES)),
        4 => format!("{}餐饮管理有限公司", word(rng, BRANDS)),
        _ => format!("{}（{}店）", word(rng, SHOPS), word(rng, d.streets)),
    }
}

/// A mobile number, typed the way intake staff type them.
fn mobile<R: Rng>(rng: &mut R) -> String {
    let prefix = word(rng, MOBILE_PREFIXES);
    let rest: u32 = rng.gen_range(0..100_000_000);
    let (high, low) = (rest / 10_000, rest % 10_000);
    match rng.gen_range(0..10) {
        0 => format!("{prefix} {high:04} {low:04}"),
        1 => format!("{prefix}-{high:04}-{low:04}"),
        _ => format!("{prefix}{rest:08}"),
    }
}

fn landline<R: Rng>(rng: &mut R) -> String {
    format!("0571-8{:07}", rng.gen_range(0..10_000_000u32))
}

/// A caller. No `Debug`: it is personal data, even invented.
#[derive(Clone)]
struct DemoCaller {
    name: String,
    organization: Option<String>,
    phone: String,
}

/// A new caller, or (about one call in ten) someone who called before, so
/// the "earlier matters of this caller" view has something to show.
fn next_caller<R: Rng>(rng: &mut R, seen: &mut Vec<DemoCaller>) -> DemoCaller {
    if rng.gen_bool(0.1)
        && let Some(c) = seen.choose(rng)
    {
        return c.clone();
    }
    let caller = if rng.gen_bool(0.85) {
        let phone = if rng.gen_bool(0.92) {
            mobile(rng)
        } else {
            landline(rng)
        };
        DemoCaller {
            name: person_name(rng),
            organization: None,
            phone,
        }
    } else {
        let phone = if rng.gen_bool(0.55) {
            landline(rng)
        } else {
            mobile(rng)
        };
        DemoCaller {
            name: person_name(rng),
            organization: Some(organization_name(rng)),
            phone,
        }
    };
    seen.push(caller.clone());
    caller
}

/// The concrete places and details one matter's texts are filled from.
struct Scene {
    who: &'static str,
    district: &'static District,
    street: &'static str,
    street2: &'static str,
    estate: &'static str,
    market: &'static str,
    shop: &'static str,
    place: &'static str,
    school: &'static str,
    company: &'static str,
    days: &'static str,
    freq: &'static str,
    time: &'static str,
    ask: &'static str,
    no: String,
    building: String,
}

impl Scene {
    fn new<R: Rng>(rng: &mut R, channel: Channel) -> Self {
        let district = district(rng);
        let street = word(rng, district.streets);
        let mut street2 = word(rng, district.streets);
        for _ in 0..8 {
            if street2 != street {
                break;
            }
            street2 = word(rng, district.streets);
        }
        Scene {
            who: match channel {
                Channel::Phone => "来电人",
                Channel::Visit => "来访人",
            },
            district,
            street,
            street2,
            estate: word(rng, district.estates),
            market: word(rng, district.markets),
            shop: word(rng, SHOPS),
            place: word(rng, PLACES),
            school: word(rng, SCHOOLS),
            company: word(rng, COMPANIES),
            days: word(rng, DAYS),
            freq: word(rng, FREQ),
            time: word(rng, TIMES),
            ask: ASKS.choose(rng).copied().unwrap_or_default(),
            no: rng.gen_range(1..=399u32).to_string(),
            building: rng.gen_range(1..=32u32).to_string(),
        }
    }

    fn slot(&self, key: &str) -> Option<&str> {
        Some(match key {
            "who" => self.who,
            "street" => self.street,
            "street2" => self.street2,
            "estate" => self.estate,
            "market" => self.market,
            "shop" => self.shop,
            "place" => self.place,
            "school" => self.school,
            "company" => self.company,
            "days" => self.days,
            "freq" => self.freq,
            "time" => self.time,
            "ask" => self.ask,
            "no" => self.no.as_str(),
            "building" => self.building.as_str(),
            _ => return None,
        })
    }
}

/// Replaces every `{slot}` of `template`; an unknown slot stays as written.
fn fill(template: &str, scene: &Scene) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let key = &after[..close];
        match scene.slot(key) {
            Some(value) => out.push_str(value),
            None => out.push_str(&rest[open..open + close + 2]),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------
// The plan: every matter, decided before anything is written
// ---------------------------------------------------------------------------

/// Local office hours, in seconds since midnight.
const OPEN: u32 = 8 * 3600 + 30 * 60;
const CLOSE: u32 = 17 * 3600 + 30 * 60;
/// A matter is received at least this long before the clock of [`seed`], so
/// its handling time is in the past too.
const LATEST_MARGIN: Duration = Duration::minutes(40);

struct Planned {
    request: IntakeRequest,
    /// When intake finished: the `now` of validation and recording.
    at: DateTime<Utc>,
    /// Index of the intake account that records it.
    clerk: usize,
}

/// The usable templates, grouped by the store's leaf categories.
struct Catalog {
    entries: Vec<Entry>,
    sensitive: Vec<&'static Template>,
}

struct Entry {
    ty: MatterType,
    category: Option<String>,
    templates: Vec<&'static Template>,
}

impl Catalog {
    /// Templates whose category is a leaf of the store's tree with the same
    /// type. A type the store has no such category for keeps its templates,
    /// recorded without a category.
    fn new(categories: &[Category]) -> Self {
        let is_leaf = |c: &Category| {
            !categories
                .iter()
                .any(|o| o.parent.as_deref() == Some(c.code.as_str()))
        };
        let usable = |t: &Template| {
            categories
                .iter()
                .any(|c| c.code == t.category && c.matter_type == t.ty && is_leaf(c))
        };
        let mut entries: Vec<Entry> = Vec::new();
        for ty in MatterType::ALL {
            let first = entries.len();
            for t in templates_of(*ty).filter(|&t| usable(t)) {
                match entries[first..]
                    .iter_mut()
                    .find(|e| e.category.as_deref() == Some(t.category))
                {
                    Some(e) => e.templates.push(t),
                    None => entries.push(Entry {
                        ty: *ty,
                        category: Some(t.category.to_owned()),
                        templates: vec![t],
                    }),
                }
            }
            if entries.len() == first {
                entries.push(Entry {
                    ty: *ty,
                    category: None,
                    templates: templates_of(*ty).collect(),
                });
            }
        }
        let sensitive = TEMPLATES
            .iter()
            .filter(|&t| t.sensitive && usable(t))
            .collect();
        Catalog { entries, sensitive }
    }

    fn pick<R: Rng>(
        &self,
        rng: &mut R,
        ty: MatterType,
        month: u32,
        channel: Channel,
    ) -> Option<(Option<String>, &'static Template)> {
        if ty == MatterType::Complaint
            && !self.sensitive.is_empty()
            && rng.gen_bool(SENSITIVE_SHARE)
        {
            let t = *self.sensitive.choose(rng)?;
            return Some((Some(t.category.to_owned()), t));
        }
        let candidates: Vec<&Entry> = self.entries.iter().filter(|e| e.ty == ty).collect();
        let entry = *pick_weighted(rng, &candidates, |e| {
            category_weight(e.category.as_deref(), month)
        })?;
        let fitting: Vec<&'static Template> = entry
            .templates
            .iter()
            .copied()
            .filter(|t| t.fit.allows(channel))
            .collect();
        let pool = if fitting.is_empty() {
            &entry.templates
        } else {
            &fitting
        };
        let t = *pool.choose(rng)?;
        Some((entry.category.clone(), t))
    }
}

/// The ordinary (not sensitive) templates of a type.
fn templates_of(ty: MatterType) -> impl Iterator<Item = &'static Template> {
    TEMPLATES.iter().filter(move |t| t.ty == ty && !t.sensitive)
}

fn pick_weighted<'a, T, R: Rng>(
    rng: &mut R,
    items: &'a [T],
    weight: impl Fn(&T) -> u32,
) -> Option<&'a T> {
    let total: u32 = items.iter().map(&weight).sum();
    if total == 0 {
        return None;
    }
    let mut roll = rng.gen_range(0..total);
    for item in items {
        let w = weight(item);
        if roll < w {
            return Some(item);
        }
        roll -= w;
    }
    None
}

fn local_at(day: NaiveDate, seconds: u32) -> Option<DateTime<Utc>> {
    let midnight = day.and_hms_opt(0, 0, 0)?;
    let local = midnight + Duration::seconds(i64::from(seconds));
    Some(
        china()
            .from_local_datetime(&local)
            .single()?
            .with_timezone(&Utc),
    )
}

fn is_workday(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Relative call volume of a day: quiet weekends, a busier summer.
fn day_weight(day: NaiveDate) -> u32 {
    let week = match day.weekday() {
        Weekday::Sat => 30,
        Weekday::Sun => 20,
        _ => 100,
    };
    let season = if (6..=9).contains(&day.month()) {
        125
    } else {
        100
    };
    week * season
}

/// A time of day: mostly office hours with a lunch dip, some early and
/// evening calls.
fn time_of_day<R: Rng>(rng: &mut R) -> u32 {
    if rng.gen_bool(0.9) {
        let t = rng.gen_range(OPEN..CLOSE);
        let lunch = (12 * 3600..13 * 3600 + 30 * 60).contains(&t);
        if lunch && rng.gen_bool(0.5) {
            rng.gen_range(OPEN..CLOSE)
        } else {
            t
        }
    } else if rng.gen_bool(0.3) {
        rng.gen_range(7 * 3600..OPEN)
    } else {
        rng.gen_range(CLOSE..21 * 3600 + 30 * 60)
    }
}

/// `count` receipt times over the last `days` days, oldest first.
fn received_times<R: Rng>(
    rng: &mut R,
    count: u32,
    days: u32,
    now: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let days = days.max(1);
    let today = now.with_timezone(&china()).date_naive();
    let calendar: Vec<NaiveDate> = (0..days)
        .filter_map(|d| today.checked_sub_days(Days::new(u64::from(d))))
        .collect();
    let span_minutes = i64::from(days) * 24 * 60;
    let mut times = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let mut chosen = None;
        for _ in 0..20 {
            let Some(&day) = pick_weighted(rng, &calendar, |d| day_weight(*d)) else {
                break;
            };
            match local_at(day, time_of_day(rng)) {
                Some(t) if t + LATEST_MARGIN <= now => {
                    chosen = Some(t);
                    break;
                }
                _ => {}
            }
        }
        times.push(
            chosen.unwrap_or_else(|| {
                now - Duration::minutes(rng.gen_range(60..=span_minutes.max(61)))
            }),
        );
    }
    times.sort();
    times
}

/// The agreed reply: end of the working day one to five days later.
fn reply_deadline<R: Rng>(rng: &mut R, received: DateTime<Utc>) -> DateTime<Utc> {
    let days = rng.gen_range(1..=5i64);
    let day = received.with_timezone(&china()).date_naive();
    day.checked_add_days(Days::new(days.unsigned_abs()))
        .and_then(|d| local_at(d, CLOSE))
        .filter(|t| *t > received)
        .unwrap_or_else(|| received + Duration::days(days))
}

fn plan_matters(opts: &DemoOptions, categories: &[Category], now: DateTime<Utc>) -> Vec<Planned> {
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let catalog = Catalog::new(categories);
    let times = received_times(&mut rng, opts.matters, opts.days, now);
    let mut callers = Vec::new();
    let mut plan = Vec::with_capacity(times.len());
    for received in times {
        if let Some(p) = plan_one(&mut rng, &catalog, &mut callers, received) {
            plan.push(p);
        }
    }
    plan
}

fn plan_one<R: Rng>(
    rng: &mut R,
    catalog: &Catalog,
    callers: &mut Vec<DemoCaller>,
    received: DateTime<Utc>,
) -> Option<Planned> {
    let local = received.with_timezone(&china());
    let workday = is_workday(local.date_naive());
    let office = (OPEN..CLOSE).contains(&local.num_seconds_from_midnight());
    let visit_share = match (office, workday) {
        (true, true) => 0.23,
        (true, false) => 0.08,
        _ => 0.0,
    };
    let channel = if rng.gen_bool(visit_share) {
        Channel::Visit
    } else {
        Channel::Phone
    };

    let caller = next_caller(rng, callers);
    let ty = pick_weighted(rng, TYPE_WEIGHTS, |(_, w)| *w)?.0;
    let (category, template) = catalog.pick(rng, ty, local.month(), channel)?;
    let scene = Scene::new(rng, channel);

    let location = template.address.map(|a| {
        let (lat, lng) = scene.district.center;
        let coordinates = rng.gen_bool(0.7).then(|| {
            (
                lat + rng.gen_range(-0.015_f64..0.015),
                lng + rng.gen_range(-0.015_f64..0.015),
            )
        });
        LocationInput {
            address: Some(fill(a, &scene)),
            area_code: Some(scene.district.area_code.to_owned()),
            latitude: coordinates.map(|c| c.0),
            longitude: coordinates.map(|c| c.1),
        }
    });

    let (ring_seconds, arrived_at, handling) = match channel {
        Channel::Phone => {
            let ring = if rng.gen_bool(0.9) {
                rng.gen_range(2..=15)
            } else {
                rng.gen_range(20..=40)
            };
            (Some(ring), None, rng.gen_range(90..=600))
        }
        Channel::Visit => {
            let arrived = received - Duration::seconds(rng.gen_range(120..=1800));
            (None, Some(arrived), rng.gen_range(300..=1500))
        }
    };
    let at = received + Duration::seconds(handling);

    let answered_now = match template.ty {
        MatterType::Consultation => rng.gen_bool(0.88),
        MatterType::Other => true,
        MatterType::Complaint | MatterType::Suggestion => false,
    };
    let (answer, agreed_reply_at) = match template.answer {
        Some(a) if answered_now => (Some(fill(a, &scene)), None),
        _ => (None, Some(reply_deadline(rng, received))),
    };

    // The day shift takes most office-hour matters; the second clerk covers
    // evenings and weekends.
    let clerk = if workday && office {
        usize::from(!rng.gen_bool(0.6))
    } else {
        usize::from(rng.gen_bool(0.8))
    };

    let kind = match caller.organization {
        Some(_) => "organization",
        None => "person",
    };
    // Drinking water and kitchens are the hazards a hotline treats as urgent.
    let urgent = matches!(
        category.as_deref(),
        Some("hazard.water_supply") | Some("hazard.kitchen")
    );
    let request = IntakeRequest {
        channel: Some(channel.as_str().to_owned()),
        received_at: Some(received),
        ring_seconds,
        arrived_at,
        caller: CallerInput {
            kind: Some(kind.to_owned()),
            name: Some(caller.name),
            organization: caller.organization,
            phone: Some(caller.phone),
        },
        matter_type: Some(template.ty.as_str().to_owned()),
        category,
        content: Some(fill(template.text, &scene)),
        location,
        sensitive: template.sensitive,
        urgent,
        answer,
        agreed_reply_at,
        department: None,
    };
    Some(Planned { request, at, clerk })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::collections::HashSet;

    use aiwei_core::PhoneNumber;
    use aiwei_core::intake::{MAX_ADDRESS, MAX_NAME, MAX_TEXT};

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 7, 15, 1, 30, 0).unwrap()
    }

    /// The store's default tree, as `(code, type, parent)`.
    fn default_tree() -> Vec<Category> {
        #[rustfmt::skip]
        let tree: &[(&str, &str, Option<&str>)] = &[
            ("env", "complaint", None), ("env.garbage", "complaint", Some("env")),
            ("env.toilet", "complaint", Some("env")), ("env.water", "complaint", Some("env")),
            ("env.market", "complaint", Some("env")), ("env.backstreet", "complaint", Some("env")),
            ("vector", "complaint", None), ("vector.mosquito", "complaint", Some("vector")),
            ("vector.rodent", "complaint", Some("vector")), ("vector.cockroach", "complaint", Some("vector")),
            ("vector.fly", "complaint", Some("vector")), ("hazard", "complaint", None),
            ("hazard.kitchen", "complaint", Some("hazard")), ("hazard.water_supply", "complaint", Some("hazard")),
            ("hazard.smoking", "complaint", Some("hazard")), ("hazard.other", "complaint", Some("hazard")),
            ("policy", "consultation", None), ("policy.regulation", "consultation", Some("policy")),
            ("policy.standard", "consultation", Some("policy")), ("knowledge", "consultation", None),
            ("knowledge.vector", "consultation", Some("knowledge")), ("knowledge.health", "consultation", Some("knowledge")),
            ("service", "consultation", None), ("improve", "suggestion", None),
            ("improve.measures", "suggestion", Some("improve")), ("improve.activity", "suggestion", Some("improve")),
            ("improve.publicity", "suggestion", Some("improve")), ("other", "other", None),
            ("other.praise", "other", Some("other")), ("other.misdial", "other", Some("other")),
        ];
        tree.iter()
            .map(|(code, ty, parent)| Category {
                code: (*code).to_owned(),
                name: (*code).to_owned(),
                matter_type: MatterType::parse(ty).unwrap(),
                parent: parent.map(str::to_owned),
            })
            .collect()
    }

    fn options(matters: u32, seed: u64) -> DemoOptions {
        DemoOptions {
            matters,
            seed,
            ..DemoOptions::default()
        }
    }

    #[test]
    fn there_are_many_distinct_templates_for_every_leaf() {
        assert!(TEMPLATES.len() >= 40);
        let texts: HashSet<_> = TEMPLATES.iter().map(|t| t.text).collect();
        assert_eq!(texts.len(), TEMPLATES.len());
        let tree = default_tree();
        let catalog = Catalog::new(&tree);
        assert!(catalog.entries.iter().all(|e| e.category.is_some()));
        assert_eq!(catalog.entries.len(), CATEGORY_WEIGHTS.len());
        assert_eq!(catalog.sensitive.len(), 3);
    }

    #[test]
    fn templates_fill_every_slot_within_limits() {
        for seed in 0..30 {
            let mut rng = StdRng::seed_from_u64(seed);
            for channel in [Channel::Phone, Channel::Visit] {
                let scene = Scene::new(&mut rng, channel);
                assert_ne!(scene.street, scene.street2);
                for t in TEMPLATES {
                    let parts = [Some(t.text), t.address, t.answer];
                    for (part, max) in parts.into_iter().zip([MAX_TEXT, MAX_ADDRESS, MAX_TEXT]) {
                        let Some(part) = part else { continue };
                        let text = fill(part, &scene);
                        assert!(!text.contains('{') && !text.contains('}'), "{text}");
                        assert!(!text.trim().is_empty());
                        assert!(text.chars().count() <= max);
                    }
                }
            }
        }
    }

    #[test]
    fn generated_phones_parse() {
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..2_000 {
            let p = PhoneNumber::parse("caller.phone", &mobile(&mut rng)).unwrap();
            assert_eq!(p.as_str().len(), 11);
            assert!(p.as_str().starts_with('1'));
        }
        for _ in 0..500 {
            let p = PhoneNumber::parse("caller.phone", &landline(&mut rng)).unwrap();
            assert!(p.as_str().starts_with("05718"));
            assert_eq!(p.as_str().len(), 12);
        }
    }

    #[test]
    fn generated_names_are_plausible() {
        let mut rng = StdRng::seed_from_u64(2);
        for _ in 0..1_000 {
            let name = person_name(&mut rng);
            assert!((2..=4).contains(&name.chars().count()), "{name}");
            assert!(!name.is_ascii());
            let org = organization_name(&mut rng);
            assert!((2..=MAX_NAME).contains(&org.chars().count()), "{org}");
        }
    }

    #[test]
    fn passwords_are_twelve_alphanumerics() {
        let p = random_password();
        assert_eq!(p.len(), PASSWORD_LEN);
        assert!(p.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(p, random_password());
    }

    #[test]
    fn the_plan_is_deterministic_chronological_and_valid() {
        let tree = default_tree();
        let summary = |plan: &[Planned]| {
            serde_json::to_string(&plan.iter().map(|p| &p.request).collect::<Vec<_>>()).unwrap()
        };
        let a = plan_matters(&options(400, 7), &tree, now());
        let b = plan_matters(&options(400, 7), &tree, now());
        let c = plan_matters(&options(400, 8), &tree, now());
        assert_eq!(a.len(), 400);
        assert_eq!(summary(a.as_slice()), summary(b.as_slice()));
        assert_ne!(summary(a.as_slice()), summary(c.as_slice()));
        let earliest = now() - Duration::days(121);
        let mut last = earliest;
        for p in &a {
            let m = p.request.validate(p.at).unwrap();
            assert!(m.received_at >= last && m.received_at > earliest);
            assert!(p.at <= now() && p.clerk < 2);
            last = m.received_at;
            if let Some(code) = &m.category {
                let cat = tree.iter().find(|c| &c.code == code).unwrap();
                assert_eq!(cat.matter_type, m.matter_type);
            }
        }
    }

    #[test]
    fn the_mix_is_roughly_as_intended() {
        let plan = plan_matters(&options(3_000, 11), &default_tree(), now());
        let share = |f: &dyn Fn(&Planned) -> bool| {
            plan.iter().filter(|p| f(p)).count() as f64 / plan.len() as f64
        };
        let phone = share(&|p| p.request.channel.as_deref() == Some("phone"));
        let complaint = share(&|p| p.request.matter_type.as_deref() == Some("complaint"));
        let sensitive = share(&|p| p.request.sensitive);
        let answered = share(&|p| p.request.answer.is_some());
        assert!((0.72..0.88).contains(&phone), "{phone}");
        assert!((0.48..0.62).contains(&complaint), "{complaint}");
        assert!((0.01..0.06).contains(&sensitive), "{sensitive}");
        assert!((0.2..0.45).contains(&answered), "{answered}");
        let phones: HashSet<_> = plan
            .iter()
            .filter_map(|p| p.request.caller.phone.clone())
            .collect();
        assert!(
            phones.len() < plan.len() * 95 / 100,
            "some callers call again"
        );
    }

    #[test]
    fn a_store_without_categories_still_gets_valid_matters() {
        let plan = plan_matters(&options(200, 3), &[], now());
        assert_eq!(plan.len(), 200);
        for p in &plan {
            assert!(p.request.category.is_none() && !p.request.sensitive);
            p.request.validate(p.at).unwrap();
        }
    }
}
