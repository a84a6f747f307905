//! Validation failures that name the offending field.
//!
//! A [`FieldError`] carries a stable snake_case `code` (also the UI's message
//! key) and the dotted path of the field as the API spells it, so a client can
//! point at the exact input that was refused.

use std::fmt;

/// One refused field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted path as in the API request, e.g. `caller.phone`.
    pub field: String,
    /// Stable machine code, e.g. `required`, `too_long`, `in_future`.
    pub code: &'static str,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str) -> Self {
        Self {
            field: field.into(),
            code,
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.code)
    }
}

impl std::error::Error for FieldError {}

/// Every refused field of one input, in the order they were checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn push(&mut self, field: impl Into<String>, code: &'static str) {
        self.0.push(FieldError::new(field, code));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first refused field: the one an API error names.
    pub fn first(&self) -> Option<&FieldError> {
        self.0.first()
    }

    /// Records the error of a parse and yields its value, so a validator can
    /// keep checking the other fields and report them all at once.
    pub fn take<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for FieldErrors {}

/// Trims `raw` and checks it is non-empty (when `required`) and at most `max`
/// characters long. Counting is in characters, not bytes, because Chinese
/// text is three bytes a character in UTF-8.
pub fn bounded_text(
    field: &str,
    raw: Option<&str>,
    max: usize,
    required: bool,
) -> Result<Option<String>, FieldError> {
    let trimmed = raw.map(str::trim).filter(|s| !s.is_empty());
    match trimmed {
        None if required => Err(FieldError::new(field, "required")),
        None => Ok(None),
        Some(s) if s.chars().count() > max => Err(FieldError::new(field, "too_long")),
        Some(s)
            if s.chars()
                .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') =>
        {
            Err(FieldError::new(field, "invalid_characters"))
        }
        Some(s) => Ok(Some(s.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_text_counts_characters_not_bytes() {
        let ten_chinese = "爱国卫生爱国卫生爱国";
        assert_eq!(ten_chinese.len(), 30);
        assert_eq!(
            bounded_text("f", Some(ten_chinese), 10, true),
            Ok(Some(ten_chinese.to_owned()))
        );
        assert_eq!(
            bounded_text("f", Some("爱国卫生爱国卫生爱国卫"), 10, true),
            Err(FieldError::new("f", "too_long"))
        );
    }

    #[test]
    fn bounded_text_treats_blank_as_missing() {
        assert_eq!(
            bounded_text("f", Some("   "), 10, true),
            Err(FieldError::new("f", "required"))
        );
        assert_eq!(bounded_text("f", Some("  "), 10, false), Ok(None));
        assert_eq!(bounded_text("f", None, 10, false), Ok(None));
    }

    #[test]
    fn bounded_text_refuses_control_characters_but_keeps_newlines() {
        assert!(bounded_text("f", Some("a\u{1b}[31m"), 10, true).is_err());
        assert_eq!(
            bounded_text("f", Some("第一行\n第二行"), 10, true),
            Ok(Some("第一行\n第二行".to_owned()))
        );
    }
}
