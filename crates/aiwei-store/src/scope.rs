//! The SQL reading of an access condition ([`aiwei_core::access::Cond`]).
//!
//! Who sees which matters, and which matters wait in whose queue, is decided
//! in the core as a predicate tree; this module only translates each node
//! into SQL over `matters m`, with every value bound, never formatted into
//! the text. The same tree is evaluated in memory by the core, and a test
//! holds the two readings to the same answers on both backends.

use aiwei_core::access::Cond;
use aiwei_core::{DisclosedField, DisclosureStatus};
use sqlx::{Database, Encode, QueryBuilder, Type};
use uuid::Uuid;

/// Appends ` AND (<c>)` to a query over `matters m`; nothing when `c` always
/// holds, so the planner sees the same query as without a condition.
pub(crate) fn push_and<DB>(q: &mut QueryBuilder<DB>, c: &Cond)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> Uuid: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    if *c != Cond::True {
        q.push(" AND ");
        push_cond(q, c);
    }
}

/// Appends the SQL of `c`, parenthesised.
pub(crate) fn push_cond<DB>(q: &mut QueryBuilder<DB>, c: &Cond)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> Uuid: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    fn list<DB>(q: &mut QueryBuilder<DB>, values: impl IntoIterator<Item = String>)
    where
        DB: Database,
        for<'t> String: Encode<'t, DB> + Type<DB>,
    {
        q.push(" IN (");
        let mut sep = q.separated(", ");
        for v in values {
            sep.push_bind(v);
        }
        sep.push_unseparated(")");
    }
    match c {
        Cond::True => {
            q.push("(1=1)");
        }
        Cond::False => {
            q.push("(1=0)");
        }
        Cond::All(cs) | Cond::Any(cs) => {
            let joint = if matches!(c, Cond::All(_)) {
                " AND "
            } else {
                " OR "
            };
            q.push("(");
            for (i, part) in cs.iter().enumerate() {
                if i > 0 {
                    q.push(joint);
                }
                push_cond(q, part);
            }
            q.push(")");
        }
        Cond::Not(inner) => {
            q.push("(NOT ");
            push_cond(q, inner);
            q.push(")");
        }
        Cond::Sensitive => {
            q.push("(m.sensitive = TRUE)");
        }
        Cond::CallerToBeTold => {
            q.push("(m.caller_to_be_told = TRUE)");
        }
        Cond::TypeIn(ts) => {
            q.push("(m.matter_type");
            list(q, ts.iter().map(|t| t.as_str().to_owned()));
            q.push(")");
        }
        Cond::StatusIn(ss) => {
            q.push("(m.status");
            list(q, ss.iter().map(|s| s.as_str().to_owned()));
            q.push(")");
        }
        Cond::ReceivedBy(ds) => {
            q.push("(m.department");
            list(q, ds.iter().cloned());
            q.push(")");
        }
        Cond::LedBy(ds) => {
            q.push("(m.lead_department");
            list(q, ds.iter().cloned());
            q.push(")");
        }
        Cond::CoHandledBy(ds) => {
            q.push(
                "(EXISTS (SELECT 1 FROM matter_departments md \
                 WHERE md.matter_id = m.id AND md.department_code",
            );
            list(q, ds.iter().cloned());
            q.push("))");
        }
        Cond::RecordedBy(u) => {
            q.push("(m.intake_user = ").push_bind(u.0).push(")");
        }
        Cond::NamedOn(u) => {
            q.push(
                "(EXISTS (SELECT 1 FROM matter_people mp \
                 WHERE mp.matter_id = m.id AND mp.user_id = ",
            )
            .push_bind(u.0)
            .push("))");
        }
        Cond::ContentGranted { user, at_ms } => {
            // `fields` holds the disclosed fields comma-separated.
            q.push(
                "(EXISTS (SELECT 1 FROM disclosures dz \
                 WHERE dz.matter_id = m.id AND dz.recipient = ",
            )
            .push_bind(user.0)
            .push(" AND dz.status = ")
            .push_bind(DisclosureStatus::Signed.as_str().to_owned())
            .push(" AND dz.expires_at > ")
            .push_bind(*at_ms)
            .push(" AND dz.fields LIKE ")
            .push_bind(format!("%{}%", DisclosedField::Content.as_str()))
            .push("))");
        }
    }
}
