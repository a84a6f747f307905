//! `aiwei audit verify`: the ledger's hash chains prove that no event was
//! edited behind the program's back.

use chrono::Datelike;
use std::process::Command;

use aiwei_core::Role;
use sha2::Digest;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, phone_complaint};

fn verify(app: &TestApp) -> (bool, String) {
    verify_at(app)
}

/// Runs `aiwei audit verify` on the app's database.
pub fn verify_at(app: &TestApp) -> (bool, String) {
    verify_with(app.db.dir.to_str().unwrap(), &app.db.url_text)
}

fn verify_with(data_dir: &str, url: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_aiwei"))
        .args(["--data-dir", data_dir, "--database-url", url])
        .args(["audit", "verify"])
        .env("AIWEI_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

both_backends!(
    verify_passes_then_names_the_edited_matter,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, token) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        let mut numbers = Vec::new();
        for i in 0..3 {
            let (s, m) = app
                .post_json(
                    &token,
                    "/api/v1/matters",
                    &phone_complaint(&format!("1380000100{i}"), "张三"),
                )
                .await;
            assert_eq!(s, 201);
            numbers.push(m["number"].as_str().unwrap().to_owned());
        }
        let (ok, out) = verify(&app);
        assert!(ok, "{out}");
        assert!(out.contains("3 matters, 3 events"), "{out}");

        // Edit one event's payload with SQL.
        let n = app
        .raw_execute(&format!(
            "UPDATE matter_events SET payload = REPLACE(payload, '\"sensitive\":false', '\"sensitive\":true')
             WHERE matter_id = (SELECT id FROM matters WHERE number = '{}')",
            numbers[1]
        ))
        .await;
        assert_eq!(n, 1);
        let (ok, out) = verify(&app);
        assert!(!ok, "{out}");
        assert!(out.contains(&numbers[1]), "{out}");
        assert!(!out.contains(&format!("BROKEN {}", numbers[0])), "{out}");
        assert!(!out.contains(&format!("BROKEN {}", numbers[2])), "{out}");

        // Deleting an event is found too.
        app.raw_execute(&format!(
        "DELETE FROM matter_events WHERE matter_id = (SELECT id FROM matters WHERE number = '{}')",
        numbers[2]
    ))
    .await;
        let (ok, out) = verify(&app);
        assert!(!ok);
        assert!(out.contains(&numbers[2]), "{out}");
        app.stop().await;
    }
);

both_backends!(
    history_copies_verify_number_in_time_and_are_found,
    |backend: Backend| async move {
        use std::collections::BTreeMap;
        let app = TestApp::spawn(backend).await;
        // Clocks running before the copies are written: copies add none.
        let opts = aiwei::demo::DemoOptions {
            matters: 80,
            history: 700,
            years: 2,
            ..Default::default()
        };
        let before_copies = {
            let flows_only = TestApp::spawn(backend).await;
            let o = aiwei::demo::DemoOptions {
                history: 0,
                ..opts.clone()
            };
            aiwei::demo::seed(
                &flows_only.store,
                &o,
                &aiwei_server::auth::hash_password,
                app.now(),
            )
            .await
            .unwrap();
            flows_only
                .raw_count("SELECT COUNT(*) FROM deadlines WHERE ended_at IS NULL")
                .await
        };
        let report = aiwei::demo::seed(
            &app.store,
            &opts,
            &aiwei_server::auth::hash_password,
            app.now(),
        )
        .await
        .unwrap();
        let history = report.history.expect("history was asked for");
        assert_eq!(history.copies, 700);
        assert!(history.templates > 40, "{} templates", history.templates);

        // Every copy's chain holds: its events were re-hashed, not copied.
        let v = app.store.verify_chains().await.unwrap();
        assert_eq!(v.matters, 780);
        assert!(v.broken.is_empty(), "{:?}", v.broken);
        assert_eq!(
            app.raw_count("SELECT COUNT(*) FROM deadlines WHERE ended_at IS NULL")
                .await,
            before_copies,
            "copies are settled: no clock of theirs runs"
        );

        // The whole ledger, newest first.
        let mut all = Vec::new();
        let mut cursor = None;
        loop {
            let (page, next) = app
                .store
                .ledger(
                    &Default::default(),
                    &aiwei_core::access::EVERYTHING,
                    cursor,
                    500,
                )
                .await
                .unwrap();
            all.extend(page);
            match next {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(all.len(), 780);
        // Copies lie in the two years before the flows' matters, closed,
        // each with a caller of its own that opens under its own id.
        let flows_oldest = all[79].received_at;
        let copies = &all[80..];
        assert!(copies.iter().all(|m| m.received_at < flows_oldest));
        assert!(
            copies
                .iter()
                .all(|m| m.status == aiwei_core::MatterStatus::Closed)
        );
        assert!(
            copies[699].received_at > flows_oldest - chrono::Duration::days(2 * 365 + 140),
            "{}",
            copies[699].received_at
        );
        assert!(copies.iter().all(|m| !m.caller.phone.is_empty()));
        // Numbers: gap-free within each year and rising with time.
        let mut by_year: BTreeMap<String, Vec<(chrono::DateTime<chrono::Utc>, u64)>> =
            BTreeMap::new();
        for m in &all {
            let (year, seq) = m.number.split_once('-').unwrap();
            by_year
                .entry(year.to_owned())
                .or_default()
                .push((m.received_at, seq.parse().unwrap()));
        }
        for (year, mut list) in by_year {
            let mut seqs: Vec<u64> = list.iter().map(|(_, s)| *s).collect();
            seqs.sort();
            assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "{year}");
            // Among the copies of a year, later means a higher number.
            list.retain(|(at, _)| *at < flows_oldest);
            list.sort();
            assert!(list.windows(2).all(|w| w[0].1 < w[1].1), "{year}");
        }
        // The copies are searched like any matter, and the next intake
        // takes the next number of its year.
        let (_, desk) = app
            .token_user("jieting9", &[Role::Intake], Some("AWB"))
            .await;
        let (_, v) = app
            .get_json(&desk, "/api/v1/search?q=%E5%9E%83%E5%9C%BE&limit=5")
            .await;
        assert!(v["total"].as_i64().unwrap() > 0, "{v}");
        let year_now = app.now().with_timezone(&aiwei_core::time::china()).year();
        let taken = all
            .iter()
            .filter(|m| m.number.starts_with(&format!("AW{year_now}-")))
            .count();
        let n = app.complaint(&desk, "13811112299", "历史").await;
        assert_eq!(n, format!("AW{year_now}-{:06}", taken + 1));
    }
);

both_backends!(
    verify_passes_on_the_demo_database,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let report = app.seed_demo(120).await;
        assert_eq!(report.matters, 120);
        // Older matters were moved along their flows, recent ones are open.
        let closed = aiwei_store::matters::LedgerFilter {
            status: Some(aiwei_core::MatterStatus::Closed),
            ..Default::default()
        };
        let (closed, _) = app
            .store
            .ledger(&closed, &aiwei_core::access::EVERYTHING, None, 500)
            .await
            .unwrap();
        assert!(closed.len() > 60, "{} closed", closed.len());
        assert!(closed.len() < 120, "some matters are still open");
        assert!(
            report
                .accounts
                .iter()
                .any(|a| a.roles.contains(&Role::Intake))
        );
        // The demo shows the disclosure flow: one request waiting for the
        // supervisor, one approved and waiting for its signature.
        let pending = app
            .store
            .disclosures(aiwei_store::disclosures::DisclosureList::Pending)
            .await
            .unwrap();
        assert_eq!(pending.len(), 1, "{pending:?}");
        let lingdao = app
            .store
            .user_by_name(&aiwei_core::Username::parse("lingdao").unwrap())
            .await
            .unwrap();
        let approved = app
            .store
            .disclosures(aiwei_store::disclosures::DisclosureList::Involving(
                lingdao.id,
            ))
            .await
            .unwrap();
        assert_eq!(approved.len(), 1);
        assert_eq!(approved[0].status, aiwei_core::DisclosureStatus::Approved);
        let (ok, out) = verify(&app);
        assert!(ok, "{out}");
        assert!(out.contains("120 matters"), "{out}");
        app.stop().await;
    }
);

both_backends!(
    verify_changes_nothing_and_creates_no_key,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, token) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        app.complaint(&token, "13800001111", "核验").await;
        let db = app.db.clone();
        let url = db.url_text.replace("?mode=rwc", "");
        let file = db.dir.join("aiwei.db");
        app.stop().await;
        let digest = || {
            std::fs::read(&file)
                .map(|b| sha2::Sha256::digest(&b).to_vec())
                .ok()
        };
        let before = digest();
        // A data directory without a key file: verification needs no key
        // and must not make one.
        let elsewhere = tempfile::tempdir().unwrap();
        let (ok, out) = verify_with(elsewhere.path().to_str().unwrap(), &url);
        assert!(ok, "{out}");
        assert!(out.contains("ok: 1 matters"), "{out}");
        assert!(out.contains("tally: ok"), "{out}");
        assert!(
            !elsewhere.path().join("secret.key").exists(),
            "verify created a key file"
        );
        assert_eq!(digest(), before, "the database file is unchanged");
        drop(db);
    }
);
