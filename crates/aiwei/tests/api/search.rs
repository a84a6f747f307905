//! Full-text search with Ctrl-F semantics (issue 10), on both backends over
//! the same corpus.

use aiwei_core::Role;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, phone_complaint};

/// The corpus: (phone, content, address, sensitive, lead department).
const CORPUS: &[(&str, &str, &str, bool, &str)] = &[
    (
        "13811112201",
        "幸福里小区3号楼门口垃圾堆放三天无人清运，气味很大。",
        "解放路幸福里小区3号楼",
        false,
        "HJWS",
    ),
    (
        "13811112202",
        "翠苑农贸市场鼠患严重，老鼠白天也出来。",
        "翠苑农贸市场",
        false,
        "BMFZ",
    ),
    (
        "13811112203",
        "居民反映WiFi信号塔附近有大量蚊子，PM2.5也很高。",
        "文一路",
        false,
        "HJWS",
    ),
    (
        "13811112204",
        "公厕卫生差，无人打扫。",
        "幸福路12号",
        false,
        "HJWS",
    ),
    (
        "13811112205",
        "某公司内部食堂有鼠患，涉及内部管理。",
        "文二路",
        true,
        "HJWS",
    ),
];

fn numbers(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {v}"))
        .iter()
        .map(|m| m["number"].as_str().unwrap().to_owned())
        .collect()
}

both_backends!(
    search_finds_what_ctrl_f_would_and_nothing_else,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, desk) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        let (_, sup) = app
            .token_user("duban", &[Role::Supervisor], Some("AWB"))
            .await;
        let (_, hjws) = app
            .token_user("jingban", &[Role::Handler], Some("HJWS"))
            .await;
        app.user("fangzhi", &[Role::Handler], Some("BMFZ")).await;
        let mut n = Vec::new();
        for (phone, content, address, sensitive, lead) in CORPUS {
            let mut body = phone_complaint(phone, "检索");
            body["content"] = json!(content);
            body["location"]["address"] = json!(address);
            body["sensitive"] = json!(sensitive);
            let (s, m) = app.post_json(&desk, "/api/v1/matters", &body).await;
            assert_eq!(s, 201, "{m}");
            let number = m["number"].as_str().unwrap().to_owned();
            let (s, _) = app
                .step(&desk, &number, json!({"action": "dispatch", "lead": lead}))
                .await;
            assert_eq!(s, 200);
            n.push(number);
        }
        // A step's text is searched too.
        let (_, lead) = app
            .token_user("keshi", &[Role::DeptLead], Some("HJWS"))
            .await;
        let (s, _) = app
            .step(
                &lead,
                &n[0],
                json!({"action": "sign_for", "note": "已联系物业清运公司"}),
            )
            .await;
        assert_eq!(s, 200);

        let find = |who: &'static str, q: &str| {
            let token = match who {
                "desk" => desk.clone(),
                "sup" => sup.clone(),
                _ => hjws.clone(),
            };
            let url = format!("/api/v1/search?q={}", urlencode(q));
            let app = &app;
            async move {
                let (s, v) = app.get_json(&token, &url).await;
                assert_eq!(s, 200, "{url}: {v}");
                numbers(&v)
            }
        };
        // Corpus indexes, newest first (the corpus was recorded in order).
        let nums = |idx: &[usize]| -> Vec<String> { idx.iter().map(|i| n[*i].clone()).collect() };
        assert_eq!(
            find("sup", "鼠").await,
            nums(&[1]),
            "one character; not the sensitive one"
        );
        assert_eq!(find("sup", "老鼠").await, nums(&[1]), "two characters");
        assert_eq!(find("sup", "鼠患严重").await, nums(&[1]), "four characters");
        assert_eq!(
            find("sup", "市场鼠").await,
            nums(&[1]),
            "across a word boundary"
        );
        assert_eq!(find("sup", "wifi").await, nums(&[2]), "ASCII, any case");
        assert_eq!(
            find("sup", "WiFi信号").await,
            nums(&[2]),
            "mixed Chinese and ASCII"
        );
        assert_eq!(find("sup", "pm2").await, nums(&[2]));
        assert_eq!(
            find("sup", "幸福路12号").await,
            nums(&[3]),
            "an address fragment"
        );
        assert_eq!(find("sup", "3号楼").await, nums(&[0]));
        assert_eq!(
            find("sup", "垃圾 气味").await,
            nums(&[0]),
            "two terms, both present"
        );
        assert_eq!(
            find("sup", "垃圾 老鼠").await,
            nums(&[]),
            "two terms, one missing"
        );
        assert_eq!(find("sup", "物业清运").await, nums(&[0]), "a step's text");
        assert_eq!(find("sup", &n[0]).await, nums(&[0]), "a matter number");
        assert_eq!(
            find("sup", CORPUS[1].0).await,
            nums(&[1]),
            "a full phone number"
        );
        assert_eq!(find("sup", "幸福").await, nums(&[3, 0]));
        assert_eq!(find("sup", "不存在的内容").await, nums(&[]));
        assert_eq!(
            find("sup", "垃圾气味").await,
            nums(&[]),
            "not adjacent in the text"
        );
        assert_eq!(
            find("sup", "食堂").await,
            nums(&[]),
            "sealed text is not searched"
        );
        assert_eq!(
            find("sup", &n[4]).await,
            nums(&[4]),
            "but a sensitive matter's number is"
        );
        assert_eq!(
            find("sup", "垃圾,气味").await,
            nums(&[0]),
            "punctuation inside a term: each run must occur"
        );
        // Scope: the HJWS handler never finds BMFZ's matter.
        assert_eq!(find("hjws", "鼠").await, nums(&[]));
        assert_eq!(find("hjws", "幸福").await, nums(&[3, 0]));

        // The snippet marks what was found; the caller stays masked.
        let (_, v) = app
            .get_json(&hjws, &format!("/api/v1/search?q={}", urlencode("垃圾")))
            .await;
        let hit = &v["items"][0];
        let snippet: Vec<char> = hit["snippet"].as_str().unwrap().chars().collect();
        let [a, b] = [
            hit["marks"][0][0].as_u64().unwrap() as usize,
            hit["marks"][0][1].as_u64().unwrap() as usize,
        ];
        assert_eq!(snippet[a..b].iter().collect::<String>(), "垃圾");
        assert_eq!(hit["caller"]["phone"], "138****2201");
        assert_eq!(v["total"], 1);

        // Filters and paging as in the ledger.
        let (_, v) = app
            .get_json(
                &sup,
                &format!(
                    "/api/v1/search?q={}&lead_department=HJWS",
                    urlencode("幸福")
                ),
            )
            .await;
        assert_eq!(numbers(&v), nums(&[3, 0]));
        let (_, v) = app
            .get_json(
                &sup,
                &format!("/api/v1/search?q={}&limit=1", urlencode("幸福")),
            )
            .await;
        assert_eq!(numbers(&v), nums(&[3]));
        let next = v["next"].as_str().unwrap();
        let (_, v) = app
            .get_json(
                &sup,
                &format!(
                    "/api/v1/search?q={}&limit=1&cursor={next}",
                    urlencode("幸福")
                ),
            )
            .await;
        assert_eq!(numbers(&v), nums(&[0]));
    }
);

both_backends!(
    bad_queries_are_refused_naming_q_and_engine_syntax_is_text,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, sup) = app
            .token_user("duban", &[Role::Supervisor], Some("AWB"))
            .await;
        for q in ["", "，。！", "\\", &"鼠".repeat(201)] {
            let (s, v) = app
                .get_json(&sup, &format!("/api/v1/search?q={}", urlencode(q)))
                .await;
            assert_eq!(
                (s, v["error"]["field"].as_str()),
                (422, Some("q")),
                "{q}: {v}"
            );
        }
        let (s, v) = app.get_json(&sup, "/api/v1/search").await;
        assert_eq!((s, v["error"]["field"].as_str()), (422, Some("q")));
        for q in [
            r#""鼠""#,
            "鼠*",
            "NEAR(鼠 患)",
            "a:b",
            "-垃圾",
            "(鼠) OR 1=1",
            "'; DROP",
            "^鼠",
        ] {
            let (s, v) = app
                .get_json(&sup, &format!("/api/v1/search?q={}", urlencode(q)))
                .await;
            assert_eq!(s, 200, "{q}: {v}");
        }
    }
);

both_backends!(
    a_new_database_owes_no_rebuild_so_matters_loaded_before_the_first_start_are_indexed_once,
    |backend: Backend| async move {
        // Migrating an empty ledger drops the rebuild migration 0020 owes
        // ledgers older than the index: what is recorded next is indexed
        // as it is written, and the first start has nothing to redo.
        let app = TestApp::spawn(backend).await;
        assert!(!app.store.search_reindex_pending().await.unwrap());
        let (_, desk) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        let n = app.complaint(&desk, "13811112211", "首次").await;
        let url = format!("/api/v1/search?q={}", urlencode("垃圾"));
        let (_, v) = app.get_json(&desk, &url).await;
        assert_eq!(numbers(&v), [n]);
        assert!(!app.store.search_reindex_pending().await.unwrap());
    }
);

both_backends!(
    the_reindex_rebuilds_what_was_lost,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, desk) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        let n = app.complaint(&desk, "13811112210", "重建").await;
        app.raw_execute(match backend {
            Backend::Sqlite => "DELETE FROM matter_search",
            Backend::Postgres => "DELETE FROM matter_search",
        })
        .await;
        let url = format!("/api/v1/search?q={}", urlencode("垃圾"));
        let (_, v) = app.get_json(&desk, &url).await;
        assert!(numbers(&v).is_empty());
        let mut total = 0;
        let mut restart = true;
        loop {
            let done = app.store.reindex_search(1, restart).await.unwrap();
            restart = false;
            if done == 0 {
                break;
            }
            total += done;
        }
        assert_eq!(total, 1);
        assert!(!app.store.search_reindex_pending().await.unwrap());
        let (_, v) = app.get_json(&desk, &url).await;
        assert_eq!(numbers(&v), [n]);
    }
);

both_backends!(
    the_search_page_and_the_box_on_every_page,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, pw) = app.user("jieting", &[Role::Intake], Some("AWB")).await;
        app.log_in("jieting", &pw).await;
        let (user, _) = (
            app.store
                .user_by_name(&aiwei_core::Username::parse("jieting").unwrap())
                .await
                .unwrap(),
            (),
        );
        let token = app.token_for(&user).await;
        let n = app.complaint(&token, "13811112220", "页面").await;
        let work = app.html("/work").await;
        assert!(work.contains(r#"id="top-search""#));
        let page = app
            .html(&format!("/search?q={}", urlencode("垃圾堆放")))
            .await;
        assert!(page.contains(&format!(r#"href="/matters/{n}""#)), "{page}");
        assert!(page.contains("<mark>垃圾堆放</mark>"), "{page}");
        let r = app
            .client
            .get(app.url("/search?q=%EF%BC%8C"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains(r#"id="search-error""#));
    }
);

/// Percent-encodes a query value.
pub(crate) fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

both_backends!(
    relevance_puts_the_best_match_first_and_pages_on,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, desk) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        let mut numbers = Vec::new();
        for (i, content) in [
            "垃圾垃圾垃圾，门口全是垃圾",
            "楼道有垃圾",
            "噪音很大，与垃圾无关的长篇叙述占了大部分篇幅，来电人反复说明情况，希望尽快处理这个问题",
        ]
        .iter()
        .enumerate()
        {
            let mut body = phone_complaint(&format!("1381111330{i}"), "相关");
            body["content"] = json!(content);
            body["location"]["address"] = json!("文一路");
            let (s, m) = app.post_json(&desk, "/api/v1/matters", &body).await;
            assert_eq!(s, 201, "{m}");
            numbers.push(m["number"].as_str().unwrap().to_owned());
        }
        // Newest first by default; by relevance the densest match first.
        let (_, newest) = app
            .get_json(&desk, &format!("/api/v1/search?q={}", urlencode("垃圾")))
            .await;
        let got: Vec<&str> = newest["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["number"].as_str().unwrap())
            .collect();
        assert_eq!(
            got,
            vec![
                numbers[2].as_str(),
                numbers[1].as_str(),
                numbers[0].as_str()
            ]
        );
        let url = format!(
            "/api/v1/search?q={}&sort=relevance&limit=1",
            urlencode("垃圾")
        );
        let (s, first) = app.get_json(&desk, &url).await;
        assert_eq!(s, 200, "{first}");
        assert_eq!(first["items"][0]["number"], numbers[0].as_str(), "{first}");
        assert_eq!(first["total"], 3);
        // Pages go on by cursor and end.
        let mut seen = vec![first["items"][0]["number"].as_str().unwrap().to_owned()];
        let mut next = first["next"].as_str().map(str::to_owned);
        while let Some(c) = next {
            let (s, page) = app.get_json(&desk, &format!("{url}&cursor={c}")).await;
            assert_eq!(s, 200, "{page}");
            seen.extend(
                page["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m["number"].as_str().unwrap().to_owned()),
            );
            next = page["next"].as_str().map(str::to_owned);
        }
        seen.sort();
        let mut all = numbers.clone();
        all.sort();
        assert_eq!(seen, all);
        // A newest-first cursor is not an offset; an unknown sort is refused.
        let keyset = newest["items"][0]["number"].as_str().unwrap();
        let (_, page) = app
            .get_json(
                &desk,
                &format!("/api/v1/search?q={}&limit=1", urlencode("垃圾")),
            )
            .await;
        let c = page["next"].as_str().unwrap();
        let (s, e) = app.get_json(&desk, &format!("{url}&cursor={c}")).await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some("cursor")),
            "{keyset}"
        );
        let (s, e) = app
            .get_json(
                &desk,
                &format!("/api/v1/search?q={}&sort=best", urlencode("垃圾")),
            )
            .await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some("sort")));
        // A number alone has nothing to rank by: newest first.
        let (s, r) = app
            .get_json(
                &desk,
                &format!("/api/v1/search?q={}&sort=relevance", numbers[1]),
            )
            .await;
        assert_eq!(
            (s, r["items"][0]["number"].as_str()),
            (200, Some(numbers[1].as_str()))
        );
        app.stop().await;
    }
);

both_backends!(
    totals_are_counted_up_to_the_limit_and_then_said_to_be_more,
    |backend: Backend| async move {
        let app = TestApp::spawn_with(backend, |c| c.count_limit = 2).await;
        let (_, pw) = app.user("jieting", &[Role::Intake], Some("AWB")).await;
        app.log_in("jieting", &pw).await;
        let user = app
            .store
            .user_by_name(&aiwei_core::Username::parse("jieting").unwrap())
            .await
            .unwrap();
        let token = app.token_for(&user).await;
        let total = |v: &Value| (v["total"].as_i64(), v["total_more"].as_bool());
        let search = format!("/api/v1/search?q={}", urlencode("垃圾"));

        // Exactly the limit: an exact total.
        for i in 0..2 {
            app.complaint(&token, &format!("1381111223{i}"), "计数")
                .await;
        }
        let (s, v) = app.get_json(&token, &search).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(total(&v), (Some(2), Some(false)), "{v}");
        let (_, v) = app.get_json(&token, "/api/v1/matters").await;
        assert_eq!(total(&v), (Some(2), Some(false)), "{v}");
        assert!(app.html("/ledger").await.contains("共 2 件"));

        // One more: the count stops at the limit and says so; every row
        // is still there to page through.
        app.complaint(&token, "13811112239", "计数").await;
        let (_, v) = app.get_json(&token, &search).await;
        assert_eq!(total(&v), (Some(2), Some(true)), "{v}");
        assert_eq!(numbers(&v).len(), 3, "{v}");
        let mine = format!("/api/v1/matters?intake_user={}", user.id.0);
        let (_, v) = app.get_json(&token, &mine).await;
        assert_eq!(total(&v), (Some(2), Some(true)), "{v}");
        assert!(
            app.html(&format!("/ledger?intake_user={}", user.id.0))
                .await
                .contains("超过 2 件")
        );
        // The plain ledger's total comes from its tally, exact beyond the
        // limit.
        let (_, v) = app.get_json(&token, "/api/v1/matters").await;
        assert_eq!(total(&v), (Some(3), Some(false)), "{v}");
        assert!(app.html("/ledger").await.contains("共 3 件"));
        let page = app.html(&format!("/search?q={}", urlencode("垃圾"))).await;
        assert!(page.contains("找到超过 2 件事项"), "{page}");
        // A filter that leaves fewer is counted exactly again.
        let (_, v) = app
            .get_json(&token, &format!("{search}&limit=1&type=consultation"))
            .await;
        assert_eq!(total(&v), (Some(0), Some(false)), "{v}");
    }
);

both_backends!(
    both_sides_of_a_search_find_the_same_matters_in_the_same_order,
    |backend: Backend| async move {
        use aiwei_core::access::EVERYTHING;
        use aiwei_store::matters::{Cursor, LedgerFilter};
        use aiwei_store::search::{Drive, DriveBounds};
        let app = TestApp::spawn(backend).await;
        let (_, desk) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        // Enough matters that a page of three ends inside the matches.
        for round in 0..4 {
            for (i, (_, content, address, sensitive, _)) in CORPUS.iter().enumerate() {
                let mut body = phone_complaint(&format!("138111130{round}{i}"), "两侧");
                body["content"] = json!(content);
                body["location"]["address"] = json!(address);
                body["sensitive"] = json!(sensitive);
                body["urgent"] = json!(round % 2 == 1);
                let (s, m) = app.post_json(&desk, "/api/v1/matters", &body).await;
                assert_eq!(s, 201, "{m}");
            }
        }
        let matches_side = app.store.clone();
        let ledger_side = app
            .store
            .clone()
            .with_drive_bounds(DriveBounds { page: 0, count: 0 });

        // Every page of a search, by cursor, three at a time, and the total
        // counted up to `cap`.
        async fn all_pages(
            store: &aiwei_store::Store,
            filter: &LedgerFilter,
            cap: i64,
        ) -> (Vec<String>, Vec<(i64, bool)>) {
            let (mut seen, mut totals) = (Vec::new(), Vec::new());
            let mut after: Option<Cursor> = None;
            loop {
                let (rows, next, total) = store
                    .ledger_page(filter, &EVERYTHING, after, 3, cap)
                    .await
                    .unwrap();
                seen.extend(rows.into_iter().map(|m| m.number));
                totals.push((total.count, total.more));
                match next {
                    Some(c) => after = Some(c),
                    None => break (seen, totals),
                }
            }
        }
        let queries = [
            "垃圾",
            "鼠",
            "幸福",
            "垃圾 幸福",
            "12号",
            "wifi pm2.5",
            "鼠 12",
            "猫",
        ];
        for q in queries {
            let text = app
                .store
                .search_conds(&aiwei_core::search::Query::parse(q).unwrap())
                .unwrap();
            let drives = ledger_side.text_drives(&text, None).await.unwrap();
            let found = matches_side
                .ledger_count(
                    &LedgerFilter {
                        text: text.clone(),
                        ..Default::default()
                    },
                    &EVERYTHING,
                    1000,
                )
                .await
                .unwrap();
            if found.count > 0 {
                assert_eq!(drives.page, Drive::Ledger, "{q}");
                assert_eq!(
                    drives.count,
                    match backend {
                        Backend::Sqlite => Drive::Ledger,
                        Backend::Postgres => Drive::Matches,
                    },
                    "{q}"
                );
            }
            assert_eq!(
                matches_side.text_drives(&text, None).await.unwrap().page,
                Drive::Matches
            );
            for lead in [None, Some("HJWS")] {
                for cap in [2, 1000] {
                    let filter = LedgerFilter {
                        text: text.clone(),
                        lead_department: lead.map(str::to_owned),
                        urgent: (cap == 2).then_some(true),
                        ..Default::default()
                    };
                    let a = all_pages(&matches_side, &filter, cap).await;
                    let b = all_pages(&ledger_side, &filter, cap).await;
                    assert_eq!(a, b, "{q} {lead:?} {cap}");
                    if q == "垃圾" && lead.is_none() && cap == 1000 {
                        assert_eq!(a.0.len(), 4, "{a:?}");
                    }
                }
            }
        }
    }
);
