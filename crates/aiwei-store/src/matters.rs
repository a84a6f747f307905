//! Matters (事项) and their events: intake, the tracking ledger (台账,
//! ) and the per-matter hash chain.
//!
//! Events never hold personal data or free text themselves, only digests of
//! it: the chain stays verifiable when a caller is later anonymised, and still
//! proves that the text stored with the matter is the text that was recorded.

use std::fmt;
use std::str::FromStr;

use aiwei_core::chain::{self, GENESIS, Link};
use aiwei_core::intake::{NewMatter, Resolution};
use aiwei_core::time::{from_millis, to_millis};
use aiwei_core::{
    CallerKind, Channel, FieldError, MatterId, MatterNumber, MatterStatus, MatterType, UserId,
};
use chrono::{DateTime, Datelike, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::Store;
use crate::db::{Backend, Tx};
use crate::error::StoreError;
use crate::users::User;

/// The caller as stored.
#[derive(Clone, PartialEq)]
pub struct StoredCaller {
    pub kind: CallerKind,
    pub name: Option<String>,
    pub organization: Option<String>,
    pub phone: String,
    /// The caller's personal data was erased on request.
    pub anonymised: bool,
}

/// What is sealed of a caller: the fields protects.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct SealedCaller {
    pub(crate) name: Option<String>,
    pub(crate) organization: Option<String>,
    pub(crate) phone: String,
}

/// The associated data binding a sealed caller to its matter.
fn caller_context(id: Uuid) -> Vec<u8> {
    let mut v = b"caller/".to_vec();
    v.extend_from_slice(id.as_bytes());
    v
}

impl crate::Keys {
    /// Seals a caller's personal data for the matter `id`: the key id and
    /// the ciphertext to store. Public for bulk loaders (benchmarks).
    pub fn seal_caller(
        &self,
        id: Uuid,
        name: Option<&str>,
        organization: Option<&str>,
        phone: &str,
    ) -> Result<(String, Vec<u8>), StoreError> {
        let plain = serde_json::to_vec(&SealedCaller {
            name: name.map(str::to_owned),
            organization: organization.map(str::to_owned),
            phone: phone.to_owned(),
        })
        .map_err(|_| StoreError::Corrupt("caller encoding".into()))?;
        self.seal(&caller_context(id), &plain)
    }

    pub(crate) fn open_caller(
        &self,
        id: Uuid,
        key: &str,
        sealed: &[u8],
    ) -> Result<SealedCaller, StoreError> {
        let plain = self.open(key, &caller_context(id), sealed)?;
        serde_json::from_slice(&plain).map_err(|_| StoreError::Corrupt("caller encoding".into()))
    }
}

impl fmt::Debug for StoredCaller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredCaller")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredLocation {
    pub address: Option<String>,
    pub area_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// One matter as the ledger holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Matter {
    pub id: MatterId,
    pub number: String,
    pub channel: Channel,
    pub received_at: DateTime<Utc>,
    pub ring_seconds: Option<i32>,
    pub arrived_at: Option<DateTime<Utc>>,
    pub intake_user: UserId,
    pub intake_user_name: String,
    pub department: Option<String>,
    pub department_name: Option<String>,
    /// The lead department of a dispatched matter.
    pub lead_department: Option<String>,
    pub lead_department_name: Option<String>,
    /// Co-handling or coordinating departments (loaded on single reads).
    pub co_departments: Vec<String>,
    pub return_count: i32,
    pub redo_count: i32,
    /// An approved extension moved the agreed reply time; intake must tell
    /// the caller.
    pub caller_to_be_told: bool,
    pub caller: StoredCaller,
    pub matter_type: MatterType,
    pub category: Option<String>,
    pub category_name: Option<String>,
    pub content: String,
    pub location: StoredLocation,
    pub sensitive: bool,
    pub urgent: bool,
    pub status: MatterStatus,
    pub answer: Option<String>,
    pub agreed_reply_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Matter {
    /// Whether one of `departments` handles this matter: leads it or
    /// co-handles it.
    pub fn handled_by(&self, departments: &[String]) -> bool {
        departments.iter().any(|d| {
            self.lead_department.as_deref() == Some(d.as_str()) || self.co_departments.contains(d)
        })
    }
}

/// One event of a matter's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: Option<UserId>,
    pub actor_name: Option<String>,
    pub kind: String,
    pub payload: serde_json::Value,
    pub hash: String,
    /// The free texts recorded with this event (field, text).
    pub texts: Vec<(String, String)>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct MatterRow {
    id: Uuid,
    number: String,
    channel: String,
    received_at: i64,
    ring_seconds: Option<i32>,
    arrived_at: Option<i64>,
    intake_user: Uuid,
    intake_user_name: String,
    department: Option<String>,
    department_name: Option<String>,
    lead_department: Option<String>,
    lead_department_name: Option<String>,
    return_count: i32,
    redo_count: i32,
    caller_to_be_told: bool,
    caller_kind: String,
    caller_key: Option<String>,
    caller_sealed: Option<Vec<u8>>,
    caller_anonymised_at: Option<i64>,
    matter_type: String,
    category: Option<String>,
    category_name: Option<String>,
    content: String,
    address: Option<String>,
    area_code: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    sensitive: bool,
    urgent: bool,
    status: String,
    answer: Option<String>,
    agreed_reply_at: Option<i64>,
    closed_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

/// The columns of a matter row (`m` is the matter).
macro_rules! matter_columns {
    () => {
        "m.id, m.number, m.channel, m.received_at, m.ring_seconds, m.arrived_at,
    m.intake_user, u.display_name AS intake_user_name, m.department, d.name AS department_name,
    m.lead_department, ld.name AS lead_department_name, m.return_count, m.redo_count,
    m.caller_to_be_told,
    m.caller_kind, m.caller_key, m.caller_sealed, m.caller_anonymised_at, m.matter_type, m.category,
    c.name AS category_name, m.content, m.address, m.area_code, m.latitude, m.longitude,
    m.sensitive, m.urgent, m.status, m.answer, m.agreed_reply_at, m.closed_at, m.created_at, m.updated_at"
    };
}

/// The names the columns need.
macro_rules! matter_joins {
    () => {
        "
  JOIN users u ON u.id = m.intake_user
  LEFT JOIN departments d ON d.code = m.department
  LEFT JOIN departments ld ON ld.code = m.lead_department
  LEFT JOIN categories c ON c.code = m.category"
    };
}

pub(crate) const MATTER_SELECT: &str = concat!(
    "SELECT ",
    matter_columns!(),
    " FROM matters m",
    matter_joins!()
);

/// A page of matters: the rows are chosen from `matters` alone (filters,
/// keyset order and limit go between these two), and only those rows are
/// joined to the names. Written this way because SQLite's planner, seeing
/// the joins to small tables, would rather scan and sort the whole table
/// than walk the keyset index and stop at the limit.
const MATTER_PAGE_HEAD: &str = concat!(
    "SELECT ",
    matter_columns!(),
    " FROM (SELECT * FROM matters m WHERE 1=1"
);
const MATTER_PAGE_TAIL: &str = concat!(") m", matter_joins!());

fn corrupt(what: &str) -> impl Fn(FieldError) -> StoreError + '_ {
    move |_| StoreError::Corrupt(format!("bad stored {what}"))
}

impl Store {
    /// A matter from its row, the caller's data opened with the key ring.
    pub(crate) fn open_matter(&self, r: MatterRow) -> Result<Matter, StoreError> {
        let caller = match (&r.caller_key, &r.caller_sealed) {
            (Some(key), Some(sealed)) => self.keys.open_caller(r.id, key, sealed)?,
            _ => return Err(StoreError::Corrupt("caller not sealed".into())),
        };
        Ok(Matter {
            id: MatterId(r.id),
            number: r.number,
            channel: Channel::parse(&r.channel).map_err(corrupt("channel"))?,
            received_at: from_millis(r.received_at),
            ring_seconds: r.ring_seconds,
            arrived_at: r.arrived_at.map(from_millis),
            intake_user: UserId(r.intake_user),
            intake_user_name: r.intake_user_name,
            department: r.department,
            department_name: r.department_name,
            lead_department: r.lead_department,
            lead_department_name: r.lead_department_name,
            co_departments: Vec::new(),
            return_count: r.return_count,
            redo_count: r.redo_count,
            caller_to_be_told: r.caller_to_be_told,
            caller: StoredCaller {
                kind: CallerKind::parse(&r.caller_kind).map_err(corrupt("caller kind"))?,
                name: caller.name,
                organization: caller.organization,
                phone: caller.phone,
                anonymised: r.caller_anonymised_at.is_some(),
            },
            matter_type: MatterType::parse(&r.matter_type).map_err(corrupt("type"))?,
            category: r.category,
            category_name: r.category_name,
            content: r.content,
            location: StoredLocation {
                address: r.address,
                area_code: r.area_code,
                latitude: r.latitude,
                longitude: r.longitude,
            },
            sensitive: r.sensitive,
            urgent: r.urgent,
            status: MatterStatus::parse(&r.status).map_err(corrupt("status"))?,
            answer: r.answer,
            agreed_reply_at: r.agreed_reply_at.map(from_millis),
            closed_at: r.closed_at.map(from_millis),
            created_at: from_millis(r.created_at),
            updated_at: from_millis(r.updated_at),
        })
    }
}

#[derive(sqlx::FromRow)]
struct EventRow {
    seq: i64,
    at: i64,
    actor: Option<Uuid>,
    actor_name: Option<String>,
    kind: String,
    payload: String,
    hash: String,
}

/// How a client names a matter: its id or its number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatterKey {
    Id(MatterId),
    Number(MatterNumber),
}

/// Which matters a reader may see: the one rule behind the ledger, search,
/// single reads, queues and counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// `None`: every department's matters. `Some`: only matters received
    /// by, led by or co-handled by these departments.
    pub departments: Option<Vec<String>>,
    /// Which sensitive matters.
    pub sensitive: Sensitive,
}

/// Which sensitive matters a reader sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sensitive {
    /// Supervisors (and the program itself).
    All,
    /// Only those `user` recorded or is named on, those a signed
    /// disclosure of their content opens to `user` at `now_ms`, and, for a
    /// department lead, those dispatched to one of `lead_of`.
    Limited {
        user: UserId,
        lead_of: Vec<String>,
        now_ms: i64,
    },
}

impl Scope {
    /// Everything: for the program itself (verification, demo, tools).
    pub const ALL: Scope = Scope {
        departments: None,
        sensitive: Sensitive::All,
    };

    /// What `user` may see at `now`. Intake, supervisors, the leading
    /// group, auditors and admins see every department's ordinary matters;
    /// handlers and department leads their departments' only. Sensitive
    /// matters: see [`Sensitive`]. A signed disclosure of a sensitive
    /// matter's content opens that matter, whatever the department.
    pub fn for_user(user: &User, now: DateTime<Utc>) -> Scope {
        use aiwei_core::Role;
        let wide = [
            Role::Intake,
            Role::Supervisor,
            Role::Auditor,
            Role::Admin,
            Role::LeadingGroup,
        ];
        Scope {
            departments: if wide.iter().any(|r| user.has(*r)) {
                None
            } else {
                Some(user.departments.clone())
            },
            sensitive: if user.has(Role::Supervisor) {
                Sensitive::All
            } else {
                Sensitive::Limited {
                    user: user.id,
                    lead_of: if user.has(Role::DeptLead) {
                        user.departments.clone()
                    } else {
                        Vec::new()
                    },
                    now_ms: to_millis(now),
                }
            },
        }
    }
}

/// Appends ` AND <scope holds for m>` to a query over `matters m`. A macro
/// rather than a function so one text serves both backends' builders.
macro_rules! push_scope {
    ($q:expr, $scope:expr) => {{
        let scope: &$crate::matters::Scope = $scope;
        let in_list = |q: &mut sqlx::QueryBuilder<_>, list: &[String]| {
            q.push(" IN (");
            let mut sep = q.separated(", ");
            for d in list {
                sep.push_bind(d.clone());
            }
            sep.push_unseparated(")");
        };
        // A signed, unexpired disclosure of the matter's content to the
        // reader opens it whatever its department or sensitivity.
        let granted = |q: &mut sqlx::QueryBuilder<_>, user: &aiwei_core::UserId, now_ms: i64| {
            q.push(" OR EXISTS (SELECT 1 FROM disclosures dz WHERE dz.matter_id = m.id AND dz.requester = ")
                .push_bind(user.0)
                .push(" AND dz.status = 'signed' AND dz.expires_at > ")
                .push_bind(now_ms)
                .push(" AND dz.fields LIKE '%content%')");
        };
        let grantee = match &scope.sensitive {
            $crate::matters::Sensitive::Limited { user, now_ms, .. } => Some((*user, *now_ms)),
            $crate::matters::Sensitive::All => None,
        };
        if let Some(depts) = &scope.departments {
            if depts.is_empty() {
                $q.push(" AND (1=0");
            } else {
                // Received by, led by, or co-handled by one of them.
                $q.push(" AND (m.department");
                in_list(&mut $q, depts);
                $q.push(" OR m.lead_department");
                in_list(&mut $q, depts);
                $q.push(" OR EXISTS (SELECT 1 FROM matter_departments md WHERE md.matter_id = m.id AND md.department_code");
                in_list(&mut $q, depts);
                $q.push(")");
            }
            if let Some((user, now_ms)) = &grantee {
                granted(&mut $q, user, *now_ms);
            }
            $q.push(")");
        }
        if let $crate::matters::Sensitive::Limited { user, lead_of, now_ms } = &scope.sensitive {
            $q.push(" AND (m.sensitive = FALSE OR m.intake_user = ").push_bind(user.0);
            granted(&mut $q, user, *now_ms);
            $q.push(" OR EXISTS (SELECT 1 FROM matter_people mp WHERE mp.matter_id = m.id AND mp.user_id = ")
                .push_bind(user.0)
                .push(")");
            if !lead_of.is_empty() {
                $q.push(" OR m.lead_department");
                in_list(&mut $q, lead_of);
                $q.push(" OR EXISTS (SELECT 1 FROM matter_departments md2 WHERE md2.matter_id = m.id AND md2.department_code");
                in_list(&mut $q, lead_of);
                $q.push(")");
            }
            $q.push(")");
        }
    }};
}

/// Filters of the ledger; all optional, combined with AND.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LedgerFilter {
    pub matter_type: Option<MatterType>,
    pub status: Option<MatterStatus>,
    pub channel: Option<Channel>,
    pub department: Option<String>,
    /// A category code; its sub-categories match too.
    pub category: Option<String>,
    /// Received at or after.
    pub received_from: Option<DateTime<Utc>>,
    /// Received before.
    pub received_to: Option<DateTime<Utc>>,
    /// Blind indexes of the caller's phone (one per key of the ring); empty:
    /// no phone filter.
    pub phone_index: Vec<String>,
}

/// A position in the ledger's order (newest first): the last row of a page.
/// Its text form is opaque to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub received_at_ms: i64,
    pub id: Uuid,
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.received_at_ms, self.id.simple())
    }
}

impl FromStr for Cursor {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || FieldError::new("cursor", "invalid_cursor");
        let (ms, id) = s.split_once('.').ok_or_else(bad)?;
        Ok(Cursor {
            received_at_ms: ms.parse().map_err(|_| bad())?,
            id: Uuid::parse_str(id).map_err(|_| bad())?,
        })
    }
}

/// Hex SHA-256 of a text, as events record free text.
pub(crate) fn digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Where a new matter lands.
#[derive(Debug, Clone)]
pub struct IntakeContext<'a> {
    pub actor: &'a User,
    /// Matter number prefix, e.g. `AW`.
    pub prefix: &'a str,
    pub now: DateTime<Utc>,
}

impl Store {
    /// Records a matter received by phone or at the window:
    /// allocates its number, writes it with its `received` event and, when
    /// answered on the spot, its closing event, all in one transaction.
    #[tracing::instrument(skip_all, fields(actor = %ctx.actor.id))]
    pub async fn record_intake(
        &self,
        m: &NewMatter,
        ctx: &IntakeContext<'_>,
    ) -> Result<Matter, StoreError> {
        let id = self.record_intakes(std::slice::from_ref(m), ctx).await?;
        match id.first() {
            Some(id) => self.matter(*id).await,
            None => Err(StoreError::Corrupt("intake wrote nothing".into())),
        }
    }

    /// Records several matters in one transaction (imports, demo data, bulk
    /// tests): all or none. Returns their ids in order.
    pub async fn record_intakes(
        &self,
        matters: &[NewMatter],
        ctx: &IntakeContext<'_>,
    ) -> Result<Vec<MatterId>, StoreError> {
        if !aiwei_core::ids::valid_prefix(ctx.prefix) {
            return Err(StoreError::Config("invalid matter number prefix".into()));
        }
        let mut checked = Vec::with_capacity(matters.len());
        for m in matters {
            if let Some(code) = &m.category {
                self.require_category(code, m.matter_type).await?;
            }
            let department = match &m.department {
                Some(d) => Some(self.require_department("department", d).await?.code),
                None => ctx.actor.departments.first().cloned(),
            };
            checked.push((m, department));
        }
        let clocks = self.clocks().await?;
        let mut tx = self.db.begin().await?;
        let mut ids = Vec::with_capacity(matters.len());
        for (m, department) in checked {
            ids.push(
                self.insert_matter(&mut tx, m, department, ctx, &clocks)
                    .await?,
            );
        }
        tx.commit().await?;
        Ok(ids)
    }

    async fn insert_matter(
        &self,
        tx: &mut Tx,
        m: &NewMatter,
        department: Option<String>,
        ctx: &IntakeContext<'_>,
        clocks: &crate::deadlines::Clocks,
    ) -> Result<MatterId, StoreError> {
        let year = m
            .received_at
            .with_timezone(&aiwei_core::time::china())
            .year();
        let id = MatterId::new();
        let now_ms = to_millis(ctx.now);
        let phone_index = self.keys.phone_index(&m.caller.phone)?;
        let (caller_key, caller_sealed) = self.keys.seal_caller(
            id.0,
            m.caller.name.as_deref(),
            m.caller.organization.as_deref(),
            m.caller.phone.as_str(),
        )?;
        let (status, answer, reply_at, closed_at) = match &m.resolution {
            Resolution::Answered(a) => (MatterStatus::Closed, Some(a.as_str()), None, Some(now_ms)),
            Resolution::ReplyBy(t) => (MatterStatus::Received, None, Some(to_millis(*t)), None),
        };
        // The upsert holds the sequence row locked until commit, so numbers
        // are handed out without gaps and never twice, whichever app instance
        // asks; a rolled-back intake gives its number back with its row.
        let seq: i64 = on_tx!(&mut *tx, c => sqlx::query_scalar(
            "INSERT INTO matter_sequences (prefix, year, last) VALUES ($1, $2, 1)
             ON CONFLICT (prefix, year) DO UPDATE SET last = matter_sequences.last + 1
             RETURNING last")
            .bind(ctx.prefix)
            .bind(year)
            .fetch_one(c)
            .await)?;
        let number = MatterNumber::new(ctx.prefix, year, seq as u64)
            .map_err(|_| StoreError::Corrupt("matter sequence out of range".into()))?
            .to_string();
        let coords = m.location.coordinates;
        on_tx!(&mut *tx, c => sqlx::query(
            "INSERT INTO matters (id, number, channel, received_at, ring_seconds, arrived_at,
                intake_user, department, caller_kind, caller_key, caller_sealed, caller_phone,
                caller_phone_hash, matter_type, category, content, address, area_code, latitude,
                longitude, sensitive, status, answer, agreed_reply_at, closed_at, created_at,
                updated_at, event_count, last_hash, urgent)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                $18, $19, $20, $21, $22, $23, $24, $25, $26, $26, 0, $27, $28)")
            .bind(id.0)
            .bind(&number)
            .bind(m.channel.as_str())
            .bind(to_millis(m.received_at))
            .bind(m.ring_seconds)
            .bind(m.arrived_at.map(to_millis))
            .bind(ctx.actor.id.0)
            .bind(&department)
            .bind(m.caller.kind.as_str())
            .bind(&caller_key)
            .bind(&caller_sealed)
            // The plaintext column of the first schema; never written.
            .bind("")
            .bind(&phone_index)
            .bind(m.matter_type.as_str())
            .bind(&m.category)
            .bind(&m.content)
            .bind(&m.location.address)
            .bind(&m.location.area_code)
            .bind(coords.map(|c| c.0))
            .bind(coords.map(|c| c.1))
            .bind(m.sensitive)
            .bind(status.as_str())
            .bind(answer)
            .bind(reply_at)
            .bind(closed_at)
            .bind(now_ms)
            .bind(GENESIS)
            .bind(m.urgent)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))
        .map_err(|e| StoreError::on_unique(e, "number_taken"))?;

        let received = json!({
            "number": number,
            "channel": m.channel,
            "received_at": to_millis(m.received_at),
            "ring_seconds": m.ring_seconds,
            "arrived_at": m.arrived_at.map(to_millis),
            "type": m.matter_type,
            "category": m.category,
            "department": department,
            "sensitive": m.sensitive,
            "urgent": m.urgent,
            "caller_kind": m.caller.kind,
            "caller_sha256": digest(&format!(
                "{}\n{}\n{}",
                m.caller.name.as_deref().unwrap_or(""),
                m.caller.organization.as_deref().unwrap_or(""),
                m.caller.phone.as_str()
            )),
            "content_sha256": digest(&m.content),
            "location_sha256": m.location.address.as_deref().map(digest),
            "agreed_reply_at": reply_at,
        });
        append_event(tx, id, Some(ctx.actor.id), "received", &received, ctx.now).await?;
        if let Resolution::ReplyBy(t) = &m.resolution {
            // The agreed reply time is the clock's due time as agreed, not a
            // policy limit.
            crate::deadlines::insert(
                tx,
                id,
                aiwei_core::deadline::DeadlineKind::ReplyDue,
                m.received_at,
                *t,
                clocks.policy.warn_at(m.received_at, *t),
                clocks.version,
            )
            .await?;
        }
        if let Some(a) = answer {
            let answered = json!({ "answer_sha256": digest(a), "status": status });
            append_event(tx, id, Some(ctx.actor.id), "answered", &answered, ctx.now).await?;
        }
        Ok(id)
    }

    pub async fn matter(&self, id: MatterId) -> Result<Matter, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("{MATTER_SELECT} WHERE m.id = $1"));
        let row = on_pool!(&self.db, p => sqlx::query_as::<_, MatterRow>(sql)
            .bind(id.0)
            .fetch_optional(p)
            .await)?;
        self.complete(self.open_matter(row.ok_or(StoreError::NotFound)?)?)
            .await
    }

    /// Adds what the ledger's list query leaves out.
    async fn complete(&self, mut m: Matter) -> Result<Matter, StoreError> {
        m.co_departments = on_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT department_code FROM matter_departments WHERE matter_id = $1 ORDER BY department_code")
            .bind(m.id.0)
            .fetch_all(p)
            .await)?;
        Ok(m)
    }

    /// A matter by id or number, read only if it lies within `scope`:
    /// `NotFound` alike when it does not exist and when it may not be seen.
    /// One query, the same rule as the ledger.
    pub async fn matter_in_scope(
        &self,
        key: &MatterKey,
        scope: &Scope,
    ) -> Result<Matter, StoreError> {
        let row = on_pool!(&self.db, p => {
            let mut q = sqlx::QueryBuilder::new(MATTER_SELECT);
            match key {
                MatterKey::Id(id) => q.push(" WHERE m.id = ").push_bind(id.0),
                MatterKey::Number(n) => q.push(" WHERE m.number = ").push_bind(n.to_string()),
            };
            push_scope!(q, scope);
            q.build_query_as::<MatterRow>().fetch_optional(p).await
        })?;
        self.complete(self.open_matter(row.ok_or(StoreError::NotFound)?)?)
            .await
    }

    pub async fn matter_by_number(&self, number: &MatterNumber) -> Result<Matter, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("{MATTER_SELECT} WHERE m.number = $1"));
        let row = on_pool!(&self.db, p => sqlx::query_as::<_, MatterRow>(sql)
            .bind(number.to_string())
            .fetch_optional(p)
            .await)?;
        self.complete(self.open_matter(row.ok_or(StoreError::NotFound)?)?)
            .await
    }

    /// The timeline of a matter, oldest first.
    pub async fn events(&self, id: MatterId) -> Result<Vec<Event>, StoreError> {
        let rows = on_pool!(&self.db, p => sqlx::query_as::<_, EventRow>(
            "SELECT e.seq, e.at, e.actor, u.display_name AS actor_name, e.kind, e.payload, e.hash
             FROM matter_events e LEFT JOIN users u ON u.id = e.actor
             WHERE e.matter_id = $1 ORDER BY e.seq")
            .bind(id.0)
            .fetch_all(p)
            .await)?;
        let texts: Vec<(i64, String, String)> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT seq, field, body FROM matter_texts WHERE matter_id = $1 ORDER BY seq, field")
            .bind(id.0)
            .fetch_all(p)
            .await)?;
        rows.into_iter()
            .map(|r| {
                Ok(Event {
                    texts: texts
                        .iter()
                        .filter(|(seq, _, _)| *seq == r.seq)
                        .map(|(_, f, b)| (f.clone(), b.clone()))
                        .collect(),
                    seq: r.seq,
                    at: from_millis(r.at),
                    actor: r.actor.map(UserId),
                    actor_name: r.actor_name,
                    kind: r.kind,
                    payload: serde_json::from_str(&r.payload)
                        .map_err(|_| StoreError::Corrupt("event payload".into()))?,
                    hash: r.hash,
                })
            })
            .collect()
    }

    /// One page of the ledger, newest first, and the cursor of the next page
    /// when there is one. Keyset pagination: the cost of a page does not grow
    /// with how deep it lies.
    pub async fn ledger(
        &self,
        filter: &LedgerFilter,
        scope: &Scope,
        after: Option<Cursor>,
        limit: u32,
    ) -> Result<(Vec<Matter>, Option<Cursor>), StoreError> {
        let limit = limit.clamp(1, 500) as i64;
        let mut rows: Vec<MatterRow> = on_pool!(&self.db, p => {
            let mut q = sqlx::QueryBuilder::new(MATTER_PAGE_HEAD);
            push_scope!(q, scope);
            if let Some(t) = filter.matter_type {
                q.push(" AND m.matter_type = ").push_bind(t.as_str());
            }
            if let Some(s) = filter.status {
                q.push(" AND m.status = ").push_bind(s.as_str());
            }
            if let Some(c) = filter.channel {
                q.push(" AND m.channel = ").push_bind(c.as_str());
            }
            if let Some(d) = &filter.department {
                q.push(" AND m.department = ").push_bind(d.clone());
            }
            if let Some(c) = &filter.category {
                q.push(" AND (m.category = ").push_bind(c.clone());
                // Children share the parent's code as a prefix; `_` and `%`
                // in a code are literal, not wildcards.
                let prefix = c.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
                q.push(" OR m.category LIKE ").push_bind(format!("{prefix}.%"));
                q.push(" ESCAPE '\\'");
                q.push(")");
            }
            if let Some(f) = filter.received_from {
                q.push(" AND m.received_at >= ").push_bind(to_millis(f));
            }
            if let Some(t) = filter.received_to {
                q.push(" AND m.received_at < ").push_bind(to_millis(t));
            }
            if !filter.phone_index.is_empty() {
                q.push(" AND m.caller_phone_hash IN (");
                let mut sep = q.separated(", ");
                for h in &filter.phone_index {
                    sep.push_bind(h.clone());
                }
                sep.push_unseparated(")");
            }
            if let Some(c) = after {
                q.push(" AND (m.received_at, m.id) < (")
                    .push_bind(c.received_at_ms)
                    .push(", ")
                    .push_bind(c.id)
                    .push(")");
            }
            q.push(" ORDER BY m.received_at DESC, m.id DESC LIMIT ").push_bind(limit + 1);
            q.push(MATTER_PAGE_TAIL);
            q.push(" ORDER BY m.received_at DESC, m.id DESC");
            q.build_query_as::<MatterRow>().fetch_all(p).await
        })?;
        let next = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|r| Cursor {
                received_at_ms: r.received_at,
                id: r.id,
            })
        } else {
            None
        };
        let matters = rows
            .into_iter()
            .map(|r| self.open_matter(r))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((matters, next))
    }

    /// A caller's earlier matters, newest first, found by the blind index of
    /// the phone number.
    pub async fn caller_history(
        &self,
        phone: &aiwei_core::PhoneNumber,
        scope: &Scope,
        limit: u32,
    ) -> Result<Vec<Matter>, StoreError> {
        let filter = LedgerFilter {
            phone_index: self.keys.phone_indexes(phone)?,
            ..Default::default()
        };
        Ok(self.ledger(&filter, scope, None, limit).await?.0)
    }
}

/// Appends one event to a matter's chain inside `tx`, and moves the matter's
/// chain head. The matter row is locked for the rest of the transaction, so
/// two writers cannot both append event N.
pub async fn append_event(
    tx: &mut Tx,
    matter: MatterId,
    actor: Option<UserId>,
    kind: &str,
    payload: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    // Dialect: PostgreSQL needs an explicit row lock; SQLite already holds
    // the database's write lock (BEGIN IMMEDIATE).
    let head_sql = match tx.backend() {
        Backend::Postgres => "SELECT event_count, last_hash FROM matters WHERE id = $1 FOR UPDATE",
        Backend::Sqlite => "SELECT event_count, last_hash FROM matters WHERE id = $1",
    };
    let (count, prev): (i64, String) =
        on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(head_sql))
        .bind(matter.0)
        .fetch_optional(c)
        .await)?
        .ok_or(StoreError::NotFound)?;
    let seq = count + 1;
    let payload =
        serde_json::to_string(payload).map_err(|_| StoreError::Corrupt("event payload".into()))?;
    let at_ms = to_millis(now);
    let hash = chain::link_hash(
        &prev,
        &Link {
            matter_id: matter,
            seq,
            at_ms,
            actor,
            kind,
            payload: &payload,
        },
    );
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO matter_events (matter_id, seq, at, actor, kind, payload, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(matter.0)
        .bind(seq)
        .bind(at_ms)
        .bind(actor.map(|a| a.0))
        .bind(kind)
        .bind(&payload)
        .bind(&prev)
        .bind(&hash)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if let Some(actor) = actor {
        name_on_matter(tx, matter, actor).await?;
    }
    on_tx!(tx, c => sqlx::query(
        "UPDATE matters SET event_count = $1, last_hash = $2, updated_at = $3 WHERE id = $4")
        .bind(seq)
        .bind(&hash)
        .bind(at_ms)
        .bind(matter.0)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(seq)
}

/// Appends an event whose free texts are kept beside the chain: the payload
/// gets each text's digest as `<field>_sha256`, the texts go to
/// `matter_texts`.
pub async fn append_event_with_texts(
    tx: &mut Tx,
    matter: MatterId,
    actor: Option<UserId>,
    kind: &str,
    mut payload: serde_json::Map<String, serde_json::Value>,
    texts: &[(&str, String)],
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    for (field, text) in texts {
        payload.insert(format!("{field}_sha256"), json!(digest(text)));
    }
    let seq = append_event(
        tx,
        matter,
        actor,
        kind,
        &serde_json::Value::Object(payload),
        now,
    )
    .await?;
    for (field, text) in texts {
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO matter_texts (matter_id, seq, field, body) VALUES ($1, $2, $3, $4)")
            .bind(matter.0)
            .bind(seq)
            .bind(*field)
            .bind(text)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok(seq)
}

/// Names `user` on `matter`: they took a step on it or received
/// a disclosure, so they see it even when it is sensitive.
pub(crate) async fn name_on_matter(
    tx: &mut Tx,
    matter: MatterId,
    user: UserId,
) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO matter_people (matter_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(matter.0)
        .bind(user.0)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = Cursor {
            received_at_ms: 1_764_000_000_000,
            id: Uuid::now_v7(),
        };
        assert_eq!(c.to_string().parse::<Cursor>().unwrap(), c);
        assert!("x".parse::<Cursor>().is_err());
        assert!("1.2".parse::<Cursor>().is_err());
    }
}
