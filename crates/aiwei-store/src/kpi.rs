//! The facts of a period that the assessment indicators are computed from
//! ([`aiwei_core::kpi`], docs/KPI.md): the store reads them, the core
//! counts them. Every query reads the period through an index on the time
//! it selects by (migration 0025).

use aiwei_core::deadline::DeadlineKind;
use aiwei_core::kpi::{
    Causes, Clock, Extension, Facts, FedBack, Finished, Handled, Owners, Period, Received, Revisit,
};
use aiwei_core::time::{day_key, from_millis, to_millis};
use aiwei_core::{
    Channel, ClockState, EventKind, ExtensionStatus, MatterType, Satisfaction, UserId,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::Store;
use crate::db::Backend;
use crate::error::StoreError;

fn owners(intake_user: Uuid, office: Option<String>, lead: Option<String>) -> Owners {
    Owners {
        intake_user: UserId(intake_user),
        office,
        lead,
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("kpi {what}"))
}

/// A matter received in the period: recorder, office, lead, channel, ring
/// seconds, arrival, receipt, type, category, area.
type ReceivedRow = (
    Uuid,
    Option<String>,
    Option<String>,
    String,
    Option<i32>,
    Option<i64>,
    i64,
    String,
    Option<String>,
    Option<String>,
);

/// A matter closed in the period: recorder, office, lead, receipt,
/// closing, and whether it was returned, redone, reclassified after
/// dispatch, its answer corrected.
type HandledRow = (
    Uuid,
    Option<String>,
    Option<String>,
    i64,
    i64,
    Flag,
    Flag,
    Flag,
    Flag,
);

/// A step of the period joined to its matter: recorder, office, lead, the
/// step's payload when asked for, and whether a later step followed it.
type StepRow = (Uuid, Option<String>, Option<String>, Option<String>, Flag);

/// A truth value as the JSON of either backend writes it: `true` on
/// PostgreSQL, `1` on SQLite.
#[derive(Debug, Clone, Copy)]
struct Flag(bool);

impl<'de> serde::Deserialize<'de> for Flag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Flag;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a boolean, 0 or 1")
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Flag, E> {
                Ok(Flag(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Flag, E> {
                Ok(Flag(v != 0))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Flag, E> {
                Ok(Flag(v != 0))
            }
        }
        d.deserialize_any(V)
    }
}

/// How a column goes into the JSON array its row is handed over as.
#[derive(Clone, Copy)]
enum Col {
    /// Text, numbers and SQL NULL, as they are.
    Plain,
    /// An id: a blob on SQLite, which JSON cannot hold, so written as hex.
    Uuid,
}

/// The select list that hands a query's rows over as one JSON array of
/// arrays, one per row, in the order of `cols`.
///
/// A month at city scale has tens of thousands of matters and steps, and
/// sqlx's SQLite worker hands rows over one at a time, each a wake-up of
/// the task that reads them: 28,000 rows took 660–770 ms in the server,
/// and 200 ms as one JSON value. Both backends build it, and one value
/// crosses over.
fn json_rows(backend: Backend, cols: &[(&str, Col)]) -> String {
    let cols = cols
        .iter()
        .map(|(expr, col)| match (backend, col) {
            (Backend::Sqlite, Col::Uuid) => format!("hex({expr})"),
            (Backend::Postgres, Col::Uuid) => format!("CAST({expr} AS TEXT)"),
            (_, Col::Plain) => (*expr).to_owned(),
        })
        .collect::<Vec<_>>()
        .join(", ");
    match backend {
        Backend::Sqlite => format!("SELECT COALESCE(json_group_array(json_array({cols})), '[]')"),
        Backend::Postgres => {
            format!("SELECT CAST(COALESCE(json_agg(json_build_array({cols})), '[]') AS TEXT)")
        }
    }
}

/// The rows of a query built with [`json_rows`].
fn parse_rows<T: serde::de::DeserializeOwned>(
    json: &str,
    what: &str,
) -> Result<Vec<T>, StoreError> {
    serde_json::from_str(json).map_err(|_| corrupt(what))
}

/// The owners of a matter as the JSON rows write them.
const OWNERS: [(&str, Col); 3] = [
    ("m.intake_user", Col::Uuid),
    ("m.department", Col::Plain),
    ("m.lead_department", Col::Plain),
];

/// A matter's owners, then `cols`: how every row of the facts begins.
fn owned<'a>(cols: &[(&'a str, Col)]) -> Vec<(&'a str, Col)> {
    OWNERS.iter().chain(cols).copied().collect()
}

/// Clocks alike, counted.
#[derive(sqlx::FromRow)]
struct ClockRow {
    kind: String,
    state: String,
    intake_user: Uuid,
    department: Option<String>,
    lead_department: Option<String>,
    n: i64,
}

impl Store {
    /// Everything the indicators of `period` read; open clocks are judged
    /// overdue as of `min(end, now)`. A period is whole local days, which
    /// is what lets the clocks be read by the day.
    pub async fn kpi_facts(&self, period: Period, now: DateTime<Utc>) -> Result<Facts, StoreError> {
        let (start, end) = period.span();
        let (s, e) = (to_millis(start), to_millis(end));
        let until = to_millis(end.min(now));

        let backend = self.backend();
        let sql = format!(
            "{} FROM matters m WHERE m.received_at >= $1 AND m.received_at < $2",
            json_rows(
                backend,
                &owned(&[
                    ("m.channel", Col::Plain),
                    ("m.ring_seconds", Col::Plain),
                    ("m.arrived_at", Col::Plain),
                    ("m.received_at", Col::Plain),
                    ("m.matter_type", Col::Plain),
                    ("m.category", Col::Plain),
                    ("m.area_code", Col::Plain),
                ])
            )
        );
        // Built from constants only.
        let json: String = on_pool!(&self.db, p => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
            .bind(s)
            .bind(e)
            .fetch_one(p)
            .await)?;
        let received = parse_rows::<ReceivedRow>(&json, "matters received")?
            .into_iter()
            .map(
                |(user, office, lead, channel, ring, arrived, received, ty, category, area)| {
                    Ok(Received {
                        owners: owners(user, office, lead),
                        channel: Channel::from_code(&channel).ok_or_else(|| corrupt("channel"))?,
                        ring_seconds: ring,
                        arrived_at: arrived.map(from_millis),
                        received_at: from_millis(received),
                        matter_type: MatterType::from_code(&ty).ok_or_else(|| corrupt("type"))?,
                        category,
                        area,
                    })
                },
            )
            .collect::<Result<Vec<_>, StoreError>>()?;

        // A reclassification can only happen at intake; after a dispatch
        // it means the matter came back (docs/KPI.md).
        let sql = format!(
            "{} FROM matters m
             WHERE m.closed_at >= $1 AND m.closed_at < $2 AND m.merged_into IS NULL",
            json_rows(
                backend,
                &owned(&[
                    ("m.received_at", Col::Plain),
                    ("m.closed_at", Col::Plain),
                    ("(m.return_count > 0)", Col::Plain),
                    ("(m.redo_count > 0)", Col::Plain),
                    // Sets read once through the kind index, not probes per
                    // matter: PostgreSQL probed the kind index and filtered
                    // by matter, a scan of every such event per matter.
                    (
                        "(m.id IN (SELECT r.matter_id FROM matter_events r
                                   WHERE r.kind = $3
                                     AND EXISTS (SELECT 1 FROM matter_events d
                                                 WHERE d.matter_id = r.matter_id AND d.kind = $4
                                                   AND d.seq < r.seq)))",
                        Col::Plain
                    ),
                    (
                        "(m.id IN (SELECT c.matter_id FROM matter_events c WHERE c.kind = $5))",
                        Col::Plain
                    ),
                ])
            )
        );
        // Built from constants only.
        let json: String = on_pool!(&self.db, p => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
            .bind(s)
            .bind(e)
            .bind(EventKind::Reclassified.as_str())
            .bind(EventKind::Dispatched.as_str())
            .bind(EventKind::AnswerCorrected.as_str())
            .fetch_one(p)
            .await)?;
        let handled = parse_rows::<HandledRow>(&json, "matters handled")?
            .into_iter()
            .map(
                |(
                    user,
                    office,
                    lead,
                    received,
                    closed,
                    returned,
                    redone,
                    reclassified,
                    corrected,
                )| {
                    Handled {
                        owners: owners(user, office, lead),
                        received_at: from_millis(received),
                        closed_at: from_millis(closed),
                        causes: Causes {
                            reclassified_after_dispatch: reclassified.0,
                            returned: returned.0,
                            redone: redone.0,
                            answer_corrected: corrected.0,
                        },
                    }
                },
            )
            .collect();

        let revisits = self
            .steps(
                s,
                e,
                &[EventKind::Revisited, EventKind::RedoOrdered],
                &[],
                None,
                true,
            )
            .await?
            .into_iter()
            .map(|(user, office, lead, payload, _)| {
                let v: serde_json::Value = serde_json::from_str(payload.as_deref().unwrap_or(""))
                    .map_err(|_| corrupt("payload"))?;
                let satisfaction = v["satisfaction"]
                    .as_str()
                    .and_then(Satisfaction::from_code)
                    .ok_or_else(|| corrupt("satisfaction"))?;
                Ok(Revisit {
                    owners: owners(user, office, lead),
                    satisfaction,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;

        let finished = self
            .steps(
                s,
                e,
                &[EventKind::Completed, EventKind::ResultRecorded],
                &[EventKind::FeedbackGiven],
                None,
                false,
            )
            .await?
            .into_iter()
            .map(|(user, office, lead, _, followed)| Finished {
                owners: owners(user, office, lead),
                fed_back: followed.0,
            })
            .collect();

        let fed_back = self
            .steps(
                s,
                e,
                &[EventKind::FeedbackGiven],
                &[EventKind::Revisited, EventKind::RedoOrdered],
                Some(MatterType::Complaint),
                false,
            )
            .await?
            .into_iter()
            .map(|(user, office, lead, _, followed)| FedBack {
                owners: owners(user, office, lead),
                revisited: followed.0,
            })
            .collect();

        // Ended clocks say whether they were late; open ones do not.
        let clock = |r: ClockRow, ended: bool| {
            Ok(Clock {
                kind: DeadlineKind::from_code(&r.kind).ok_or_else(|| corrupt("clock"))?,
                owners: owners(r.intake_user, r.department, r.lead_department),
                late: ended.then(|| r.state == ClockState::Late.as_str()),
                n: u64::try_from(r.n).map_err(|_| corrupt("clock count"))?,
            })
        };
        let ended = self.ended_clocks(day_key(start), day_key(end)).await?;
        let open = self.overdue_clocks(e, until).await?;
        let clocks = ended
            .into_iter()
            .map(|r| clock(r, true))
            .chain(open.into_iter().map(|r| clock(r, false)))
            .collect::<Result<Vec<_>, StoreError>>()?;

        let returns = self
            .steps(s, e, &[EventKind::Returned], &[], None, true)
            .await?
            .into_iter()
            .map(|(_, _, _, payload, _)| {
                let v: serde_json::Value = serde_json::from_str(payload.as_deref().unwrap_or(""))
                    .map_err(|_| corrupt("payload"))?;
                Ok(v["department"].as_str().unwrap_or_default().to_owned())
            })
            .collect::<Result<Vec<_>, StoreError>>()?;

        let extensions = on_pool!(&self.db, p => sqlx::query_as::<_, (Option<String>, String)>(
            "SELECT m.lead_department, x.state
             FROM extension_requests x JOIN matters m ON m.id = x.matter_id
             WHERE x.created_at >= $1 AND x.created_at < $2")
            .bind(s)
            .bind(e)
            .fetch_all(p)
            .await)?
        .into_iter()
        .map(|(lead, state)| Extension {
            lead,
            approved: state == ExtensionStatus::Approved.as_str(),
        })
        .collect();

        Ok(Facts {
            received,
            handled,
            revisits,
            finished,
            fed_back,
            clocks,
            returns,
            extensions,
        })
    }

    /// The clocks that ended met or late on the local days from `first` up
    /// to `end` (`aiwei_core::time::day_key`), counted by kind,
    /// outcome and owners: read from the clocks' tally (migration 0034), a
    /// few rows a day, instead of the clocks.
    async fn ended_clocks(&self, first: i64, end: i64) -> Result<Vec<ClockRow>, StoreError> {
        Ok(on_pool!(&self.db, p => sqlx::query_as::<_, ClockRow>(
            "SELECT kind, state, intake_user,
                    NULLIF(department, '') AS department,
                    NULLIF(lead_department, '') AS lead_department,
                    CAST(SUM(n) AS BIGINT) AS n
             FROM (SELECT day, kind, state, intake_user, department, lead_department, n
                   FROM clock_tally
                   UNION ALL
                   SELECT day, kind, state, intake_user, department, lead_department, n
                   FROM clock_tally_delta) t
             WHERE day >= $1 AND day < $2 AND state IN ($3, $4)
             GROUP BY kind, state, intake_user, department, lead_department
             HAVING SUM(n) <> 0")
            .bind(first)
            .bind(end)
            .bind(ClockState::Met.as_str())
            .bind(ClockState::Late.as_str())
            .fetch_all(p)
            .await)?)
    }

    /// The clocks open and past due at a period's end `e` (as of `until`,
    /// `min(e, now)`): still open now, or ended after the period
    /// (docs/KPI.md), counted by kind and owners.
    async fn overdue_clocks(&self, e: i64, until: i64) -> Result<Vec<ClockRow>, StoreError> {
        // One that ended after the period while due before its end ended
        // late or was cancelled: a clock met ends by its due time. Naming
        // those states, as the partial index `deadlines_overran` does,
        // reads them alone instead of every clock ended since (a year's
        // clocks for a month a year back: 250 ms at 1,000,000 matters, 2 ms
        // through the index). SQLite keeps no statistics and picks
        // `deadlines_ended` unless told. The codes are the program's own
        // constants, never input.
        let overran = format!(
            "d.state IN ('{}', '{}')",
            ClockState::Late.as_str(),
            ClockState::Cancelled.as_str()
        );
        let hint = match self.backend() {
            Backend::Sqlite => "INDEXED BY deadlines_overran",
            Backend::Postgres => "",
        };
        let sql = format!(
            "SELECT kind, state, intake_user, department,
                    lead_department, COUNT(*) AS n
             FROM (
                 SELECT d.kind, d.state, m.intake_user, m.department, m.lead_department
                 FROM deadlines d JOIN matters m ON m.id = d.matter_id
                 WHERE d.ended_at IS NULL AND d.due_at < $2
                 UNION ALL
                 SELECT d.kind, d.state, m.intake_user, m.department, m.lead_department
                 FROM deadlines d {hint} JOIN matters m ON m.id = d.matter_id
                 WHERE {overran} AND d.ended_at >= $1 AND d.due_at < $2 AND d.started_at < $1
             ) c
             GROUP BY kind, state, intake_user, department, lead_department"
        );
        Ok(
            on_pool!(&self.db, p => sqlx::query_as::<_, ClockRow>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(e)
            .bind(until)
            .fetch_all(p)
            .await)?,
        )
    }

    /// The steps of `kinds` taken in `[s, e)` (on matters of `only` type
    /// when given), each with its payload when `payload` and whether one of
    /// `then` followed it on the same matter. A merged matter's own
    /// caller's steps count like any other.
    async fn steps(
        &self,
        s: i64,
        e: i64,
        kinds: &[EventKind],
        then: &[EventKind],
        only: Option<MatterType>,
        payload: bool,
    ) -> Result<Vec<StepRow>, StoreError> {
        let list = |ks: &[EventKind]| {
            ks.iter()
                .map(|k| format!("'{}'", k.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        // The codes are the program's own constants, never input.
        let followed = if then.is_empty() {
            "FALSE".to_owned()
        } else {
            format!(
                "EXISTS (SELECT 1 FROM matter_events f WHERE f.matter_id = e.matter_id
                         AND f.kind IN ({}) AND f.seq > e.seq)",
                list(then)
            )
        };
        let select = json_rows(
            self.backend(),
            &owned(&[
                (if payload { "e.payload" } else { "NULL" }, Col::Plain),
                (&followed, Col::Plain),
            ]),
        );
        let sql = format!(
            "{select}
             FROM matter_events e JOIN matters m ON m.id = e.matter_id
             WHERE e.kind IN ({}) AND e.at >= $1 AND e.at < $2
               AND ($3 = '' OR m.matter_type = $3)",
            list(kinds)
        );
        let json: String = on_pool!(&self.db, p => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
            .bind(s)
            .bind(e)
            .bind(only.map(MatterType::as_str).unwrap_or_default())
            .fetch_one(p)
            .await)?;
        parse_rows(&json, "steps")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_rows_read_either_backends_values() {
        // SQLite writes an id as upper-case hex and a truth value as 0 or
        // 1; PostgreSQL as a hyphenated id and true or false.
        let rows: Vec<StepRow> = parse_rows(
            r#"[["01A22F2FB3E273E7B4A4B13490D6D423", "AWB", null, null, 1],
                ["01a22f2f-b3e2-73e7-b4a4-b13490d6d423", null, "HJWS", "{}", false]]"#,
            "steps",
        )
        .unwrap();
        assert_eq!(rows[0].0, rows[1].0);
        assert_eq!(rows[0].1.as_deref(), Some("AWB"));
        assert!(rows[0].4.0);
        assert!(!rows[1].4.0);
        assert_eq!(rows[1].3.as_deref(), Some("{}"));
        assert!(parse_rows::<StepRow>(r#"[["x", null, null, null, 1]]"#, "steps").is_err());
        assert!(
            parse_rows::<StepRow>(
                r#"[["01a22f2f-b3e2-73e7-b4a4-b13490d6d423", null, null, null, "yes"]]"#,
                "steps"
            )
            .is_err()
        );
        assert!(json_rows(Backend::Sqlite, &OWNERS).starts_with(
            "SELECT COALESCE(json_group_array(json_array(hex(m.intake_user), m.department"
        ));
        assert!(json_rows(Backend::Postgres, &OWNERS).contains("CAST(m.intake_user AS TEXT)"));
    }
}
