//! The closed vocabularies of the regulation: roles, channels, matter types
//! statuses and caller kinds. Each has a stable snake_case code used
//! in the database, the API and as the UI's message key.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// Declares an enum whose variants map one-to-one onto stable codes.
macro_rules! code_enum {
    ($(#[$doc:meta])* $name:ident, $field:literal { $($variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }

            /// Parses a stable code; the error names the API field.
            pub fn parse(raw: &str) -> Result<Self, FieldError> {
                match raw.trim() {
                    $($code => Ok($name::$variant),)+
                    _ => Err(FieldError::new($field, "unknown_value")),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

code_enum!(
    /// What a staff member may do (DESIGN.md "Who uses it"). A user may hold
    /// several roles.
    Role, "role" {
        Intake => "intake",
        Handler => "handler",
        DeptLead => "dept_lead",
        LeadingGroup => "leading_group",
        Supervisor => "supervisor",
        Auditor => "auditor",
        Admin => "admin",
    }
);

code_enum!(
    /// How a matter reached the organisation.
    Channel, "channel" {
        Phone => "phone",
        Visit => "visit",
    }
);

code_enum!(
    /// The classification of.
    MatterType, "type" {
        Consultation => "consultation",
        Complaint => "complaint",
        Suggestion => "suggestion",
        Other => "other",
    }
);

code_enum!(
    /// Where a matter stands in its flow (see `flow`). `received` matters
    /// wait at intake (for an answer, dispatch or submission); `closed` ones
    /// are finished.
    MatterStatus, "status" {
        Received => "received",
        Coordinating => "coordinating",
        Dispatched => "dispatched",
        Signed => "signed",
        OnSite => "on_site",
        Rectifying => "rectifying",
        Completed => "completed",
        FedBack => "fed_back",
        Evaluating => "evaluating",
        Implementing => "implementing",
        Decided => "decided",
        Handling => "handling",
        Closed => "closed",
    }
);

code_enum!(
    /// Who called or visited (R-1.2: people and organisations alike).
    CallerKind, "caller.kind" {
        Person => "person",
        Organization => "organization",
    }
);

code_enum!(
    /// What may be disclosed: a caller field, or `content`,
    /// a sensitive matter itself, seen while the grant is open.
    DisclosedField, "field" {
        Name => "name",
        Organization => "organization",
        Phone => "phone",
        Content => "content",
    }
);

code_enum!(
    /// Where a disclosure of caller data stands.
    DisclosureStatus, "status" {
        Requested => "requested",
        Approved => "approved",
        Refused => "refused",
        Signed => "signed",
        Expired => "expired",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()).unwrap(), *r);
            assert_eq!(
                serde_json::to_string(r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
        for t in MatterType::ALL {
            assert_eq!(MatterType::parse(t.as_str()).unwrap(), *t);
        }
    }

    #[test]
    fn unknown_codes_name_the_field() {
        assert_eq!(
            MatterType::parse("praise").unwrap_err(),
            FieldError::new("type", "unknown_value")
        );
        assert_eq!(CallerKind::parse("robot").unwrap_err().field, "caller.kind");
    }
}
