//! Confidentiality of callers at rest: what lands in the database
//! file, a PostgreSQL dump, and after a key rotation or an anonymisation.

use aiwei_store::matters::{LedgerFilter, Matter, Scope};

use crate::both_backends;
use crate::helpers::*;

async fn all_matters(app: &TestApp) -> Vec<Matter> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let (page, next) = app
            .store
            .ledger(&LedgerFilter::default(), &Scope::All, after, 500)
            .await
            .unwrap();
        out.extend(page);
        match next {
            Some(c) => after = Some(c),
            None => return out,
        }
    }
}

/// Every byte the backend keeps of the database: the SQLite file and its
/// journal, or a `pg_dump` of the PostgreSQL database.
pub async fn raw_storage(app: &TestApp) -> Vec<u8> {
    match app.store.backend() {
        aiwei_store::Backend::Sqlite => {
            let mut bytes = Vec::new();
            for suffix in ["", "-wal", "-shm", "-journal"] {
                if let Ok(b) = std::fs::read(app.db.dir.join(format!("aiwei.db{suffix}"))) {
                    bytes.extend(b);
                }
            }
            assert!(bytes.len() > 10_000, "the database file was read");
            bytes
        }
        aiwei_store::Backend::Postgres => {
            let out = std::process::Command::new("pg_dump")
                .arg("--no-owner")
                .arg(&app.db.url_text)
                .output()
                .expect("pg_dump (Debian package postgresql-client)");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(out.stdout.len() > 10_000, "the dump holds the data");
            out.stdout
        }
    }
}

fn contains(hay: &[u8], needle: &str) -> bool {
    let n = needle.as_bytes();
    !n.is_empty() && hay.windows(n.len()).any(|w| w == n)
}

/// The demo's callers' numbers, names and organisations, as the program
/// reads them back (so they are really there, sealed).
fn callers(matters: &[Matter]) -> Vec<String> {
    let mut out: Vec<String> = matters
        .iter()
        .flat_map(|m| {
            [
                Some(m.caller.phone.clone()),
                m.caller.name.clone(),
                m.caller.organization.clone(),
            ]
        })
        .flatten()
        .filter(|s| s.chars().count() >= 2)
        .collect();
    out.sort();
    out.dedup();
    out
}

both_backends!(
    raw_storage_holds_no_caller_in_clear,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        app.seed_demo(60).await;
        let matters = all_matters(&app).await;
        let secrets = callers(&matters);
        assert!(
            secrets.len() > 60,
            "the demo has callers: {}",
            secrets.len()
        );
        assert!(secrets.iter().any(|s| s.starts_with("1") && s.len() == 11));
        let raw = raw_storage(&app).await;
        // The search sees what is stored in clear: numbers and texts.
        assert!(contains(&raw, &matters[0].number));
        assert!(contains(&raw, &matters[0].content));
        let found: Vec<&String> = secrets.iter().filter(|s| contains(&raw, s)).collect();
        assert!(found.is_empty(), "in clear in raw storage: {found:?}");
        app.stop().await;
    }
);

both_backends!(
    rotation_reseals_every_caller_and_lookups_still_work,
    |backend: Backend| async move {
        let db = std::sync::Arc::new(TestDb::new(backend).await);
        let key_file = db.dir.join("secret.key");
        let keys = aiwei_store::Keys::load_or_create(&key_file).unwrap();
        let app = TestApp::spawn_on(db.clone(), keys.clone()).await;
        let desk = app.desk().await;
        let mut numbers = Vec::new();
        for i in 0..7 {
            numbers.push(
                app.complaint(&desk.intake, &format!("1381234{i:04}"), "洪七")
                    .await,
            );
        }
        app.complaint(&desk.intake, "13812340000", "洪七").await;
        // Rotate in small batches, as after an interruption: each batch is
        // durable and the rest is found again.
        let new_key = keys.add_key().unwrap();
        assert_eq!(new_key, "k2");
        assert_eq!(app.store.reseal_batch(3, false).await.unwrap(), 3);
        let usage = app.store.key_usage().await.unwrap();
        assert_eq!(usage.iter().map(|u| u.matters).sum::<i64>(), 8);
        assert!(usage.iter().any(|u| u.key.as_deref() == Some("k1")));
        // Mid-rotation, the caller's history spans both keys.
        let (s, v) = app
            .post_json(
                &desk.intake,
                "/api/v1/callers/history",
                &serde_json::json!({"phone": "13812340000"}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["items"].as_array().unwrap().len(), 2, "{v}");
        let rest = app.store.reseal_all(2, false, |_| {}).await.unwrap();
        assert_eq!(rest, 5);
        let usage = app.store.key_usage().await.unwrap();
        assert_eq!(usage.len(), 1);
        assert_eq!(usage[0].key.as_deref(), Some("k2"));
        let (s, v) = app
            .get_json(&desk.intake, &format!("/api/v1/matters/{}", numbers[3]))
            .await;
        assert_eq!(s, 200);
        assert_eq!(v["caller"]["phone"], "13812340003");
        assert_eq!(v["caller"]["name"], "洪七");
        // A second app process started from the rotated file reads it all.
        app.stop().await;
        let again =
            TestApp::spawn_on(db, aiwei_store::Keys::load_or_create(&key_file).unwrap()).await;
        let m = again
            .store
            .matter_by_number(&numbers[0].parse().unwrap())
            .await
            .unwrap();
        assert_eq!(m.caller.phone, "13812340000");
        again.stop().await;
    }
);
