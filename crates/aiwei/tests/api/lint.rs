//! Roles, states (of matters, clocks, extensions and disclosures), event,
//! clock, notification and audit kinds are enums of the core, compared as
//! enums: no program file outside `aiwei-core` spells one of their codes as
//! a string (Rust `"…"`, SQL `'…'` inside it, or a template literal). A code
//! spelled out is a comparison the compiler cannot check; the enums' own
//! `as_str` is how a code reaches SQL or the wire.

use std::path::{Path, PathBuf};

use aiwei_core::deadline::DeadlineKind;
use aiwei_core::{
    AuditAction, ClockState, DisclosureStatus, EventKind, ExtensionStatus, MatterStatus,
    NotificationKind, Role,
};

/// Every code of the vocabularies the rule covers.
fn codes() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = Vec::new();
    v.extend(Role::ALL.iter().map(|x| x.as_str()));
    v.extend(MatterStatus::ALL.iter().map(|x| x.as_str()));
    v.extend(ClockState::ALL.iter().map(|x| x.as_str()));
    v.extend(ExtensionStatus::ALL.iter().map(|x| x.as_str()));
    v.extend(DisclosureStatus::ALL.iter().map(|x| x.as_str()));
    v.extend(EventKind::ALL.iter().map(|x| x.as_str()));
    v.extend(NotificationKind::ALL.iter().map(|x| x.as_str()));
    v.extend(AuditAction::ALL.iter().map(|x| x.as_str()));
    v.extend(DeadlineKind::ALL.iter().map(|x| x.as_str()));
    v.sort_unstable();
    v.dedup();
    // `adopted` is also the name of the evaluate step's yes/no field, which
    // forms and requests spell.
    v.retain(|c| *c != EventKind::Adopted.as_str());
    // `overdue` is also the name of the ledger's filter (`?overdue=true`),
    // which outside scripts rely on.
    v.retain(|c| *c != ClockState::Overdue.as_str());
    v
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("rs" | "html" | "js")
        ) {
            out.push(path);
        }
    }
}

/// The quoted literals of one line: `"…"` and `'…'`, escapes ignored (none
/// of the codes holds a quote).
fn literals(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for quote in ['"', '\''] {
        let mut rest = line;
        while let Some(start) = rest.find(quote) {
            let after = &rest[start + 1..];
            let Some(end) = after.find(quote) else { break };
            out.push(&after[..end]);
            rest = &after[end + 1..];
        }
    }
    out
}

#[test]
fn no_program_file_outside_the_core_spells_a_vocabulary_code() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut all = Vec::new();
    for dir in [
        "crates/aiwei-store/src",
        "crates/aiwei-server/src",
        "crates/aiwei-server/templates",
        "crates/aiwei-server/static",
        "crates/aiwei/src",
    ] {
        files(&root.join(dir), &mut all);
    }
    assert!(all.len() > 40, "{} files", all.len());
    let codes = codes();
    let mut found = Vec::new();
    for file in &all {
        let text = std::fs::read_to_string(file).unwrap();
        let mut in_tests = false;
        for (i, line) in text.lines().enumerate() {
            // Unit tests may name codes: they check the wire spelling.
            if line.trim_start().starts_with("#[cfg(test)]") {
                in_tests = true;
            }
            let code_part = line.split("//").next().unwrap_or_default();
            if in_tests || code_part.trim_start().starts_with("///") {
                continue;
            }
            for lit in literals(code_part) {
                if codes.binary_search(&lit).is_ok() {
                    found.push(format!(
                        "{}:{}: {:?} in {}",
                        file.strip_prefix(&root).unwrap_or(file).display(),
                        i + 1,
                        lit,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "vocabulary codes spelled as strings outside aiwei-core (use the enum):\n{}",
        found.join("\n")
    );
}
