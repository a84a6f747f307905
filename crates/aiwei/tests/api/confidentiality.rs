//! Confidentiality of callers at rest: what lands in the database
//! file, a PostgreSQL dump, and after a key rotation or an anonymisation.

use aiwei_core::access::EVERYTHING;
use aiwei_store::matters::{LedgerFilter, Matter};

use aiwei_core::Role;

use crate::both_backends;
use crate::helpers::*;

async fn all_matters(app: &TestApp) -> Vec<Matter> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let (page, next) = app
            .store
            .ledger(&LedgerFilter::default(), &EVERYTHING, after, 500)
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

/// An app whose keys are in a key file, as `aiwei keys` finds them.
async fn with_key_file(
    backend: Backend,
) -> (
    TestApp,
    std::sync::Arc<TestDb>,
    std::path::PathBuf,
    aiwei_store::Keys,
) {
    let db = std::sync::Arc::new(TestDb::new(backend).await);
    let key_file = db.dir.join("secret.key");
    let keys = aiwei_store::Keys::load_or_create(&key_file).unwrap();
    let app = TestApp::spawn_on(db.clone(), keys.clone()).await;
    (app, db, key_file, keys)
}

both_backends!(
    rotation_reseals_every_caller_and_lookups_still_work,
    |backend: Backend| async move {
        let (app, db, key_file, keys) = with_key_file(backend).await;
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

both_backends!(
    sensitive_content_and_step_texts_are_sealed_at_rest,
    |backend: Backend| async move {
        let (app, _db, _key_file, keys) = with_key_file(backend).await;
        let desk = app.desk().await;
        let mut body = phone_complaint("13812345000", "机密来电人");
        body["sensitive"] = serde_json::json!(true);
        body["content"] = serde_json::json!("食堂承包商回扣线索甲乙丙");
        let (s, m) = app.post_json(&desk.intake, "/api/v1/matters", &body).await;
        assert_eq!(s, 201, "{m}");
        let n = m["number"].as_str().unwrap().to_owned();
        assert_eq!(m["content"], "食堂承包商回扣线索甲乙丙");
        let (s, v) = app
            .step(
                &desk.intake,
                &n,
                serde_json::json!({"action": "dispatch", "lead": "HJWS", "note": "派单说明丁戊己庚"}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let (s, v) = app
            .step(
                &desk.lead,
                &n,
                serde_json::json!({"action": "sign_for", "note": "签收意见辛壬癸子"}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let texts = |v: &serde_json::Value| v.to_string();
        assert!(texts(&v).contains("派单说明丁戊己庚") && texts(&v).contains("签收意见辛壬癸子"));
        // An ordinary matter's texts stay searchable in clear.
        let plain = app
            .complaint(&desk.intake, "13812345001", "普通来电人")
            .await;
        let (s, _) = app
            .step(
                &desk.intake,
                &plain,
                serde_json::json!({"action": "dispatch", "lead": "HJWS", "note": "普通派单说明丑寅卯"}),
            )
            .await;
        assert_eq!(s, 200);
        let raw = raw_storage(&app).await;
        for secret in [
            "食堂承包商回扣线索甲乙丙",
            "派单说明丁戊己庚",
            "签收意见辛壬癸子",
        ] {
            assert!(!contains(&raw, secret), "{secret} in clear in raw storage");
        }
        assert!(contains(&raw, "普通派单说明丑寅卯"));
        // A rotation re-seals the texts too; they still read.
        keys.add_key().unwrap();
        app.store.reseal_all(100, false, |_| {}).await.unwrap();
        let usage = app.store.key_usage().await.unwrap();
        assert_eq!(usage.len(), 1, "{usage:?}");
        assert_eq!(usage[0].key.as_deref(), Some("k2"));
        assert_eq!(usage[0].texts, 2);
        let (s, v) = app
            .get_json(&desk.lead, &format!("/api/v1/matters/{n}"))
            .await;
        assert_eq!(s, 200);
        assert_eq!(v["content"], "食堂承包商回扣线索甲乙丙");
        assert!(texts(&v).contains("签收意见辛壬癸子"));
        let (ok, out) = crate::audit::verify_at(&app);
        assert!(ok, "{out}");
        app.stop().await;
    }
);

/// Whether `number` shows anywhere `token` can look: the matter itself, the
/// ledger, a caller search, and the work queues.
async fn sees(app: &TestApp, token: &str, number: &str, phone: &str) -> [bool; 3] {
    let (s, _) = app
        .get_json(token, &format!("/api/v1/matters/{number}"))
        .await;
    assert!(s == 200 || s == 404, "{s}");
    let (_, ledger) = app.get_json(token, "/api/v1/matters?limit=500").await;
    let listed = ledger.to_string().contains(number);
    let (hs, history) = app
        .post_json(
            token,
            "/api/v1/callers/history",
            &serde_json::json!({ "phone": phone }),
        )
        .await;
    let searched = hs == 200 && history.to_string().contains(number);
    let (_, work) = app.get_json(token, "/api/v1/work").await;
    let (_, notes) = app.get_json(token, "/api/v1/notifications").await;
    let queued = work.to_string().contains(number) || notes.to_string().contains(number);
    assert_eq!(s == 200, listed, "single read and ledger agree");
    [s == 200, searched, queued]
}

both_backends!(
    sensitive_matters_show_only_to_the_people_r_5_1_2_names,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let desk = app.desk().await;
        let (_, intake2) = app
            .token_user("jieting2", &[Role::Intake], Some("AWB"))
            .await;
        let (_, auditor) = app.token_user("shenji", &[Role::Auditor], None).await;
        let (_, group) = app.token_user("lingdao", &[Role::LeadingGroup], None).await;
        let (_, other_lead) = app
            .token_user("keshi2", &[Role::DeptLead], Some("BMFZ"))
            .await;
        let phone = "13955550001";
        let mut body = phone_complaint(phone, "郭靖");
        body["sensitive"] = serde_json::json!(true);
        body["content"] = serde_json::json!("反映某企业内部管理问题，涉及商业秘密，请勿外传。");
        let (s, m) = app.post_json(&desk.intake, "/api/v1/matters", &body).await;
        assert_eq!(s, 201, "{m}");
        let n = m["number"].as_str().unwrap().to_owned();
        // An ordinary matter of the same caller, as a control.
        let plain = app.complaint(&desk.intake, phone, "郭靖").await;
        let (s, v) = app
            .step(
                &desk.intake,
                &n,
                serde_json::json!({"action": "dispatch", "lead": "HJWS"}),
            )
            .await;
        assert_eq!(s, 200, "{v}");

        assert_eq!(
            sees(&app, &desk.intake, &n, phone).await[..2],
            [true, true],
            "its intake staff"
        );
        assert_eq!(
            sees(&app, &desk.supervisor, &n, phone).await[..2],
            [true, true],
            "supervisors"
        );
        assert_eq!(
            sees(&app, &desk.lead, &n, phone).await,
            [true, false, true],
            "the lead department's head"
        );
        for (who, token) in [
            ("another intake", &intake2),
            ("a handler of the lead department", &desk.handler),
            ("another department", &desk.other),
            ("another department's head", &other_lead),
            ("an auditor", &auditor),
            ("the leading group", &group),
        ] {
            assert_eq!(
                sees(&app, token, &n, phone).await,
                [false, false, false],
                "{who}"
            );
        }
        // The control is visible to the wide roles.
        let (s, _) = app
            .get_json(&intake2, &format!("/api/v1/matters/{plain}"))
            .await;
        assert_eq!(s, 200);
        let (s, _) = app
            .get_json(&auditor, &format!("/api/v1/matters/{plain}"))
            .await;
        assert_eq!(s, 200);
        // A step by the lead names its taker; the handler then still does not
        // see it, and steps on it answer 404 like any invisible matter.
        let (s, _) = app
            .step(&desk.handler, &n, serde_json::json!({"action": "sign_for"}))
            .await;
        assert_eq!(s, 404);
        let (s, v) = app
            .step(&desk.lead, &n, serde_json::json!({"action": "sign_for"}))
            .await;
        assert_eq!(s, 200, "{v}");
        // Work queues count it for the lead only.
        let (_, work) = app.get_json(&desk.handler, "/api/v1/work").await;
        assert!(!work.to_string().contains(&n));
        app.stop().await;
    }
);

/// The audit records of `action` (newest first).
pub async fn audit_of(app: &TestApp, action: &str) -> Vec<aiwei_store::trail::AuditRecord> {
    let filter = aiwei_store::trail::AuditFilter {
        action: Some(action.to_owned()),
        ..Default::default()
    };
    app.store.audit_trail(&filter, None, 500).await.unwrap().0
}

async fn event_kinds(app: &TestApp, token: &str, n: &str) -> Vec<String> {
    let (_, v) = app.get_json(token, &format!("/api/v1/matters/{n}")).await;
    kinds(&v)
}

both_backends!(
    disclosure_request_approval_signature_and_expiry,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let desk = app.desk().await;
        let (_, group) = app.token_user("lingdao", &[Role::LeadingGroup], None).await;
        let phone = "13966660001";
        let n = app.dispatched(&desk.intake, phone, "HJWS").await;
        let path = format!("/api/v1/matters/{n}");
        let (_, seen) = app.get_json(&group, &path).await;
        assert_eq!(seen["caller"]["masked"], true);
        assert_ne!(seen["caller"]["phone"], phone);

        let ask =
            serde_json::json!({"purpose": "领导小组核实建议人身份", "fields": ["phone", "name"]});
        let (s, d) = app
            .post_json(&group, &format!("{path}/disclosures"), &ask)
            .await;
        assert_eq!(s, 201, "{d}");
        assert_eq!(d["status"], "requested");
        assert_eq!(d["open"], false);
        let id = d["id"].as_str().unwrap().to_owned();
        let (s, v) = app
            .post_json(&group, &format!("{path}/disclosures"), &ask)
            .await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (409, Some("disclosure_open"))
        );
        let (s, v) = app
            .post_json(&desk.intake, &format!("{path}/disclosures"), &ask)
            .await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (409, Some("already_visible"))
        );
        for bad in [
            serde_json::json!({"purpose": "", "fields": ["phone"]}),
            serde_json::json!({"purpose": "核实身份", "fields": []}),
            serde_json::json!({"purpose": "核实身份", "fields": ["address"]}),
        ] {
            let (s, v) = app
                .post_json(&desk.handler, &format!("{path}/disclosures"), &bad)
                .await;
            assert_eq!(s, 422, "{bad} {v}");
        }
        let (s, _) = app
            .post_json(&desk.other, &format!("{path}/disclosures"), &ask)
            .await;
        assert_eq!(s, 404, "another department cannot even ask");

        // Nothing opens before approval and signature.
        let sign = format!("/api/v1/disclosures/{id}/signature");
        let (s, v) = app
            .post_json(&group, &sign, &serde_json::json!({"agree": true}))
            .await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (409, Some("disclosure_not_approved"))
        );
        let (s, _) = app
            .get_json(&group, "/api/v1/disclosures?which=pending")
            .await;
        assert_eq!(s, 403);
        let (s, pending) = app
            .get_json(&desk.supervisor, "/api/v1/disclosures?which=pending")
            .await;
        assert_eq!(s, 200);
        assert!(pending.to_string().contains(&id));
        let decide = format!("/api/v1/disclosures/{id}/decision");
        let yes = serde_json::json!({"approve": true, "reason": "用途正当，同意", "days": 2});
        let (s, _) = app.post_json(&group, &decide, &yes).await;
        assert_eq!(s, 403, "only supervisors decide");
        let (s, v) = app
            .post_json(
                &desk.supervisor,
                &decide,
                &serde_json::json!({"approve": true, "reason": ""}),
            )
            .await;
        assert_eq!(s, 422, "{v}");
        let (s, d) = app.post_json(&desk.supervisor, &decide, &yes).await;
        assert_eq!(s, 200, "{d}");
        assert_eq!(d["status"], "approved");
        let (s, v) = app.post_json(&desk.supervisor, &decide, &yes).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (409, Some("already_decided"))
        );
        let (_, mine) = app.get_json(&group, "/api/v1/disclosures").await;
        assert!(
            mine["items"][0]["agreement"]
                .as_str()
                .unwrap()
                .contains("保密协议")
        );
        let (_, seen) = app.get_json(&group, &path).await;
        assert_eq!(seen["caller"]["masked"], true, "approved but not signed");
        assert_ne!(seen["caller"]["phone"], phone);

        let (s, _) = app
            .post_json(&desk.handler, &sign, &serde_json::json!({"agree": true}))
            .await;
        assert_eq!(s, 404, "only the requester signs");
        let (s, _) = app
            .post_json(&group, &sign, &serde_json::json!({"agree": false}))
            .await;
        assert_eq!(s, 422);
        let (s, d) = app
            .post_json(&group, &sign, &serde_json::json!({"agree": true}))
            .await;
        assert_eq!(s, 200, "{d}");
        assert_eq!(
            (d["status"].as_str(), d["open"].as_bool()),
            (Some("signed"), Some(true))
        );

        // The named fields open, on this matter only. The caller gave no
        // organisation, so nothing the caller gave is masked any more, and
        // `masked` says so.
        let (_, seen) = app.get_json(&group, &path).await;
        assert_eq!(seen["caller"]["phone"], phone);
        assert_eq!(seen["caller"]["name"], "派单");
        assert_eq!(seen["caller"]["masked"], false);
        let views = audit_of(&app, "caller.view").await;
        assert!(
            views
                .iter()
                .any(|r| r.actor_name.as_deref() == Some("lingdao")
                    && r.target.as_deref() == Some(n.as_str())
                    && r.detail["via"] == "disclosure")
        );
        for action in [
            "disclosure.request",
            "disclosure.approve",
            "disclosure.sign",
        ] {
            assert_eq!(audit_of(&app, action).await.len(), 1, "{action}");
        }
        let kinds = event_kinds(&app, &desk.supervisor, &n).await;
        for k in [
            "disclosure_requested",
            "disclosure_approved",
            "disclosure_signed",
        ] {
            assert!(kinds.iter().any(|x| x == k), "{k} in {kinds:?}");
        }

        // Two days later access has ended, before and after the sweeper
        // puts it on the record.
        app.advance(chrono::Duration::days(2) + chrono::Duration::minutes(1));
        let (_, seen) = app.get_json(&group, &path).await;
        assert_ne!(seen["caller"]["phone"], phone);
        assert_eq!(app.store.expire_disclosures(app.now()).await.unwrap(), 1);
        assert_eq!(app.store.expire_disclosures(app.now()).await.unwrap(), 0);
        let (_, mine) = app.get_json(&group, "/api/v1/disclosures").await;
        assert_eq!(mine["items"][0]["status"], "expired");
        assert!(
            event_kinds(&app, &desk.supervisor, &n)
                .await
                .iter()
                .any(|k| k == "disclosure_expired")
        );

        // A refusal opens nothing.
        let (s, d) = app
            .post_json(&desk.handler, &format!("{path}/disclosures"), &ask)
            .await;
        assert_eq!(s, 201, "{d}");
        let decide = format!("/api/v1/disclosures/{}/decision", d["id"].as_str().unwrap());
        let no = serde_json::json!({"approve": false, "reason": "可通过接听人员转达，不必提供"});
        let (s, d) = app.post_json(&desk.supervisor, &decide, &no).await;
        assert_eq!((s, d["status"].as_str()), (200, Some("refused")));
        let (_, seen) = app.get_json(&desk.handler, &path).await;
        assert_ne!(seen["caller"]["phone"], phone);
        let report = app.store.verify_chains().await.unwrap();
        assert!(report.ok(), "{report:?}");
        app.stop().await;
    }
);

both_backends!(
    reveal_needs_a_reason_and_the_lead_department,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let desk = app.desk().await;
        let (_, group) = app.token_user("lingdao", &[Role::LeadingGroup], None).await;
        let phone = "13966660002";
        let n = app.dispatched(&desk.intake, phone, "HJWS").await;
        let reveal = format!("/api/v1/matters/{n}/reveal");
        let why = serde_json::json!({"reason": "现场核查需联系来电人"});
        let (s, v) = app
            .post_json(&desk.handler, &reveal, &serde_json::json!({"reason": " "}))
            .await;
        assert_eq!(s, 422, "{v}");
        let (s, v) = app.post_json(&desk.handler, &reveal, &why).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["phone"], phone);
        assert_eq!(v["masked"], false);
        let (s, v) = app.post_json(&group, &reveal, &why).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (403, Some("reveal_not_allowed"))
        );
        let (s, _) = app.post_json(&desk.other, &reveal, &why).await;
        assert_eq!(s, 404);
        // The reveal is on the matter's record and the audit trail; the
        // next read is masked again.
        assert!(
            event_kinds(&app, &desk.lead, &n)
                .await
                .iter()
                .any(|k| k == "caller_revealed")
        );
        let r = audit_of(&app, "caller.reveal").await;
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].actor_name.as_deref(), Some("jingban"));
        assert!(
            !r[0].detail.to_string().contains("现场核查"),
            "the reason stays on the matter"
        );
        let (_, seen) = app
            .get_json(&desk.handler, &format!("/api/v1/matters/{n}"))
            .await;
        assert_ne!(seen["caller"]["phone"], phone);
        app.stop().await;
    }
);

both_backends!(
    anonymisation_erases_the_caller_and_keeps_the_record,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let desk = app.desk().await;
        let (_, admin) = app.token_user("guanli", &[Role::Admin], None).await;
        let phone = "13966660003";
        let mut body = phone_complaint(phone, "黄蓉");
        body["content"] =
            serde_json::json!("黄蓉反映楼下餐馆油烟扰民，可拨打13966660003联系黄蓉本人。");
        let (s, first) = app.post_json(&desk.intake, "/api/v1/matters", &body).await;
        assert_eq!(s, 201);
        let first = first["number"].as_str().unwrap().to_owned();
        let second = app.dispatched(&desk.intake, phone, "HJWS").await;
        let other = app.complaint(&desk.intake, "13966660004", "黄药师").await;
        let path = format!("/api/v1/matters/{first}/anonymise");
        let yes = serde_json::json!({"confirm": true});
        let (s, _) = app.post_json(&desk.supervisor, &path, &yes).await;
        assert_eq!(s, 403, "administrators only");
        let (s, _) = app
            .post_json(&admin, &path, &serde_json::json!({"confirm": false}))
            .await;
        assert_eq!(s, 422);
        let (s, v) = app.post_json(&admin, &path, &yes).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["matters"].as_array().unwrap().len(), 2, "{v}");
        assert!(v["texts_redacted"].as_u64().is_some());
        for n in [&first, &second] {
            let (s, m) = app
                .get_json(&desk.intake, &format!("/api/v1/matters/{n}"))
                .await;
            assert_eq!(s, 200, "the matter remains");
            assert_eq!(m["caller"]["anonymised"], true);
            assert!(m["caller"]["name"].is_null());
            assert_eq!(m["caller"]["phone"], "");
            let text = m.to_string();
            assert!(!text.contains("黄蓉") && !text.contains(phone), "{text}");
            assert!(
                m["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["kind"] == "caller_anonymised")
            );
        }
        let (_, m) = app
            .get_json(&desk.intake, &format!("/api/v1/matters/{first}"))
            .await;
        assert!(m["content"].as_str().unwrap().contains("［已匿名］"));
        assert!(m["content"].as_str().unwrap().contains("油烟扰民"));
        // Another caller is untouched; the number finds nothing any more.
        let (_, o) = app
            .get_json(&desk.intake, &format!("/api/v1/matters/{other}"))
            .await;
        assert_eq!(o["caller"]["name"], "黄药师");
        let (_, h) = app
            .post_json(
                &desk.intake,
                "/api/v1/callers/history",
                &serde_json::json!({"phone": phone}),
            )
            .await;
        assert_eq!(h["items"].as_array().unwrap().len(), 0);
        let (s, v) = app.post_json(&admin, &path, &yes).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (409, Some("already_anonymised"))
        );
        let a = audit_of(&app, "caller.anonymise").await;
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].target.as_deref(), Some(first.as_str()));
        assert!(app.store.verify_chains().await.unwrap().ok());
        let raw = raw_storage(&app).await;
        assert!(!contains(&raw, phone) && !contains(&raw, "黄蓉"));
        assert!(!contains(&raw, "黄药师"), "other callers stay sealed");
        app.stop().await;
    }
);

both_backends!(
    the_canary_caller_stays_out_of_logs_and_error_bodies,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let desk = app.desk().await;
        let (_, admin) = app.token_user("guanli", &[Role::Admin], None).await;
        let (_, intake_pw) = app.user("jieting_p", &[Role::Intake], Some("AWB")).await;
        let mut bodies = Vec::new();
        let mut keep = |(s, v): (u16, serde_json::Value)| {
            bodies.push(v.to_string());
            s
        };
        // Good intakes, a person and an organisation.
        let n = app.complaint(&desk.intake, CANARY_PHONE, CANARY_NAME).await;
        let mut org = phone_complaint(CANARY_PHONE, CANARY_NAME);
        org["caller"] = serde_json::json!({"kind": "organization", "name": CANARY_NAME,
            "organization": CANARY_ORG, "phone": CANARY_PHONE});
        assert_eq!(
            keep(app.post_json(&desk.intake, "/api/v1/matters", &org).await),
            201
        );
        // Refused intakes carrying the canary in every caller field.
        for (path, value) in [
            ("/caller/name", serde_json::json!(CANARY_NAME.repeat(40))),
            (
                "/caller/phone",
                serde_json::json!(format!("{CANARY_PHONE}x")),
            ),
            (
                "/caller/organization",
                serde_json::json!(CANARY_ORG.repeat(30)),
            ),
            ("/type", serde_json::json!(CANARY_PHONE)),
            ("/category", serde_json::json!(CANARY_NAME)),
            ("/content", serde_json::json!("")),
        ] {
            let mut bad = org.clone();
            *bad.pointer_mut(path).unwrap() = value;
            let s = keep(app.post_json(&desk.intake, "/api/v1/matters", &bad).await);
            assert_eq!(s, 422, "{path}");
        }
        let s = keep(
            app.post_json(
                &desk.intake,
                "/api/v1/matters",
                &serde_json::json!(CANARY_PHONE),
            )
            .await,
        );
        assert_eq!(s, 422);
        // Look-ups, good and bad; a number typed into a URL.
        for phone in [CANARY_PHONE, &format!("{CANARY_PHONE}0"), CANARY_NAME] {
            keep(
                app.post_json(
                    &desk.intake,
                    "/api/v1/callers/history",
                    &serde_json::json!({"phone": phone}),
                )
                .await,
            );
        }
        let s = keep(
            app.get_json(&desk.intake, &format!("/api/v1/matters/{CANARY_PHONE}"))
                .await,
        );
        assert_eq!(s, 404);
        let s = keep(
            app.get_json(
                &desk.intake,
                &format!("/api/v1/matters?department={CANARY_PHONE}&cursor={CANARY_NAME}"),
            )
            .await,
        );
        assert_eq!(s, 422);
        // Logins with the canary as name and password.
        for (u, p) in [(CANARY_PHONE, CANARY_NAME), ("jieting_p", CANARY_PHONE)] {
            let r = app
                .post_cookie_json(
                    "/api/v1/session",
                    &serde_json::json!({"username": u, "password": p}),
                )
                .await;
            let (s, _) = answer(r).await;
            assert_eq!(s, 401);
        }
        // The intake form refused with the canary in it.
        app.log_in("jieting_p", &intake_pw).await;
        let html = app.html("/intake").await;
        let csrf = crate::pages::csrf_of(&html);
        let r = app
            .post_form(
                "/intake",
                &[
                    ("csrf", csrf.as_str()),
                    ("channel", "phone"),
                    ("caller_kind", "person"),
                    ("caller_name", CANARY_NAME),
                    ("caller_phone", CANARY_PHONE),
                    ("type", "complaint"),
                    ("content", ""),
                ],
            )
            .await;
        let (s, _) = answer(r).await;
        assert_eq!(s, 422);
        // Steps, reveals and disclosures refused with the canary in them.
        let d = app.dispatched(&desk.intake, CANARY_PHONE, "HJWS").await;
        for body in [
            serde_json::json!({"action": "arrive", "arrived_at": "x", "who": CANARY_NAME, "findings": CANARY_PHONE}),
            serde_json::json!({"action": CANARY_PHONE}),
            serde_json::json!({"action": "return", "reason": CANARY_PHONE.repeat(200)}),
        ] {
            let s = keep(app.step(&desk.handler, &d, body).await);
            assert!((403..=422).contains(&s), "{s}");
        }
        let s = keep(
            app.post_json(
                &desk.handler,
                &format!("/api/v1/matters/{d}/reveal"),
                &serde_json::json!({"reason": CANARY_NAME.repeat(200)}),
            )
            .await,
        );
        assert_eq!(s, 422);
        let s = keep(
            app.post_json(
                &desk.handler,
                &format!("/api/v1/matters/{d}/disclosures"),
                &serde_json::json!({"purpose": CANARY_PHONE, "fields": [CANARY_NAME]}),
            )
            .await,
        );
        assert_eq!(s, 422);
        // A reveal and an anonymisation that succeed are logged without the
        // data they touch.
        let s = keep(
            app.post_json(
                &desk.handler,
                &format!("/api/v1/matters/{d}/reveal"),
                &serde_json::json!({"reason": "现场核查"}),
            )
            .await,
        );
        assert_eq!(s, 200);
        let s = keep(
            app.post_json(
                &admin,
                &format!("/api/v1/matters/{n}/anonymise"),
                &serde_json::json!({"confirm": true}),
            )
            .await,
        );
        assert_eq!(s, 200);

        let log = captured_log();
        assert!(log.contains("request"), "the log was captured");
        for secret in [CANARY_PHONE, CANARY_NAME, CANARY_ORG] {
            assert!(!log.contains(secret), "{secret} in the log");
        }
        for b in bodies.iter().filter(|b| b.contains("\"error\"")) {
            for secret in [CANARY_PHONE, CANARY_NAME, CANARY_ORG] {
                assert!(!b.contains(secret), "{secret} in an error body: {b}");
            }
        }
        let trail = app
            .store
            .audit_trail(&Default::default(), None, 500)
            .await
            .unwrap()
            .0;
        let trail = serde_json::to_string(&trail).unwrap();
        for secret in [CANARY_PHONE, CANARY_NAME, CANARY_ORG] {
            assert!(!trail.contains(secret), "{secret} in the audit trail");
        }
        app.stop().await;
    }
);

both_backends!(
    the_ledger_export_is_scoped_masked_neutralised_and_recorded,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let desk = app.desk().await;
        let (_, intake2) = app
            .token_user("jieting2", &[Role::Intake], Some("AWB"))
            .await;
        let mut formula = phone_complaint("13977770001", "=HYPERLINK(\"http://x\")");
        formula["content"] = serde_json::json!("=1+1 楼道堆物");
        let (s, v) = app
            .post_json(&desk.intake, "/api/v1/matters", &formula)
            .await;
        assert_eq!(s, 201, "{v}");
        let mine = v["number"].as_str().unwrap().to_owned();
        let (s, v) = app
            .step(
                &desk.intake,
                &mine,
                serde_json::json!({"action": "dispatch", "lead": "HJWS"}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let theirs = app.dispatched(&desk.intake, "13977770002", "BMFZ").await;
        let mut secret = phone_complaint("13977770003", "保密人");
        secret["sensitive"] = serde_json::json!(true);
        let (_, v) = app
            .post_json(&desk.intake, "/api/v1/matters", &secret)
            .await;
        let sensitive = v["number"].as_str().unwrap().to_owned();

        let export = |token: String, query: &'static str| {
            let c = app.client.clone();
            let url = app.url(&format!("/api/v1/exports/ledger.csv{query}"));
            async move {
                let r = c.get(url).bearer_auth(token).send().await.unwrap();
                let status = r.status().as_u16();
                let ct = r
                    .headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_owned());
                let cd = r
                    .headers()
                    .get("content-disposition")
                    .map(|v| v.to_str().unwrap().to_owned());
                (status, ct, cd, r.text().await.unwrap())
            }
        };
        // Intake: every ordinary matter, callers masked (exports show them
        // in clear only to supervisors unless configured, R-5.2); not
        // another intake's sensitive matter.
        let (s, ct, cd, csv) = export(intake2.clone(), "").await;
        assert_eq!(s, 200);
        assert_eq!(ct.as_deref(), Some("text/csv; charset=utf-8"));
        assert!(cd.unwrap().starts_with("attachment; filename=\"ledger-"));
        assert!(csv.starts_with('\u{feff}'));
        let header = csv.lines().next().unwrap();
        assert!(
            header.contains("事项编号") && header.contains("联系电话"),
            "{header}"
        );
        assert!(csv.contains(&mine) && csv.contains(&theirs), "{csv}");
        assert!(!csv.contains(&sensitive), "sensitive rows stay out");
        assert!(!csv.contains("13977770001") && csv.contains("139****0001"));
        // A supervisor: every matter, callers in clear.
        let (_, _, _, csv) = export(desk.supervisor.clone(), "").await;
        assert!(
            csv.contains(&sensitive) && csv.contains("13977770001"),
            "{csv}"
        );
        // Cells that would start a formula are neutralised.
        assert!(csv.contains("'=1+1 楼道堆物"), "{csv}");
        assert!(csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{csv}");
        assert!(
            !csv.lines()
                .any(|l| l.split(',').any(|c| c.starts_with('=')))
        );
        // A handler: their department's matters only, callers masked.
        let (s, _, _, csv) = export(desk.handler.clone(), "").await;
        assert_eq!(s, 200);
        assert!(csv.contains(&mine) && !csv.contains(&theirs) && !csv.contains(&sensitive));
        assert!(
            !csv.contains("13977770001") && csv.contains("139****0001"),
            "{csv}"
        );
        // Filters apply; bad ones are refused.
        let (_, _, _, csv) = export(intake2.clone(), "?department=XXXX").await;
        assert_eq!(csv.lines().count(), 1, "the header only");
        let (s, _, _, body) = export(intake2.clone(), "?received_from=yesterday").await;
        assert_eq!(s, 422, "{body}");
        // Each export is on the record, with its size.
        let records = audit_of(&app, "ledger.export").await;
        assert_eq!(records.len(), 4);
        assert!(
            records
                .iter()
                .any(|r| r.actor_name.as_deref() == Some("jingban")
                    && r.detail["rows"] == 1
                    && r.detail["callers_in_clear"] == 0)
        );
        assert!(
            records
                .iter()
                .any(|r| r.actor_name.as_deref() == Some("duban")
                    && r.detail["callers_in_clear"] == 3)
        );
        app.stop().await;
    }
);

both_backends!(
    exports_show_callers_in_clear_only_to_the_configured_roles,
    |backend: Backend| async move {
        // With intake named in `export_clear_roles`, a clerk's export shows
        // the callers they recorded in clear, and no others.
        let app = TestApp::spawn_with(backend, |c| {
            c.export_clear_roles = vec![Role::Supervisor, Role::Intake];
        })
        .await;
        let desk = app.desk().await;
        let (_, other_clerk) = app
            .token_user("jieting3", &[Role::Intake], Some("AWB"))
            .await;
        let mine = app.complaint(&desk.intake, "13977771001", "甲某").await;
        let theirs = app.complaint(&other_clerk, "13977771002", "乙某").await;
        let r = app
            .client
            .get(app.url("/api/v1/exports/ledger.csv"))
            .bearer_auth(&desk.intake)
            .send()
            .await
            .unwrap();
        let csv = r.text().await.unwrap();
        assert!(csv.contains(&mine) && csv.contains(&theirs));
        assert!(csv.contains("13977771001"), "own caller in clear: {csv}");
        assert!(!csv.contains("13977771002") && csv.contains("139****1002"));
        app.stop().await;
    }
);

both_backends!(
    a_supervisor_discloses_a_sensitive_matter_to_another_department_for_a_time,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let desk = app.desk().await;
        let (_, supervisor2) = app
            .token_user("duban2", &[Role::Supervisor], Some("AWB"))
            .await;
        let mut body = phone_complaint("13955550009", "穆念慈");
        body["sensitive"] = serde_json::json!(true);
        let (_, m) = app.post_json(&desk.intake, "/api/v1/matters", &body).await;
        let n = m["number"].as_str().unwrap().to_owned();
        let (s, v) = app
            .step(
                &desk.intake,
                &n,
                serde_json::json!({"action": "dispatch", "lead": "HJWS"}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let path = format!("/api/v1/matters/{n}");
        let (s, _) = app.get_json(&desk.other, &path).await;
        assert_eq!(s, 404, "another department does not see it");

        // Only supervisors file for someone else, and only sensitive
        // matters have content to disclose.
        let ask = serde_json::json!({"purpose": "联合执法需了解举报内容", "fields": ["content", "phone"], "recipient": "jingban2"});
        let (s, _) = app
            .post_json(&desk.lead, &format!("{path}/disclosures"), &ask)
            .await;
        assert_eq!(s, 403);
        let bad = serde_json::json!({"purpose": "联合执法", "fields": ["content"], "recipient": "nobody"});
        let (s, v) = app
            .post_json(&desk.supervisor, &format!("{path}/disclosures"), &bad)
            .await;
        assert_eq!((s, v["error"]["field"].as_str()), (422, Some("recipient")));
        let plain = app.complaint(&desk.intake, "13955550010", "普通").await;
        let (s, v) = app
            .post_json(
                &desk.supervisor,
                &format!("/api/v1/matters/{plain}/disclosures"),
                &ask,
            )
            .await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (422, Some("not_sensitive"))
        );

        let (s, d) = app
            .post_json(&desk.supervisor, &format!("{path}/disclosures"), &ask)
            .await;
        assert_eq!(s, 201, "{d}");
        assert_eq!(d["recipient"], "测试jingban2");
        assert_eq!(d["on_behalf"], true);
        let id = d["id"].as_str().unwrap().to_owned();
        let (s, _) = app.get_json(&desk.other, &path).await;
        assert_eq!(s, 404, "not before approval and signature");
        let yes = serde_json::json!({"approve": true, "reason": "同意，限本次联合执法", "days": 1});
        // The supervisor who filed it cannot approve it alone (four eyes).
        let (s, v) = app
            .post_json(
                &desk.supervisor,
                &format!("/api/v1/disclosures/{id}/decision"),
                &yes,
            )
            .await;
        assert_eq!((s, v["error"]["code"].as_str()), (403, Some("own_request")));
        let (s, _) = app.get_json(&desk.other, &path).await;
        assert_eq!(s, 404, "still closed");
        let (s, v) = app
            .post_json(
                &supervisor2,
                &format!("/api/v1/disclosures/{id}/decision"),
                &yes,
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let (s, _) = app.get_json(&desk.other, &path).await;
        assert_eq!(s, 404, "not before signature");
        let (s, v) = app
            .post_json(
                &desk.other,
                &format!("/api/v1/disclosures/{id}/signature"),
                &serde_json::json!({"agree": true}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        // Open: the matter, its content and the phone; in the ledger too.
        let (s, seen) = app.get_json(&desk.other, &path).await;
        assert_eq!(s, 200);
        assert_eq!(seen["caller"]["phone"], "13955550009");
        assert!(
            seen["caller"]["name"].as_str().unwrap().contains('*'),
            "the name was not asked for"
        );
        let (_, ledger) = app.get_json(&desk.other, "/api/v1/matters").await;
        assert!(ledger.to_string().contains(&n));
        let (s, _) = app
            .step(&desk.other, &n, serde_json::json!({"action": "sign_for"}))
            .await;
        assert_eq!(s, 403, "seeing is not handling");
        // A day later it is closed again.
        app.advance(chrono::Duration::days(1) + chrono::Duration::minutes(1));
        let (s, _) = app.get_json(&desk.other, &path).await;
        assert_eq!(s, 404);
        let (_, ledger) = app.get_json(&desk.other, "/api/v1/matters").await;
        assert!(!ledger.to_string().contains(&n));
        let kinds = event_kinds(&app, &desk.supervisor, &n).await;
        assert!(kinds.contains(&"disclosure_signed".to_owned()), "{kinds:?}");
        app.stop().await;
    }
);

both_backends!(
    neither_the_filer_nor_the_recipient_decides_a_disclosure,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let desk = app.desk().await;
        // The recipient is a supervisor too, who could otherwise decide.
        let (recipient_user, recipient_pw) = app
            .user("duban2", &[Role::Supervisor, Role::Handler], Some("BMFZ"))
            .await;
        let recipient = app.token_for(&recipient_user).await;
        let (_, third) = app
            .token_user("duban3", &[Role::Supervisor], Some("AWB"))
            .await;
        let mut body = phone_complaint("13955550020", "四眼");
        body["sensitive"] = serde_json::json!(true);
        let (_, m) = app.post_json(&desk.intake, "/api/v1/matters", &body).await;
        let n = m["number"].as_str().unwrap().to_owned();
        let ask = serde_json::json!({"purpose": "督导核查", "fields": ["content"], "recipient": "duban2"});
        let (s, d) = app
            .post_json(
                &desk.supervisor,
                &format!("/api/v1/matters/{n}/disclosures"),
                &ask,
            )
            .await;
        assert_eq!(s, 201, "{d}");
        let id = d["id"].as_str().unwrap().to_owned();
        let decide = format!("/api/v1/disclosures/{id}/decision");
        let yes = serde_json::json!({"approve": true, "reason": "同意"});
        for (who, token) in [("filer", &desk.supervisor), ("recipient", &recipient)] {
            let (s, v) = app.post_json(token, &decide, &yes).await;
            assert_eq!(
                (s, v["error"]["code"].as_str()),
                (403, Some("own_request")),
                "the {who} decided: {v}"
            );
        }
        // The recipient's list shows the request without a form to decide
        // it, and says who may.
        app.log_in("duban2", &recipient_pw).await;
        let html = app.html("/disclosures").await;
        let row = html
            .split(&format!("id=\"pending-{id}\""))
            .nth(1)
            .and_then(|rest| rest.split("</tr>").next())
            .expect("the request is listed");
        assert!(row.contains("须由其他督办人员审批"), "{row}");
        assert!(!row.contains("decision-form"), "{row}");
        // Nothing changed; a second supervisor sees who filed it for whom,
        // and decides.
        let (_, pending) = app
            .get_json(&third, "/api/v1/disclosures?which=pending")
            .await;
        let item = &pending["items"][0];
        assert_eq!(item["status"], "requested");
        assert_eq!(item["recipient"], "测试duban2");
        assert_eq!(item["filed_by"], "测试duban");
        assert_eq!(item["on_behalf"], true);
        let (s, v) = app.post_json(&third, &decide, &yes).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["status"], "approved");
        app.stop().await;
    }
);

both_backends!(
    intake_sees_in_clear_only_the_callers_it_recorded_or_must_contact,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let desk = app.desk().await;
        let (_, clerk2) = app
            .token_user("jieting2", &[Role::Intake], Some("AWB"))
            .await;
        // Recorded by the other clerk and dispatched: masked for clerk 2.
        let n = app.dispatched(&desk.intake, "13955550030", "HJWS").await;
        let path = format!("/api/v1/matters/{n}");
        let (_, v) = app.get_json(&clerk2, &path).await;
        assert_eq!(v["caller"]["phone"], "139****0030");
        assert_eq!(v["caller"]["masked"], true);
        let (_, v) = app.get_json(&desk.intake, &path).await;
        assert_eq!(v["caller"]["phone"], "13955550030", "its recorder sees it");
        let (_, ledger) = app.get_json(&clerk2, "/api/v1/matters").await;
        assert!(!ledger.to_string().contains("13955550030"));
        // Once the department has finished, the desk gives feedback: then
        // any clerk sees the caller to call back.
        for step in [
            serde_json::json!({"action": "sign_for"}),
            serde_json::json!({"action": "arrive", "arrived_at": app.now().to_rfc3339(), "who": "张伟", "findings": "属实"}),
            serde_json::json!({"action": "plan", "measures": "清运", "planned_completion": (app.now() + chrono::Duration::days(2)).to_rfc3339()}),
            serde_json::json!({"action": "complete", "result": "已清运"}),
        ] {
            let (s, v) = app.step(&desk.handler, &n, step).await;
            assert_eq!(s, 200, "{v}");
        }
        let (_, v) = app.get_json(&clerk2, &path).await;
        assert_eq!(v["caller"]["phone"], "13955550030", "to give feedback");
        let views = audit_of(&app, "caller.view").await;
        assert!(
            views
                .iter()
                .any(|r| r.actor_name.as_deref() == Some("jieting2")
                    && r.detail["via"] == "contacting"),
            "{views:?}"
        );
        // Closed: masked again.
        let (s, _) = app
            .step(&clerk2, &n, serde_json::json!({"action": "feedback", "channel": "phone", "content": "已告知处理结果"}))
            .await;
        assert_eq!(s, 200);
        let (s, _) = app
            .step(
                &clerk2,
                &n,
                serde_json::json!({"action": "revisit", "satisfaction": "satisfied"}),
            )
            .await;
        assert_eq!(s, 200);
        let (_, v) = app.get_json(&clerk2, &path).await;
        assert_eq!(v["status"], "closed");
        assert_eq!(v["caller"]["phone"], "139****0030");
        app.stop().await;
    }
);

both_backends!(
    the_signature_page_keeps_an_optional_scan_of_the_paper_agreement,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let desk = app.desk().await;
        let (_, pw) = app.user("jingban_p", &[Role::Handler], Some("HJWS")).await;
        let n = app.dispatched(&desk.intake, "13966660077", "HJWS").await;
        app.log_in("jingban_p", &pw).await;
        let r = app
            .post_cookie_json(
                &format!("/api/v1/matters/{n}/disclosures"),
                &serde_json::json!({"purpose": "现场核查需联系来电人", "fields": ["phone"]}),
            )
            .await;
        let (s, d) = answer(r).await;
        assert_eq!(s, 201, "{d}");
        let d: serde_json::Value = serde_json::from_str(&d).unwrap();
        let id = d["id"].as_str().unwrap().to_owned();
        let (s, _) = app
            .post_json(
                &desk.supervisor,
                &format!("/api/v1/disclosures/{id}/decision"),
                &serde_json::json!({"approve": true, "reason": "同意"}),
            )
            .await;
        assert_eq!(s, 200);
        let page = format!("/disclosures/{id}");
        let html = app.html(&page).await;
        assert!(html.contains("id=\"agreement-text\""), "{html}");
        let csrf = crate::pages::csrf_of(&html);
        let form = |agree: bool| {
            let mut f = reqwest::multipart::Form::new()
                .text("csrf", csrf.clone())
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(crate::matrix::PNG.to_vec())
                        .file_name("协议.png"),
                );
            if agree {
                f = f.text("agree", "1");
            }
            f
        };
        let agreements = |app: &TestApp| {
            let store = app.store.clone();
            let n = n.clone();
            async move {
                let m = store.matter_by_number(&n.parse().unwrap()).await.unwrap();
                store
                    .attachments(m.id)
                    .await
                    .unwrap()
                    .into_iter()
                    .filter(|a| a.stage == aiwei_core::AttachmentStage::Agreement)
                    .count()
            }
        };
        // Unticked: refused, and the scan is not kept.
        let r = app
            .client
            .post(app.url(&page))
            .multipart(form(false))
            .send()
            .await
            .unwrap();
        let (s, body) = answer(r).await;
        assert_eq!(s, 422, "{body}");
        assert_eq!(agreements(&app).await, 0);
        // Without the CSRF token: refused.
        let r = app
            .client
            .post(app.url(&page))
            .multipart(reqwest::multipart::Form::new().text("agree", "1"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let r = app
            .client
            .post(app.url(&page))
            .multipart(form(true))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(agreements(&app).await, 1);
        let r = app
            .client
            .get(app.url("/api/v1/disclosures"))
            .send()
            .await
            .unwrap();
        let mine: serde_json::Value = r.json().await.unwrap();
        assert_eq!(mine["items"][0]["status"], "signed");
        let scan = mine["items"][0]["scan_url"].as_str().unwrap().to_owned();
        let r = app.client.get(app.url(&scan)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.bytes().await.unwrap().as_ref(), crate::matrix::PNG);
        let html = app.html(&page).await;
        assert!(html.contains("id=\"scan-link\""));
        app.stop().await;
    }
);

both_backends!(
    a_lead_names_a_handler_on_a_sensitive_matter,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let desk = app.desk().await;
        let mut body = phone_complaint("13955550011", "梅超风");
        body["sensitive"] = serde_json::json!(true);
        let (_, m) = app.post_json(&desk.intake, "/api/v1/matters", &body).await;
        let n = m["number"].as_str().unwrap().to_owned();
        let (s, _) = app
            .step(
                &desk.intake,
                &n,
                serde_json::json!({"action": "dispatch", "lead": "HJWS"}),
            )
            .await;
        assert_eq!(s, 200);
        let path = format!("/api/v1/matters/{n}");
        let people = format!("{path}/people");
        let (s, _) = app.get_json(&desk.handler, &path).await;
        assert_eq!(s, 404);
        // Only the lead names, and only members of a handling department.
        let (s, _) = app
            .post_json(
                &desk.supervisor,
                &people,
                &serde_json::json!({"username": "jingban"}),
            )
            .await;
        assert_eq!(s, 403);
        let (s, v) = app
            .post_json(
                &desk.lead,
                &people,
                &serde_json::json!({"username": "jingban2"}),
            )
            .await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (422, Some("not_in_department"))
        );
        let (s, v) = app
            .post_json(
                &desk.lead,
                &people,
                &serde_json::json!({"username": "nobody"}),
            )
            .await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (422, Some("unknown_user"))
        );
        let (s, v) = app
            .post_json(
                &desk.lead,
                &people,
                &serde_json::json!({"username": "jingban"}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        // The handler now sees it and takes its steps.
        let (s, seen) = app.get_json(&desk.handler, &path).await;
        assert_eq!(s, 200);
        assert_eq!(seen["caller"]["masked"], true);
        let (s, v) = app
            .step(&desk.handler, &n, serde_json::json!({"action": "sign_for"}))
            .await;
        assert_eq!(s, 200, "{v}");
        assert!(kinds(&v).contains(&"person_named".to_owned()));
        assert_eq!(audit_of(&app, "person.name").await.len(), 1);
        // Ordinary matters need no naming.
        let plain = app.dispatched(&desk.intake, "13955550012", "HJWS").await;
        let (s, v) = app
            .post_json(
                &desk.lead,
                &format!("/api/v1/matters/{plain}/people"),
                &serde_json::json!({"username": "jingban"}),
            )
            .await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (409, Some("not_sensitive_matter"))
        );
        app.stop().await;
    }
);

both_backends!(
    the_answer_to_an_intake_is_no_view_and_every_later_look_is,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, clerk) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        let (s, m) = app
            .post_json(
                &clerk,
                "/api/v1/matters",
                &phone_complaint("13955550071", "录入人"),
            )
            .await;
        assert_eq!(s, 201, "{m}");
        let n = m["number"].as_str().unwrap().to_owned();
        // The clerk sees what they typed, and that is not a view of it.
        assert_eq!(m["caller"]["phone"], "13955550071");
        assert_eq!(m["attachments"], serde_json::json!([]));
        assert!(audit_of(&app, "caller.view").await.is_empty());
        // A retry of the same request with its key replays the matter as
        // it is now: a read, recorded.
        let body = phone_complaint("13955550072", "重试人");
        let retry = |key: &'static str| {
            app.client
                .post(app.url("/api/v1/matters"))
                .bearer_auth(&clerk)
                .header("idempotency-key", key)
                .json(&body)
                .send()
        };
        let (s, first) = json_answer(retry("k-71").await.unwrap()).await;
        assert_eq!(s, 201, "{first}");
        assert!(audit_of(&app, "caller.view").await.is_empty());
        let (s, again) = json_answer(retry("k-71").await.unwrap()).await;
        assert_eq!(s, 201, "{again}");
        assert_eq!(again["number"], first["number"]);
        assert_eq!(audit_of(&app, "caller.view").await.len(), 1, "the replay");
        // Looking the matter up later is a view like any other.
        let (s, _) = app.get_json(&clerk, &format!("/api/v1/matters/{n}")).await;
        assert_eq!(s, 200);
        let views = audit_of(&app, "caller.view").await;
        assert_eq!(views.len(), 2);
        assert!(
            views
                .iter()
                .any(|r| r.target.as_deref() == Some(n.as_str()) && r.detail["via"] == "recorded"),
            "{views:?}"
        );
        app.stop().await;
    }
);
