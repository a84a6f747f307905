//! The command line against a real database.

use std::process::Command;

use crate::both_backends;
use crate::helpers::{Backend, TestDb};

pub(crate) fn aiwei(db: &TestDb, args: &[&str]) -> (bool, String, String) {
    let (code, out, err) = aiwei_code(db, args);
    (code == 0, out.trim().to_owned(), err)
}

/// The command's exit code, standard output and standard error.
pub(crate) fn aiwei_code(db: &TestDb, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_aiwei"))
        .args([
            "--data-dir",
            db.dir.to_str().unwrap(),
            "--database-url",
            &db.url_text,
        ])
        .args(args)
        .env("AIWEI_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

both_backends!(calendar_commands, |backend: Backend| async move {
    let db = TestDb::new(backend).await;
    assert_eq!(
        aiwei(&db, &["calendar", "add-working-days", "2025-09-30", "5"]).1,
        "2025-10-14"
    );
    assert_eq!(
        aiwei(&db, &["calendar", "add-working-days", "2026-02-14", "1"]).1,
        "2026-02-24"
    );
    assert_eq!(
        aiwei(&db, &["calendar", "add-working-days", "2026-02-15", "0"]).1,
        "2026-02-24"
    );
    assert_eq!(
        aiwei(&db, &["calendar", "is-working-day", "2026-02-14"]).1,
        "true"
    );
    assert_eq!(
        aiwei(&db, &["calendar", "is-working-day", "2026-10-01"]).1,
        "false"
    );
    // 2027 has no data yet: Monday–Friday, with a warning.
    let (ok, out, err) = aiwei(&db, &["calendar", "is-working-day", "2027-01-01"]);
    assert!(ok);
    assert_eq!(out, "true");
    assert!(err.contains("no holiday data for 2027"), "{err}");
    // Load 2027 (an invented notice: New Year's Day off, Saturday 01-09 worked).
    let file = db.dir.join("2027.json");
    std::fs::write(
        &file,
        r#"{"year":2027,"papers":[],"days":[
            {"name":"元旦","date":"2027-01-01","isOffDay":true},
            {"name":"元旦","date":"2027-01-09","isOffDay":false}]}"#,
    )
    .unwrap();
    let (ok, out, err) = aiwei(&db, &["calendar", "load", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("loaded 2027"), "{out}");
    let (_, out, err) = aiwei(&db, &["calendar", "is-working-day", "2027-01-01"]);
    assert_eq!(out, "false");
    assert!(!err.contains("no holiday data"), "{err}");
    assert_eq!(
        aiwei(&db, &["calendar", "is-working-day", "2027-01-09"]).1,
        "true"
    );
    // A broken file is refused and changes nothing.
    std::fs::write(
        &file,
        r#"{"year":2027,"days":[{"name":"x","date":"2027-01-05","isOffDay":false}]}"#,
    )
    .unwrap();
    let (ok, _, err) = aiwei(&db, &["calendar", "load", file.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("not valid holiday data"), "{err}");
    assert_eq!(
        aiwei(&db, &["calendar", "is-working-day", "2027-01-09"]).1,
        "true"
    );
    // Bad arguments are refused by the parser.
    assert!(!aiwei(&db, &["calendar", "add-working-days", "2025-13-01", "1"]).0);
});

both_backends!(
    keys_rotate_while_the_server_runs,
    |backend: Backend| async move {
        use crate::helpers::TestApp;
        let db = std::sync::Arc::new(TestDb::new(backend).await);
        // The key file where the command line looks for it.
        let keys = aiwei_store::Keys::load_or_create(&db.dir.join("secret.key")).unwrap();
        let app = TestApp::spawn_on(db.clone(), keys).await;
        let desk = app.desk().await;
        let first = app.complaint(&desk.intake, "13812345670", "欧阳锋").await;
        app.complaint(&desk.intake, "13812345671", "欧阳锋").await;
        app.complaint(&desk.intake, "13812345672", "欧阳锋").await;
        let (ok, out, err) = aiwei(&db, &["keys", "rotate", "--batch", "2"]);
        assert!(ok, "{out}\n{err}");
        assert!(out.contains("3 条事项"), "{out}");
        let (ok, out, _) = aiwei(&db, &["keys", "status"]);
        assert!(ok);
        assert!(out.contains("current key): k2"), "{out}");
        assert!(
            out.lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["k2", "3", "0"]),
            "{out}"
        );
        // The running server opens what the command re-sealed under a key it
        // had not loaded, and seals new callers under it from then on.
        let (s, v) = app
            .get_json(&desk.intake, &format!("/api/v1/matters/{first}"))
            .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["caller"]["phone"], "13812345670");
        app.complaint(&desk.intake, "13812345673", "欧阳锋").await;
        let (_, out, _) = aiwei(&db, &["keys", "status"]);
        assert!(
            out.lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["k2", "4", "0"]),
            "{out}"
        );
        let (ok, out, _) = aiwei(&db, &["keys", "resume"]);
        assert!(ok && out.contains("0 条事项"), "{out}");
        app.stop().await;
    }
);
