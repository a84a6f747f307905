//! Masking of caller data for the roles that may not see it.

/// `张三` → `张**`; `欧阳小明` → `欧***`. Keeps the first character only.
pub fn name(full: &str) -> String {
    let mut chars = full.chars();
    match chars.next() {
        None => String::new(),
        Some(first) => {
            let rest = chars.count().max(1);
            format!("{first}{}", "*".repeat(rest))
        }
    }
}

/// `阳光物业公司` → `阳光****`. Organisation names
/// identify a caller as well as a person's name does, so only the first
/// two characters stay.
pub fn organization(full: &str) -> String {
    let chars: Vec<char> = full.chars().collect();
    if chars.len() <= 2 {
        return "*".repeat(chars.len().max(1));
    }
    let kept: String = chars[..2].iter().collect();
    format!("{kept}{}", "*".repeat(chars.len() - 2))
}

/// A stored (normalised) phone number, masked: `138****5678`, or all but the
/// last four digits hidden.
pub fn phone(normalised: &str) -> String {
    let chars: Vec<char> = normalised.chars().collect();
    let n = chars.len();
    if n == 11 && normalised.starts_with('1') {
        format!(
            "{}****{}",
            chars[..3].iter().collect::<String>(),
            chars[7..].iter().collect::<String>()
        )
    } else if n > 4 {
        format!(
            "{}{}",
            "*".repeat(n - 4),
            chars[n - 4..].iter().collect::<String>()
        )
    } else {
        "*".repeat(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_the_first_character() {
        assert_eq!(name("张三"), "张*");
        assert_eq!(name("欧阳小明"), "欧***");
        assert_eq!(name("李"), "李*");
        assert_eq!(name(""), "");
    }

    #[test]
    fn organisations_keep_two_characters() {
        assert_eq!(organization("阳光物业公司"), "阳光****");
        assert_eq!(organization("某司"), "**");
    }

    #[test]
    fn phones_keep_prefix_and_last_four() {
        assert_eq!(phone("13812345678"), "138****5678");
        assert_eq!(phone("057188886666"), "********6666");
        assert_eq!(phone("+14155550100"), "********0100");
        assert_eq!(phone("123"), "***");
    }
}
