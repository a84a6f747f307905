//! Full-text search with the semantics of Ctrl-F: whatever run of
//! characters is typed is found wherever it occurs, however a word
//! segmenter would split the text (DESIGN.md, Search).
//!
//! Every letter or digit (a CJK character, a Latin letter, a digit) is one
//! token, lower-cased; a query term becomes a phrase of adjacent tokens.
//! Runs of other characters (spaces, punctuation) separate: a phrase never
//! matches across them. Tokens are made here, in Rust, at write time and at
//! query time, so both backends index the same tokens and answer the same
//! query the same way; the store only renders them into SQLite FTS5 or
//! PostgreSQL `tsvector`/`tsquery` syntax.

use crate::error::{ErrorCode, FieldError};
use crate::ids::MatterNumber;
use crate::phone::PhoneNumber;

/// The longest query taken, in characters.
pub const MAX_QUERY: usize = 200;

/// One token of a text, or the boundary between two runs of letters and
/// digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Token(char),
    Boundary,
}

/// The pieces of `text`: each letter or digit lower-cased, each run of
/// anything else one boundary (none at the ends).
pub fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut gap = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push(Piece::Boundary);
            }
            gap = false;
            out.extend(c.to_lowercase().map(Piece::Token));
        } else {
            gap = true;
        }
    }
    out
}

/// One term of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// A matter number: that matter, exactly.
    Number(MatterNumber),
    /// A full phone number: the caller's matters through the keyed index,
    /// and texts that contain its digits.
    Phone(PhoneNumber, Vec<char>),
    /// A run of letters and digits to be found as adjacent tokens.
    Phrase(Vec<char>),
}

/// A parsed query: every term must occur.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub terms: Vec<Term>,
}

impl Query {
    /// Parses what a user typed. Terms are separated by white space; inside
    /// a term, punctuation separates runs that must each occur (`幸福路-12`
    /// is two runs). Refused with `q` named: empty, nothing but
    /// punctuation, or over [`MAX_QUERY`] characters.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let bad = |code| FieldError::new("q", code);
        if raw.chars().count() > MAX_QUERY {
            return Err(bad(ErrorCode::TooLong));
        }
        if raw.chars().any(|c| c.is_control() && !c.is_whitespace()) {
            return Err(bad(ErrorCode::InvalidCharacters));
        }
        let mut terms = Vec::new();
        for word in raw.split_whitespace() {
            if let Ok(n) = word.parse::<MatterNumber>() {
                terms.push(Term::Number(n));
                continue;
            }
            let runs = runs(word);
            let digits_only = word
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '(' | ')'));
            if digits_only
                && word.chars().filter(char::is_ascii_digit).count() >= 7
                && let Ok(p) = PhoneNumber::parse("q", word)
            {
                let digits = word.chars().filter(char::is_ascii_digit).collect();
                terms.push(Term::Phone(p, digits));
                continue;
            }
            terms.extend(runs.into_iter().map(Term::Phrase));
        }
        if terms.is_empty() {
            return Err(bad(if raw.trim().is_empty() {
                ErrorCode::Required
            } else {
                ErrorCode::InvalidValue
            }));
        }
        Ok(Query { terms })
    }

    /// The runs to find in text, for highlighting.
    pub fn runs(&self) -> Vec<&[char]> {
        self.terms
            .iter()
            .filter_map(|t| match t {
                Term::Phrase(r) | Term::Phone(_, r) => Some(r.as_slice()),
                Term::Number(_) => None,
            })
            .collect()
    }
}

/// The runs of letters and digits of `word`, lower-cased.
fn runs(word: &str) -> Vec<Vec<char>> {
    let mut out: Vec<Vec<char>> = vec![Vec::new()];
    for p in pieces(word) {
        match p {
            Piece::Token(c) => {
                if let Some(last) = out.last_mut() {
                    last.push(c);
                }
            }
            Piece::Boundary => out.push(Vec::new()),
        }
    }
    out.retain(|r| !r.is_empty());
    out
}

/// A piece of text around the first place a query's runs occur, with the
/// occurrences marked: (text, [start, end) character offsets). Case- and
/// punctuation-insensitive like the search itself.
pub fn snippet(text: &str, runs: &[&[char]], width: usize) -> (String, Vec<(usize, usize)>) {
    let chars: Vec<char> = text.chars().collect();
    // Letters and digits of the text with their offsets, lower-cased.
    let mut index: Vec<(usize, char)> = Vec::new();
    let mut boundary_before: Vec<bool> = Vec::new();
    let mut gap = false;
    for (i, c) in chars.iter().enumerate() {
        if c.is_alphanumeric() {
            for l in c.to_lowercase() {
                index.push((i, l));
                boundary_before.push(gap);
                gap = false;
            }
        } else {
            gap = true;
        }
    }
    let mut marks: Vec<(usize, usize)> = Vec::new();
    for run in runs {
        if run.is_empty() {
            continue;
        }
        let mut k = 0;
        while k + run.len() <= index.len() {
            let fits = (0..run.len()).all(|j| index[k + j].1 == run[j])
                && (1..run.len()).all(|j| !boundary_before[k + j]);
            if fits {
                marks.push((index[k].0, index[k + run.len() - 1].0 + 1));
                k += run.len();
            } else {
                k += 1;
            }
        }
    }
    marks.sort_unstable();
    let first = marks.first().map_or(0, |m| m.0);
    let start = first.saturating_sub(width / 3);
    let end = (start + width).min(chars.len());
    let start = end.saturating_sub(width).min(start);
    let mut out: String = chars[start..end].iter().collect();
    let mut shifted: Vec<(usize, usize)> = marks
        .into_iter()
        .filter(|(a, b)| *a >= start && *b <= end)
        .map(|(a, b)| (a - start, b - start))
        .collect();
    if start > 0 {
        out.insert(0, '…');
        shifted = shifted.into_iter().map(|(a, b)| (a + 1, b + 1)).collect();
    }
    if end < chars.len() {
        out.push('…');
    }
    (out, shifted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phrase(s: &str) -> Term {
        Term::Phrase(s.chars().collect())
    }

    #[test]
    fn every_letter_and_digit_is_a_token_and_punctuation_separates() {
        let p = pieces("鼠患，ABC 12号");
        assert_eq!(
            p,
            vec![
                Piece::Token('鼠'),
                Piece::Token('患'),
                Piece::Boundary,
                Piece::Token('a'),
                Piece::Token('b'),
                Piece::Token('c'),
                Piece::Boundary,
                Piece::Token('1'),
                Piece::Token('2'),
                Piece::Token('号'),
            ]
        );
        assert!(pieces("  ，。 ").is_empty());
    }

    #[test]
    fn queries_split_into_terms_and_runs() {
        let q = Query::parse("鼠患 幸福路12号").unwrap();
        assert_eq!(q.terms, vec![phrase("鼠患"), phrase("幸福路12号")]);
        let q = Query::parse("AW2026-000123").unwrap();
        assert!(matches!(q.terms[0], Term::Number(_)));
        let q = Query::parse("13811112222").unwrap();
        assert!(matches!(q.terms[0], Term::Phone(..)));
        // Syntax of the engines is text here.
        let q = Query::parse(r#""鼠" NEAR(a*) -x:y"#).unwrap();
        assert_eq!(
            q.terms,
            vec![
                phrase("鼠"),
                phrase("near"),
                phrase("a"),
                phrase("x"),
                phrase("y")
            ]
        );
        // Too short to be a phone: a number in text.
        assert_eq!(Query::parse("12号").unwrap().terms, vec![phrase("12号")]);
    }

    #[test]
    fn empty_punctuation_and_long_queries_are_refused_naming_q() {
        for (raw, code) in [
            ("", ErrorCode::Required),
            ("   ", ErrorCode::Required),
            ("，。！？ ...", ErrorCode::InvalidValue),
            (&"鼠".repeat(201), ErrorCode::TooLong),
        ] {
            let e = Query::parse(raw).unwrap_err();
            assert_eq!((e.field.as_str(), e.code), ("q", code), "{raw}");
        }
        assert!(Query::parse(&"鼠".repeat(200)).is_ok());
    }

    #[test]
    fn snippets_mark_every_occurrence_in_view() {
        let q = Query::parse("垃圾").unwrap();
        let (s, marks) = snippet("小区门口垃圾堆放，垃圾无人清运", &q.runs(), 40);
        assert_eq!(s, "小区门口垃圾堆放，垃圾无人清运");
        assert_eq!(marks, vec![(4, 6), (9, 11)]);
        let q = Query::parse("abc").unwrap();
        let (s, marks) = snippet("ABC and ab-c", &q.runs(), 40);
        assert_eq!(marks, vec![(0, 3)], "not across the hyphen: {s}");
        // A long text is cut around the first occurrence.
        let text = format!("{}蟑螂{}", "前".repeat(50), "后".repeat(50));
        let q = Query::parse("蟑螂").unwrap();
        let (s, marks) = snippet(&text, &q.runs(), 30);
        let chars: Vec<char> = s.chars().collect();
        assert_eq!(
            chars[marks[0].0..marks[0].1].iter().collect::<String>(),
            "蟑螂"
        );
        assert!(s.starts_with('…') && s.ends_with('…'));
    }
}
