//! Typed identifiers, so a matter id can never be passed where a user id is
//! expected and a department code is known to be well formed wherever it
//! travels.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{ErrorCode, FieldError};

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new time-ordered (v7) id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// Internal id of a matter (事项), a UUIDv7 so ids sort by creation time.
    MatterId
);
uuid_id!(
    /// Internal id of a staff account.
    UserId
);
uuid_id!(
    /// Id of a knowledge-base article (知识库条目), a UUIDv7.
    ArticleId
);

/// Short code of a department, e.g. `HJWS` for 环境卫生科: ASCII letters,
/// digits, `-` and `_`, at most 32 characters, stored upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DepartmentCode(String);

/// The longest department code.
pub const MAX_DEPARTMENT_CODE: usize = 32;

impl DepartmentCode {
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        if s.is_empty() {
            return Err(FieldError::new("department", ErrorCode::Required));
        }
        if s.len() > MAX_DEPARTMENT_CODE
            || !s
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(FieldError::new("department", ErrorCode::InvalidCode));
        }
        Ok(Self(s.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DepartmentCode {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<DepartmentCode> for String {
    fn from(value: DepartmentCode) -> Self {
        value.0
    }
}

impl fmt::Display for DepartmentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A staff login name: 2–64 characters of lower-case ASCII letters, digits,
/// `.`, `_` and `-`. Login names are compared case-insensitively, so they are
/// stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

/// How long a login name may be, in characters.
pub const USERNAME_LEN: std::ops::RangeInclusive<usize> = 2..=64;

impl Username {
    /// Checks a name as given (no blanks trimmed: a login form trims what
    /// a person typed before asking), folding case.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.to_ascii_lowercase();
        if s.is_empty() {
            return Err(FieldError::new("username", ErrorCode::Required));
        }
        if !USERNAME_LEN.contains(&s.len())
            || !s
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(FieldError::new("username", ErrorCode::InvalidUsername));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Username {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Username> for String {
    fn from(value: Username) -> Self {
        value.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The human number of a matter, `AW2026-000123`: a configurable prefix of
/// ASCII capital letters, the year of receipt and a per-year sequence that is
/// never reused. Six digits are the minimum width, not a limit: the millionth
/// matter of a year is `AW2026-1000000`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MatterNumber {
    prefix: String,
    year: i32,
    seq: u64,
}

impl MatterNumber {
    pub fn new(prefix: &str, year: i32, seq: u64) -> Result<Self, FieldError> {
        if !valid_prefix(prefix) {
            return Err(FieldError::new("number_prefix", ErrorCode::InvalidPrefix));
        }
        if !(1000..=9999).contains(&year) || seq == 0 {
            return Err(FieldError::new("number", ErrorCode::InvalidNumber));
        }
        Ok(Self {
            prefix: prefix.to_owned(),
            year,
            seq,
        })
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn year(&self) -> i32 {
        self.year
    }

    pub fn seq(&self) -> u64 {
        self.seq
    }
}

/// A number prefix is 1–8 ASCII capital letters.
pub fn valid_prefix(prefix: &str) -> bool {
    (1..=8).contains(&prefix.len()) && prefix.chars().all(|c| c.is_ascii_uppercase())
}

impl fmt::Display for MatterNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}-{:06}", self.prefix, self.year, self.seq)
    }
}

impl FromStr for MatterNumber {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || FieldError::new("number", ErrorCode::InvalidNumber);
        let s = s.trim().to_ascii_uppercase();
        let split = s.find(|c: char| c.is_ascii_digit()).ok_or_else(bad)?;
        let (prefix, rest) = s.split_at(split);
        let (year, seq) = rest.split_once('-').ok_or_else(bad)?;
        if year.len() != 4 || seq.len() < 6 || !seq.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let seq: u64 = seq.parse().map_err(|_| bad())?;
        Self::new(prefix, year, seq).map_err(|_| bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matter_number_round_trips() {
        let n = MatterNumber::new("AW", 2026, 123).unwrap();
        assert_eq!(n.to_string(), "AW2026-000123");
        assert_eq!("AW2026-000123".parse::<MatterNumber>().unwrap(), n);
        assert_eq!("aw2026-000123".parse::<MatterNumber>().unwrap(), n);
        let big = MatterNumber::new("AW", 2026, 1_000_000).unwrap();
        assert_eq!(big.to_string(), "AW2026-1000000");
        assert_eq!(big.to_string().parse::<MatterNumber>().unwrap(), big);
    }

    #[test]
    fn matter_number_refuses_garbage() {
        for bad in [
            "",
            "AW",
            "AW2026",
            "AW2026-12",
            "2026-000001",
            "AW2026-00000x",
            "AW2026-000000",
            "A1W2026-000001",
            "019a0000-0000-7000-8000-000000000000",
        ] {
            assert!(bad.parse::<MatterNumber>().is_err(), "{bad}");
        }
    }

    #[test]
    fn department_codes_are_upper_case_and_plain() {
        assert_eq!(DepartmentCode::parse("hjws").unwrap().as_str(), "HJWS");
        assert!(
            DepartmentCode::parse(" HJWS").is_err(),
            "exactly as sent; forms trim what a person typed"
        );
        assert!(DepartmentCode::parse("环境").is_err());
        assert!(DepartmentCode::parse("").is_err());
        assert!(DepartmentCode::parse(&"A".repeat(33)).is_err());
    }

    #[test]
    fn usernames_are_lower_case_and_plain() {
        assert_eq!(Username::parse("Zhang.San").unwrap().as_str(), "zhang.san");
        assert!(Username::parse("a").is_err());
        assert!(Username::parse("张三").is_err());
        assert!(Username::parse("a b").is_err());
    }
}
