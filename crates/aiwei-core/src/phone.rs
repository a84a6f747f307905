//! Caller phone numbers: one normal form for lookup, whatever punctuation the
//! staff member typed during the call.

use std::fmt;

use crate::error::{ErrorCode, FieldError};

/// The longest phone number input, punctuation included.
pub const MAX_PHONE_INPUT: usize = 40;

/// A phone number in normal form: digits only, China's `+86`/`0086` country
/// prefix removed, other countries kept with a leading `+`. Mobile numbers are
/// 11 digits starting with 1; landlines keep their area code (`057188886666`);
/// service numbers like `12345` are allowed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        if raw.chars().count() > MAX_PHONE_INPUT {
            return Err(FieldError::new(field, ErrorCode::InvalidPhone));
        }
        let compact: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '（' | '）' | '\u{3000}'))
            .collect();
        if compact.is_empty() {
            return Err(FieldError::new(field, ErrorCode::Required));
        }
        let (international, digits) = if let Some(rest) = compact
            .strip_prefix("+86")
            .or_else(|| compact.strip_prefix("0086"))
        {
            (false, rest)
        } else if let Some(rest) = compact.strip_prefix('+') {
            (true, rest)
        } else {
            (false, compact.as_str())
        };
        if !digits.chars().all(|c| c.is_ascii_digit()) || !(5..=20).contains(&digits.len()) {
            return Err(FieldError::new(field, ErrorCode::InvalidPhone));
        }
        if !international && digits.len() == 11 && digits.starts_with('1') {
            let second = digits.as_bytes()[1];
            if !(b'3'..=b'9').contains(&second) {
                return Err(FieldError::new(field, ErrorCode::InvalidPhone));
            }
        }
        Ok(Self(if international {
            format!("+{digits}")
        } else {
            digits.to_owned()
        }))
    }

    /// The normal form, e.g. `13812345678`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The masked form shown to roles that may not see caller data:
    /// `138****5678` for a mobile, otherwise everything but the last four
    /// digits hidden.
    pub fn masked(&self) -> String {
        crate::mask::phone(&self.0)
    }
}

/// Never prints the number: a `Debug` of a struct holding a phone must not
/// put personal data into a log line.
impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<String, ErrorCode> {
        PhoneNumber::parse("caller.phone", s)
            .map(|p| p.as_str().to_owned())
            .map_err(|e| e.code)
    }

    #[test]
    fn punctuation_and_country_code_are_normalised() {
        assert_eq!(p("138 1234 5678"), Ok("13812345678".into()));
        assert_eq!(p("138-1234-5678"), Ok("13812345678".into()));
        assert_eq!(p("+86 138 1234 5678"), Ok("13812345678".into()));
        assert_eq!(p("0086-13812345678"), Ok("13812345678".into()));
        assert_eq!(p("(0571) 8888-6666"), Ok("057188886666".into()));
        assert_eq!(p("12345"), Ok("12345".into()));
        assert_eq!(p("+1 415 555 0100"), Ok("+14155550100".into()));
    }

    #[test]
    fn nonsense_is_refused() {
        assert_eq!(p(""), Err(ErrorCode::Required));
        assert_eq!(p("   "), Err(ErrorCode::Required));
        assert_eq!(p("abc"), Err(ErrorCode::InvalidPhone));
        assert_eq!(p("1234"), Err(ErrorCode::InvalidPhone));
        assert_eq!(p("12012345678"), Err(ErrorCode::InvalidPhone));
        assert_eq!(p(&"1".repeat(21)), Err(ErrorCode::InvalidPhone));
    }

    #[test]
    fn masking_keeps_only_what_identifies_the_line_loosely() {
        let m = PhoneNumber::parse("p", "13812345678").unwrap();
        assert_eq!(m.masked(), "138****5678");
        assert_eq!(format!("{m:?}"), "PhoneNumber(138****5678)");
        let l = PhoneNumber::parse("p", "057188886666").unwrap();
        assert_eq!(l.masked(), "********6666");
    }
}
