//! CSV cells for exports that staff open in spreadsheet programs: RFC 4180
//! quoting, and neutralisation of formula injection (CWE-1236, ASVS 5.0
//! 1.2.10). Caller-supplied text — complaint content, names — reaches
//! these files, so a cell must never start like a formula.

/// One cell: prefixed with `'` when it starts with a character a
/// spreadsheet would evaluate (`= + - @`, tab, carriage return, NUL),
/// then quoted when it holds a separator, quote or line break.
pub fn cell(text: &str) -> String {
    let neutral = match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\0') => format!("'{text}"),
        _ => text.to_owned(),
    };
    if neutral.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

/// One line of cells, ended by CRLF as RFC 4180 asks.
pub fn line<'a>(cells: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = cells.into_iter().map(cell).collect::<Vec<_>>().join(",");
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(cell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("-2"), "'-2");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\tx"), "'\tx");
        assert_eq!(cell("\u{0}x"), "'\u{0}x");
        assert_eq!(cell("普通文本=1"), "普通文本=1");
        assert_eq!(cell(""), "");
    }

    #[test]
    fn separators_quotes_and_breaks_are_quoted() {
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("说\"好\""), "\"说\"\"好\"\"\"");
        assert_eq!(cell("一\n二"), "\"一\n二\"");
        assert_eq!(cell("=1,2"), "\"'=1,2\"");
        assert_eq!(line(["a", "b,c", "=d"]), "a,\"b,c\",'=d\r\n");
    }
}
