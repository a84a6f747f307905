//! The tracking ledger (台账, R-4.1.2): filters and keyset pagination.

use std::collections::HashSet;

use aiwei_core::Role;
use aiwei_core::intake::{CallerInput, IntakeRequest};
use aiwei_store::matters::IntakeContext;
use chrono::{Duration, Utc};
use serde_json::Value;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, phone_complaint};

const TYPES: [&str; 4] = ["consultation", "complaint", "suggestion", "other"];

/// Writes `n` matters straight into the store: received times spread over
/// 30 days with many exact ties, so the cursor's tie-break on id matters.
async fn load(app: &TestApp, n: usize) -> Vec<(String, String)> {
    let (user, _) = app.user("bulk", &[Role::Intake], Some("AWB")).await;
    let now = Utc::now();
    let mut kinds = Vec::with_capacity(n);
    let mut batch = Vec::new();
    for i in 0..n {
        let ty = TYPES[i % 4];
        let channel = if i % 3 == 0 { "visit" } else { "phone" };
        // 2,500 distinct instants for 10,000 matters: four per instant.
        let received =
            now - Duration::minutes(10) - Duration::seconds(((i / 4) * 997 % 2_592_000) as i64);
        let req = IntakeRequest {
            channel: Some(channel.into()),
            received_at: Some(received),
            ring_seconds: (channel == "phone").then_some(5),
            caller: CallerInput {
                kind: Some("person".into()),
                name: Some(format!("来电人{i}")),
                organization: None,
                phone: Some(format!("139{:08}", i)),
            },
            matter_type: Some(ty.into()),
            content: Some(format!("第{i}号测试事项")),
            answer: Some("已答复".into()),
            ..Default::default()
        };
        batch.push(req.validate(now).unwrap());
        kinds.push((ty.to_owned(), channel.to_owned()));
        if batch.len() == 1_000 || i + 1 == n {
            let ctx = IntakeContext {
                actor: &user,
                prefix: "AW",
                now,
            };
            app.store.record_intakes(&batch, &ctx).await.unwrap();
            batch.clear();
        }
    }
    kinds
}

async fn walk(app: &TestApp, token: &str, query: &str, limit: u32) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/matters?limit={limit}{query}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let (status, page) = app.get_json(token, &path).await;
        assert_eq!(status, 200, "{page}");
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= limit as usize);
        out.extend(items.iter().cloned());
        match page["next"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    out
}

fn assert_newest_first_without_duplicates(items: &[Value]) {
    let mut seen = HashSet::new();
    for w in items.windows(2) {
        let a = (
            w[0]["received_at"].as_str().unwrap(),
            w[0]["id"].as_str().unwrap(),
        );
        let b = (
            w[1]["received_at"].as_str().unwrap(),
            w[1]["id"].as_str().unwrap(),
        );
        let ta = chrono::DateTime::parse_from_rfc3339(a.0).unwrap();
        let tb = chrono::DateTime::parse_from_rfc3339(b.0).unwrap();
        assert!(
            ta > tb || (ta == tb && a.1 > b.1),
            "order broken at {a:?} / {b:?}"
        );
    }
    for m in items {
        assert!(
            seen.insert(m["number"].as_str().unwrap().to_owned()),
            "duplicate {}",
            m["number"]
        );
    }
}

both_backends!(
    cursor_pages_through_ten_thousand_matters,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let kinds = load(&app, 10_000).await;
        let (_, token) = app.token_user("reader", &[Role::Supervisor], None).await;

        let all = walk(&app, &token, "", 500).await;
        assert_eq!(all.len(), 10_000);
        assert_newest_first_without_duplicates(&all);
        let numbers: HashSet<String> = all
            .iter()
            .map(|m| m["number"].as_str().unwrap().to_owned())
            .collect();
        let year = all[0]["number"].as_str().unwrap()[2..6].to_owned();
        let expected: HashSet<String> = (1..=10_000).map(|i| format!("AW{year}-{i:06}")).collect();
        // Numbers follow the order of intake within a year; matters recorded in
        // an earlier local year (near New Year) would carry that year.
        if all
            .iter()
            .all(|m| m["number"].as_str().unwrap()[2..6] == year)
        {
            assert_eq!(numbers, expected, "numbers without gaps");
        }

        // A filter: complaints by visit, paged in small pages.
        let want = kinds
            .iter()
            .filter(|(t, c)| t == "complaint" && c == "visit")
            .count();
        let filtered = walk(&app, &token, "&type=complaint&channel=visit", 97).await;
        assert_eq!(filtered.len(), want);
        assert_newest_first_without_duplicates(&filtered);
        assert!(
            filtered
                .iter()
                .all(|m| m["type"] == "complaint" && m["channel"] == "visit")
        );

        // Status and department filters; a date range that holds nothing.
        let closed = walk(&app, &token, "&status=closed&department=AWB", 500).await;
        assert_eq!(closed.len(), 10_000);
        let none = walk(
            &app,
            &token,
            "&received_from=2001-01-01&received_to=2001-01-31",
            50,
        )
        .await;
        assert!(none.is_empty());
        let (status, err) = app
            .get_json(&token, "/api/v1/matters?received_from=yesterday")
            .await;
        assert_eq!(status, 422);
        assert_eq!(err["error"]["field"], "received_from");
        let (status, err) = app.get_json(&token, "/api/v1/matters?cursor=garbage").await;
        assert_eq!(status, 422);
        assert_eq!(err["error"]["field"], "cursor");
        let (status, _) = app.get_json(&token, "/api/v1/matters?limit=0").await;
        assert_eq!(status, 422);
        app.stop().await;
    }
);

both_backends!(
    filters_by_category_and_date,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, token) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        let mut mosquito = phone_complaint("13711112222", "孙八");
        mosquito["category"] = "vector.mosquito".into();
        app.post_json(&token, "/api/v1/matters", &mosquito).await;
        app.post_json(
            &token,
            "/api/v1/matters",
            &phone_complaint("13711113333", "周九"),
        )
        .await;
        let vector = walk(&app, &token, "&category=vector", 50).await;
        assert_eq!(vector.len(), 1, "a parent category matches its children");
        assert_eq!(vector[0]["category"]["code"], "vector.mosquito");
        let today = Utc::now()
            .with_timezone(&aiwei_core::time::china())
            .format("%Y-%m-%d")
            .to_string();
        let todays = walk(
            &app,
            &token,
            &format!("&received_from={today}&received_to={today}"),
            50,
        )
        .await;
        assert!(todays.len() <= 2);
        let (status, cats) = app.get_json(&token, "/api/v1/categories").await;
        assert_eq!(status, 200);
        let items = cats["items"].as_array().unwrap();
        assert!(items.len() > 20);
        for t in TYPES {
            assert!(
                items.iter().any(|c| c["type"] == t),
                "the default tree covers {t}"
            );
        }
        assert!(
            items
                .iter()
                .any(|c| c["code"] == "vector.mosquito" && c["parent"] == "vector")
        );
        app.stop().await;
    }
);

both_backends!(
    department_staff_see_their_department_masked,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, intake) = app
            .token_user("jieting", &[Role::Intake], Some("HJWS"))
            .await;
        let (_, handler) = app
            .token_user("jingban", &[Role::Handler], Some("HJWS"))
            .await;
        let (_, other) = app
            .token_user("jingban2", &[Role::Handler], Some("BMFZ"))
            .await;
        let (_, created) = app
            .post_json(
                &intake,
                "/api/v1/matters",
                &phone_complaint("13812349999", "吴十"),
            )
            .await;
        let number = created["number"].as_str().unwrap();
        let (status, m) = app
            .get_json(&handler, &format!("/api/v1/matters/{number}"))
            .await;
        assert_eq!(status, 200);
        assert_eq!(m["caller"]["phone"], "138****9999");
        assert_eq!(m["caller"]["name"], "吴*");
        assert_eq!(m["caller"]["masked"], true);
        let (status, err) = app
            .get_json(&other, &format!("/api/v1/matters/{number}"))
            .await;
        assert_eq!(
            status, 404,
            "another department's matter is not found, not forbidden"
        );
        assert_eq!(err["error"]["code"], "not_found");
        let (_, page) = app.get_json(&other, "/api/v1/matters").await;
        assert!(page["items"].as_array().unwrap().is_empty());
        let (_, page) = app.get_json(&handler, "/api/v1/matters").await;
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        assert!(!page.to_string().contains("13812349999"));
        app.stop().await;
    }
);

both_backends!(
    totals_from_the_tally_are_exact_and_match_the_rows_for_every_reader,
    |backend: Backend| async move {
        use chrono::Datelike;
        // A low limit: a total counted over the matters stops at 5 and
        // says "more"; one from the tally is exact whatever its size.
        let app = TestApp::spawn_with(backend, |c| c.count_limit = 5).await;
        app.seed_demo(60).await;
        let token = |name: &'static str| {
            let app = &app;
            async move {
                let user = app
                    .store
                    .user_by_name(&aiwei_core::Username::parse(name).unwrap())
                    .await
                    .unwrap();
                app.token_for(&user).await
            }
        };
        // Readers who see every ordinary matter (the supervisor sees the
        // sensitive ones too; intake only some), and one who does not.
        let wide = [
            token("duban").await,
            token("jieting").await,
            token("lingdao").await,
        ];
        let handler = token("jingban").await;

        let local = app
            .now()
            .with_timezone(&aiwei_core::time::china())
            .date_naive();
        let first = local.with_day(1).unwrap();
        let last = (first + chrono::Months::new(1)).pred_opt().unwrap();
        let earlier = first - chrono::Months::new(2);
        let plain = [
            String::new(),
            "&type=complaint".into(),
            "&status=closed".into(),
            "&channel=phone&urgent=false".into(),
            "&department=AWB".into(),
            "&lead_department=HJWS".into(),
            "&type=complaint&lead_department=HJWS&status=closed".into(),
            "&category=vector".into(),
            "&satisfaction=satisfied".into(),
            format!("&received_from={first}&received_to={last}"),
            format!("&received_from={earlier}&received_to={last}&type=complaint"),
        ];
        // What the tally cannot answer: counted over the matters.
        let counted = [
            "&co_department=HJWS".to_owned(),
            format!("&received_from={}", first.succ_opt().unwrap()),
            "&overdue=true".into(),
        ];
        let total = |v: &Value| {
            (
                v["total"].as_i64().unwrap(),
                v["total_more"].as_bool().unwrap(),
            )
        };
        let check = || async {
            let mut beyond_the_limit = 0;
            for t in &wide {
                for q in &plain {
                    let (s, v) = app
                        .get_json(t, &format!("/api/v1/matters?limit=500{q}"))
                        .await;
                    assert_eq!(s, 200, "{q}: {v}");
                    let rows = v["items"].as_array().unwrap().len() as i64;
                    assert_eq!(total(&v), (rows, false), "{q}");
                    beyond_the_limit += usize::from(rows > 5);
                }
                for q in &counted {
                    let (_, v) = app
                        .get_json(t, &format!("/api/v1/matters?limit=500{q}"))
                        .await;
                    let rows = v["items"].as_array().unwrap().len() as i64;
                    assert_eq!(total(&v), (rows.min(5), rows > 5), "{q}");
                }
            }
            assert!(beyond_the_limit > 10, "{beyond_the_limit}");
            for q in &plain {
                let (_, v) = app
                    .get_json(&handler, &format!("/api/v1/matters?limit=500{q}"))
                    .await;
                let rows = v["items"].as_array().unwrap().len() as i64;
                assert_eq!(total(&v), (rows.min(5), rows > 5), "{q}");
            }
        };
        check().await;
        // The supervisor sees the sensitive matters the others do not, and
        // they are in its total.
        let (_, all) = app.get_json(&wide[0], "/api/v1/matters?limit=500").await;
        let (_, some) = app.get_json(&wide[1], "/api/v1/matters?limit=500").await;
        assert!(
            total(&all).0 > total(&some).0,
            "{} {}",
            total(&all).0,
            total(&some).0
        );

        // PostgreSQL's pending deltas fold into the tally; totals stay.
        let folded = app.store.fold_tally().await.unwrap();
        assert_eq!(folded > 0, backend == Backend::Postgres);
        assert_eq!(
            app.raw_count("SELECT COUNT(*) FROM matter_tally_delta")
                .await,
            0
        );
        check().await;
        // New writes after a fold count at once.
        let (_, desk) = app.token_user("tally", &[Role::Intake], Some("AWB")).await;
        let number = app.dispatched(&desk, "13900001111", "HJWS").await;
        assert!(!number.is_empty());
        check().await;
        assert_eq!(app.store.tally_drift().await.unwrap(), 0);

        // A tally gone wrong is found and rebuilt from the matters.
        app.raw_execute(
            "UPDATE matter_tally SET n = n + 5 WHERE month = (SELECT MIN(month) FROM matter_tally)",
        )
        .await;
        assert!(app.store.tally_drift().await.unwrap() > 0);
        app.store.rebuild_tally().await.unwrap();
        assert_eq!(app.store.tally_drift().await.unwrap(), 0);
        assert_eq!(
            app.raw_count("SELECT COUNT(*) FROM matter_tally_delta")
                .await,
            0
        );
        check().await;
        app.stop().await;
    }
);
