//! What makes a password acceptable: one rule for the account page, the
//! API, the admin's reset and the command line.

use crate::error::{ErrorCode, FieldError};

/// The fewest characters a password may have.
pub const MIN_LEN: usize = 8;

/// The longest password taken (argon2 would take more; nobody types more).
pub const MAX_LEN: usize = 256;

/// Passwords so common that their length does not make them safe.
const COMMON: &[&str] = &[
    "12345678",
    "123456789",
    "1234567890",
    "87654321",
    "11111111",
    "88888888",
    "66666666",
    "00000000",
    "password",
    "password1",
    "passw0rd",
    "qwertyui",
    "qwerty123",
    "abcd1234",
    "a1234567",
    "1qaz2wsx",
    "aa123456",
    "abc12345",
    "iloveyou",
    "woaini1314",
    "admin123",
];

/// Checks a new password for the account `username`: at least [`MIN_LEN`]
/// characters, letters and digits or other signs both present, not the user
/// name, not one of the commonest passwords. `field` names the input.
pub fn check(field: &str, new: &str, username: &str) -> Result<(), FieldError> {
    let n = new.chars().count();
    if n < MIN_LEN {
        return Err(FieldError::new(field, ErrorCode::TooShort));
    }
    if n > MAX_LEN {
        return Err(FieldError::new(field, ErrorCode::TooLong));
    }
    let lower = new.to_lowercase();
    let letters = new.chars().any(char::is_alphabetic);
    let others = new.chars().any(|c| !c.is_alphabetic());
    if !letters
        || !others
        || COMMON.contains(&lower.as_str())
        || (!username.is_empty() && lower.contains(&username.to_lowercase()))
    {
        return Err(FieldError::new(field, ErrorCode::WeakPassword));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused_and_good_ones_taken() {
        let code = |p: &str| check("new", p, "jieting").err().map(|e| e.code);
        assert_eq!(code("abc1"), Some(ErrorCode::TooShort));
        assert_eq!(code("abcdefgh"), Some(ErrorCode::WeakPassword));
        assert_eq!(code("1234567890123"), Some(ErrorCode::WeakPassword));
        assert_eq!(code("Password1"), Some(ErrorCode::WeakPassword));
        assert_eq!(code("jieting2026"), Some(ErrorCode::WeakPassword));
        assert_eq!(code(&"a1".repeat(200)), Some(ErrorCode::TooLong));
        assert_eq!(code("卫生城市2026"), None);
        assert_eq!(code("blue-Rabbit-7"), None);
        assert_eq!(check("new", "anything9", "").map_err(|e| e.field), Ok(()));
    }
}
