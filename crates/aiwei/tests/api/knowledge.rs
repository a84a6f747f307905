//! The knowledge base (issue 10): articles as versions, proposals and
//! publication, differences, answering a consultation from an article, the
//! articles offered to intake, and searching the knowledge base, on both
//! backends.

use aiwei_core::Role;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use crate::pages::csrf_of;
use crate::search::urlencode;

fn article(title: &str, answer: &str) -> Value {
    json!({
        "kind": "faq",
        "title": title,
        "category": "env.garbage",
        "tags": ["垃圾", "清运"],
        "doc_number": "市爱卫发〔2026〕1号",
        "answer": answer,
        "full_text": "第一条 垃圾日产日清。\n第二条 每周消杀一次。\n"
    })
}

/// Creates an article as `author` and publishes version 1 as `publisher`;
/// returns its id.
async fn published(app: &TestApp, author: &str, publisher: &str, body: &Value) -> String {
    let (s, a) = app.post_json(author, "/api/v1/articles", body).await;
    assert_eq!(s, 201, "{a}");
    let id = a["id"].as_str().unwrap().to_owned();
    let (s, a) = app
        .post_json(
            publisher,
            &format!("/api/v1/articles/{id}/publish"),
            &json!({"version": 1}),
        )
        .await;
    assert_eq!(s, 200, "{a}");
    id
}

fn consultation(answer: &str, from: Option<Value>) -> Value {
    let mut b = json!({
        "channel": "phone",
        "received_at": (chrono::Utc::now() - chrono::Duration::minutes(2)).to_rfc3339(),
        "ring_seconds": 5,
        "caller": {"kind": "person", "name": "知识", "phone": "13811113333"},
        "type": "consultation",
        "content": "咨询小区垃圾多久清运一次。",
        "answer": answer,
    });
    if let Some(f) = from {
        b["answered_from"] = f;
    }
    b
}

both_backends!(
    articles_are_versions_that_departments_propose_and_supervisors_publish,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, clerk) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        let (_, handler) = app
            .token_user("jingban", &[Role::Handler], Some("HJWS"))
            .await;
        let (_, sup) = app
            .token_user("duban", &[Role::Supervisor], Some("AWB"))
            .await;
        let (_, auditor) = app.token_user("shenji", &[Role::Auditor], None).await;

        // Auditors read but do not write.
        let body = article("垃圾清运频次", "城区生活垃圾每日清运一次。");
        let (s, e) = app.post_json(&auditor, "/api/v1/articles", &body).await;
        assert_eq!((s, e["error"]["code"].as_str()), (403, Some("forbidden")));

        // A clerk writes it: version 1, a draft, not offered.
        let (s, a) = app.post_json(&clerk, "/api/v1/articles", &body).await;
        assert_eq!(s, 201, "{a}");
        assert_eq!(a["status"], "draft");
        assert_eq!(a["standing"], "draft");
        assert_eq!(a["version"], 1);
        assert_eq!(a["pending"], true);
        assert_eq!(a["tags"], json!(["垃圾", "清运"]));
        let id = a["id"].as_str().unwrap().to_owned();

        // Only a publisher publishes.
        let publish = format!("/api/v1/articles/{id}/publish");
        let (s, _) = app
            .post_json(&clerk, &publish, &json!({"version": 1}))
            .await;
        assert_eq!(s, 403);
        let (s, a) = app.post_json(&sup, &publish, &json!({"version": 1})).await;
        assert_eq!(s, 200, "{a}");
        assert_eq!(
            (a["status"].as_str(), a["standing"].as_str()),
            (Some("published"), Some("in_force"))
        );
        let (s, e) = app.post_json(&sup, &publish, &json!({"version": 1})).await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (409, Some("already_published"))
        );
        let (s, e) = app.post_json(&sup, &publish, &json!({"version": 7})).await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some("version")));

        // A department proposes an edit from the newest version.
        let versions = format!("/api/v1/articles/{id}/versions");
        let mut edit = article("垃圾清运频次", "城区生活垃圾每日清运两次，早晚各一次。");
        edit["note"] = json!("按新规定调整");
        let (s, e) = app.post_json(&handler, &versions, &edit).await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some("base_version"))
        );
        edit["base_version"] = json!(1);
        let (s, a) = app.post_json(&handler, &versions, &edit).await;
        assert_eq!(s, 201, "{a}");
        // Version 1 stays in force until version 2 is published.
        assert_eq!(
            (a["version"].as_i64(), a["latest_version"].as_i64()),
            (Some(1), Some(2))
        );
        assert_eq!(a["pending"], true);
        assert_eq!(a["shown"]["answer"], "城区生活垃圾每日清运一次。");
        assert_eq!(a["versions"][0]["note"], "按新规定调整");
        assert_eq!(a["versions"][0]["created_by"]["name"], "测试jingban");
        // A stale edit, and an edit that changes nothing, are refused.
        let (s, e) = app.post_json(&clerk, &versions, &edit).await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (409, Some("article_changed"))
        );
        edit["base_version"] = json!(2);
        let (s, e) = app.post_json(&clerk, &versions, &edit).await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (409, Some("nothing_changed"))
        );

        // The difference of the two versions, field by field.
        let (s, d) = app
            .get_json(&clerk, &format!("/api/v1/articles/{id}/diff?from=1&to=2"))
            .await;
        assert_eq!(s, 200, "{d}");
        let changed: Vec<&str> = d["fields"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["changed"] == true)
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(changed, vec!["answer"]);
        let answer = d["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == "answer")
            .unwrap();
        let added: String = answer["segments"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["change"] == "added")
            .map(|s| s["text"].as_str().unwrap())
            .collect();
        assert_eq!(added, "两次，早晚各");
        let (s, _) = app
            .get_json(&clerk, &format!("/api/v1/articles/{id}/diff?from=1&to=9"))
            .await;
        assert_eq!(s, 422);

        // Publishing version 2 puts it in force; every version stays.
        let (s, a) = app.post_json(&sup, &publish, &json!({"version": 2})).await;
        assert_eq!(s, 200, "{a}");
        assert_eq!(
            (a["version"].as_i64(), a["pending"].as_bool()),
            (Some(2), Some(false))
        );
        assert_eq!(a["versions"].as_array().unwrap().len(), 2);
        let (s, v1) = app
            .get_json(&clerk, &format!("/api/v1/articles/{id}/versions/1"))
            .await;
        assert_eq!(s, 200);
        assert_eq!(v1["answer"], "城区生活垃圾每日清运一次。");
        assert!(v1["published_at"].is_string());

        // Retired: flagged, not offered, and found by the status filter.
        let retire = format!("/api/v1/articles/{id}/retire");
        let (s, e) = app.post_json(&sup, &retire, &json!({"reason": "废"})).await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some("reason")));
        let (s, a) = app
            .post_json(&sup, &retire, &json!({"reason": "已被新文件替代"}))
            .await;
        assert_eq!(s, 200, "{a}");
        assert_eq!(
            (a["status"].as_str(), a["standing"].as_str()),
            (Some("retired"), Some("retired"))
        );
        assert_eq!(a["retire_reason"], "已被新文件替代");
        let (_, l) = app
            .get_json(&clerk, "/api/v1/articles?status=retired")
            .await;
        assert_eq!(l["total"], 1);
        let (_, l) = app.get_json(&clerk, "/api/v1/articles?in_force=true").await;
        assert_eq!(l["total"], 0);
        // Publishing again restores it.
        let (s, a) = app.post_json(&sup, &publish, &json!({"version": 2})).await;
        assert_eq!((s, a["standing"].as_str()), (200, Some("in_force")));

        // Filters: kind, tag, category, words.
        for (q, n) in [
            ("kind=faq", 1),
            ("kind=policy", 0),
            ("tag=清运", 1),
            ("tag=清", 0),
            ("category=env", 1),
            ("q=早晚 清运", 1),
            ("q=蟑螂", 0),
        ] {
            let (s, l) = app.get_json(&clerk, &format!("/api/v1/articles?{q}")).await;
            assert_eq!((s, l["total"].as_i64()), (200, Some(n)), "{q}: {l}");
        }
        let (s, e) = app.get_json(&clerk, "/api/v1/articles?kind=rumour").await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some("kind")));

        // Who did what is in the audit trail.
        let (_, admin) = app.token_user("admin", &[Role::Admin], None).await;
        let (_, trail) = app.get_json(&admin, "/api/v1/audit?limit=100").await;
        let actions: Vec<&str> = trail["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["action"].as_str().unwrap())
            .filter(|a| a.starts_with("article."))
            .collect();
        for want in [
            "article.create",
            "article.propose",
            "article.publish",
            "article.retire",
        ] {
            assert!(actions.contains(&want), "{want} in {actions:?}");
        }
        app.stop().await;
    }
);

both_backends!(
    a_consultation_answered_from_an_article_keeps_the_version_it_used,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, clerk) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        let (_, sup) = app
            .token_user("duban", &[Role::Supervisor], Some("AWB"))
            .await;
        let id = published(
            &app,
            &clerk,
            &sup,
            &article("垃圾清运频次", "每日清运一次。"),
        )
        .await;
        let from = json!({"article": id, "version": 1});

        let (s, m) = app
            .post_json(
                &clerk,
                "/api/v1/matters",
                &consultation("每日清运一次。", Some(from.clone())),
            )
            .await;
        assert_eq!(s, 201, "{m}");
        assert_eq!(m["status"], "closed");
        assert_eq!(m["answered_from"]["article"], id.as_str());
        assert_eq!(m["answered_from"]["version"], 1);
        assert_eq!(m["answered_from"]["title"], "垃圾清运频次");
        let number = m["number"].as_str().unwrap().to_owned();
        let answered = m["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "answered")
            .unwrap();
        assert_eq!(answered["payload"]["answered_from"]["version"], 1);

        // A new version, retitled and published: the matter still shows
        // what answered it.
        let mut edit = article("生活垃圾清运时间", "每日清运两次。");
        edit["base_version"] = json!(1);
        let (s, _) = app
            .post_json(&clerk, &format!("/api/v1/articles/{id}/versions"), &edit)
            .await;
        assert_eq!(s, 201);
        let (s, _) = app
            .post_json(
                &sup,
                &format!("/api/v1/articles/{id}/publish"),
                &json!({"version": 2}),
            )
            .await;
        assert_eq!(s, 200);
        let (_, m) = app
            .get_json(&clerk, &format!("/api/v1/matters/{number}"))
            .await;
        assert_eq!(m["answered_from"]["version"], 1);
        assert_eq!(m["answered_from"]["title"], "垃圾清运频次");
        // The article counts its uses per version.
        let (_, a) = app
            .get_json(&clerk, &format!("/api/v1/articles/{id}"))
            .await;
        assert_eq!(a["used"], 1);
        assert_eq!(a["usage"], json!([{"version": 1, "matters": 1}]));

        // Citing what is not in force is refused and records nothing.
        let before = app.matter_count().await;
        for (from, field, code) in [
            (
                json!({"article": id, "version": 1}),
                "answered_from",
                "not_offerable",
            ),
            (
                json!({"article": uuid::Uuid::now_v7(), "version": 1}),
                "answered_from",
                "not_offerable",
            ),
        ] {
            let (s, e) = app
                .post_json(
                    &clerk,
                    "/api/v1/matters",
                    &consultation("每日清运两次。", Some(from)),
                )
                .await;
            assert_eq!(s, 422, "{e}");
            assert_eq!(
                (e["error"]["field"].as_str(), e["error"]["code"].as_str()),
                (Some(field), Some(code))
            );
        }
        let mut no_answer = consultation("", Some(json!({"article": id, "version": 2})));
        no_answer.as_object_mut().unwrap().remove("answer");
        no_answer["agreed_reply_at"] =
            json!((chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339());
        let (s, e) = app.post_json(&clerk, "/api/v1/matters", &no_answer).await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (422, Some("needs_answer")),
            "{e}"
        );
        let (s, e) = app
            .post_json(
                &sup,
                &format!("/api/v1/articles/{id}/retire"),
                &json!({"reason": "已废止"}),
            )
            .await;
        assert_eq!(s, 200, "{e}");
        let (s, e) = app
            .post_json(
                &clerk,
                "/api/v1/matters",
                &consultation("每日清运两次。", Some(json!({"article": id, "version": 2}))),
            )
            .await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (422, Some("not_offerable"))
        );
        assert_eq!(app.matter_count().await, before);

        // The matter page names the article and its version.
        let (_, pw) = app.user("jieting2", &[Role::Intake], Some("AWB")).await;
        app.log_in("jieting2", &pw).await;
        let (_, m) = app
            .get_json(&clerk, &format!("/api/v1/matters/{number}"))
            .await;
        assert_eq!(m["answered_from"]["version"], 1);
        // jieting2 sees the matter (same desk) and its citation.
        let page = app.html(&format!("/matters/{number}")).await;
        assert!(
            page.contains("垃圾清运频次") && page.contains("第 1 版"),
            "{page}"
        );
        assert!(page.contains(&format!("/knowledge/{id}")));
        app.stop().await;
    }
);

both_backends!(
    intake_is_offered_only_articles_in_force_that_match_its_words,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, pw) = app.user("jieting", &[Role::Intake], Some("AWB")).await;
        let (clerk_user, _) = app.user("jieting_t", &[Role::Intake], Some("AWB")).await;
        let clerk = app.token_for(&clerk_user).await;
        let (_, sup) = app
            .token_user("duban", &[Role::Supervisor], Some("AWB"))
            .await;
        let (_, handler) = app
            .token_user("jingban", &[Role::Handler], Some("HJWS"))
            .await;
        let mut roach = article(
            "家中发现蟑螂如何消杀",
            "建议使用胶饵和粘捕盒，保持厨房干燥。",
        );
        roach["tags"] = json!(["蟑螂"]);
        let live = published(&app, &clerk, &sup, &roach).await;
        // A draft, an expired rule and a retired one about the same thing.
        let mut draft = article("蟑螂消杀草稿", "草稿答复蟑螂");
        let (s, _) = app.post_json(&clerk, "/api/v1/articles", &draft).await;
        assert_eq!(s, 201);
        draft["title"] = json!("蟑螂旧规定");
        draft["expires_on"] = json!("2020-12-31");
        published(&app, &clerk, &sup, &draft).await;
        draft["title"] = json!("蟑螂停用规定");
        draft.as_object_mut().unwrap().remove("expires_on");
        let gone = published(&app, &clerk, &sup, &draft).await;
        let (s, _) = app
            .post_json(
                &sup,
                &format!("/api/v1/articles/{gone}/retire"),
                &json!({"reason": "停用测试"}),
            )
            .await;
        assert_eq!(s, 200);
        // And one in force about something else, which shares one common
        // pair (消杀) with what is typed: not enough to be offered.
        let mut toilets = article("公厕保洁标准", "公厕每日保洁不少于两次，定期消杀。");
        toilets.as_object_mut().unwrap().remove("full_text");
        published(&app, &clerk, &sup, &toilets).await;

        let offers = |token: String, text: &'static str| {
            let app = &app;
            async move {
                app.post_json(&token, "/api/v1/articles/offers", &json!({"text": text}))
                    .await
            }
        };
        let (s, o) = offers(
            clerk.clone(),
            "家里厨房最近发现很多蟑螂，想问怎么消杀比较安全",
        )
        .await;
        assert_eq!(s, 200, "{o}");
        let titles: Vec<&str> = o["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap())
            .collect();
        assert_eq!(titles, vec!["家中发现蟑螂如何消杀"], "{o}");
        assert_eq!(o["items"][0]["article"], live.as_str());
        assert_eq!(o["items"][0]["version"], 1);
        assert_eq!(
            o["items"][0]["answer"],
            "建议使用胶饵和粘捕盒，保持厨房干燥。"
        );
        // Nothing typed, or nothing matching: nothing offered.
        let (s, o) = offers(clerk.clone(), "，。").await;
        assert_eq!((s, o["items"].as_array().unwrap().len()), (200, 0));
        let (s, o) = offers(clerk.clone(), "噪音扰民").await;
        assert_eq!((s, o["items"].as_array().unwrap().len()), (200, 0));
        // Only intake is offered.
        let (s, _) = offers(handler.clone(), "蟑螂").await;
        assert_eq!(s, 403);

        // The page's fragment, posted with the session and its CSRF token.
        app.log_in("jieting", &pw).await;
        let form = app.html("/intake").await;
        assert!(
            form.contains("id=\"offers\""),
            "the intake page has the offers panel"
        );
        let csrf = csrf_of(&form);
        let r = app
            .post_form(
                "/intake/assist",
                &[("csrf", csrf.as_str()), ("content", "厨房有蟑螂")],
            )
            .await;
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        assert!(
            html.contains("家中发现蟑螂如何消杀") && html.contains("插入答复"),
            "{html}"
        );
        assert!(
            html.contains(&format!("data-article=\"{live}\""))
                && html.contains("data-version=\"1\"")
        );
        assert!(!html.contains("旧规定") && !html.contains("停用规定") && !html.contains("草稿"));
        app.stop().await;
    }
);

both_backends!(
    the_knowledge_base_is_searched_like_the_ledger,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, clerk) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        let (_, sup) = app
            .token_user("duban", &[Role::Supervisor], Some("AWB"))
            .await;
        let mut rats = article("餐饮单位防鼠设施要求", "门口设置高度不低于60厘米的挡鼠板。");
        rats["doc_number"] = json!("GB/T 27770—2011");
        let id = published(&app, &clerk, &sup, &rats).await;
        published(
            &app,
            &clerk,
            &sup,
            &article("公厕保洁标准", "公厕每日保洁不少于两次。"),
        )
        .await;
        for (q, want) in [
            ("挡鼠板", vec!["餐饮单位防鼠设施要求"]),
            ("鼠", vec!["餐饮单位防鼠设施要求"]),
            ("gb/t 27770", vec!["餐饮单位防鼠设施要求"]),
            ("保洁 公厕", vec!["公厕保洁标准"]),
            ("挡鼠板 公厕", vec![]),
            ("\"(鼠*)\"", vec!["餐饮单位防鼠设施要求"]),
            ("NEAR(挡鼠板)", vec![]),
            ("AW2026-000001", vec![]),
        ] {
            let (s, r) = app
                .get_json(
                    &clerk,
                    &format!("/api/v1/search?kind=article&q={}", urlencode(q)),
                )
                .await;
            assert_eq!(s, 200, "{q}: {r}");
            let titles: Vec<&str> = r["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["title"].as_str().unwrap())
                .collect();
            assert_eq!(titles, want, "{q}");
        }
        let (_, r) = app
            .get_json(
                &clerk,
                &format!("/api/v1/search?kind=article&q={}", urlencode("挡鼠板")),
            )
            .await;
        assert_eq!(r["items"][0]["id"], id.as_str());
        let marks = &r["items"][0]["marks"];
        assert!(!marks.as_array().unwrap().is_empty(), "{r}");
        for bad in ["kind=rumour&q=鼠", "kind=article&q=", "kind=article&q=，。"] {
            let (s, e) = app.get_json(&clerk, &format!("/api/v1/search?{bad}")).await;
            assert_eq!(s, 422, "{bad}: {e}");
        }
        // The search page searches the knowledge base too.
        let (_, pw) = app.user("jieting2", &[Role::Intake], Some("AWB")).await;
        app.log_in("jieting2", &pw).await;
        let page = app
            .html(&format!("/search?kind=article&q={}", urlencode("挡鼠板")))
            .await;
        assert!(
            page.contains("知识库中找到 1 条") && page.contains(&format!("/knowledge/{id}")),
            "{page}"
        );
        app.stop().await;
    }
);

both_backends!(
    the_administrator_names_who_publishes,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, clerk) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        let (_, sup) = app
            .token_user("duban", &[Role::Supervisor], Some("AWB"))
            .await;
        let (_, lead) = app
            .token_user("keshi", &[Role::DeptLead], Some("HJWS"))
            .await;
        let (_, admin) = app.token_user("admin", &[Role::Admin], None).await;
        let (_, current) = app.get_json(&admin, "/api/v1/policy").await;
        let mut policy = current["policy"].clone();
        assert_eq!(policy["publishers"], json!(["supervisor"]), "{policy}");
        policy["publishers"] = json!([]);
        let (s, saved) = app.put_policy(&admin, &policy).await;
        assert_eq!(s, 422, "{saved}");
        policy["publishers"] = json!(["dept_lead"]);
        let (s, saved) = app.put_policy(&admin, &policy).await;
        assert_eq!(s, 200, "{saved}");
        let (s, a) = app
            .post_json(
                &clerk,
                "/api/v1/articles",
                &article("公厕保洁标准", "每日两次。"),
            )
            .await;
        assert_eq!(s, 201);
        let publish = format!("/api/v1/articles/{}/publish", a["id"].as_str().unwrap());
        let (s, _) = app.post_json(&sup, &publish, &json!({"version": 1})).await;
        assert_eq!(s, 403);
        let (s, a) = app.post_json(&lead, &publish, &json!({"version": 1})).await;
        assert_eq!((s, a["status"].as_str()), (200, Some("published")));
        app.stop().await;
    }
);

both_backends!(
    the_pages_list_show_compare_and_edit_articles,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, pw) = app.user("jingban", &[Role::Handler], Some("HJWS")).await;
        let (_, sup) = app
            .token_user("duban", &[Role::Supervisor], Some("AWB"))
            .await;
        let (_, clerk) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        let id = published(
            &app,
            &clerk,
            &sup,
            &article("垃圾清运频次", "每日清运一次。"),
        )
        .await;
        app.log_in("jingban", &pw).await;

        let list = app.html("/knowledge").await;
        assert!(
            list.contains("垃圾清运频次") && list.contains("新建条目") && list.contains("有效"),
            "{list}"
        );

        // The editor opens on the newest version and saves a new one.
        let edit = app.html(&format!("/knowledge/{id}/edit")).await;
        assert!(
            edit.contains("每日清运一次。") && edit.contains("name=\"base_version\" value=\"1\""),
            "{edit}"
        );
        let csrf = csrf_of(&edit);
        let form = |answer: &str, expires: &str| {
            vec![
                ("csrf", csrf.clone()),
                ("base_version", "1".to_owned()),
                ("kind", "faq".to_owned()),
                ("title", "垃圾清运频次".to_owned()),
                ("category", "env.garbage".to_owned()),
                ("tags", "垃圾，清运、保洁".to_owned()),
                ("effective_from", "2026-01-01".to_owned()),
                ("expires_on", expires.to_owned()),
                ("answer", answer.to_owned()),
                (
                    "full_text",
                    "第一条 垃圾日产日清。\n第二条 每周消杀两次。\n".to_owned(),
                ),
                ("note", "调整频次".to_owned()),
            ]
        };
        // Refused: the form comes back with everything typed.
        let r = app
            .post_form(
                &format!("/knowledge/{id}/versions"),
                &form("每日清运两次。", "2025-12-31"),
            )
            .await;
        assert_eq!(r.status(), 422);
        let back = r.text().await.unwrap();
        assert!(back.contains("失效日期不能早于生效日期"), "{back}");
        assert!(
            back.contains("每日清运两次。")
                && back.contains("垃圾，清运、保洁")
                && back.contains("调整频次")
        );
        let r = app
            .post_form(
                &format!("/knowledge/{id}/versions"),
                &form("每日清运两次。", "2027-12-31"),
            )
            .await;
        assert_eq!(r.status(), 303);
        let page = app.html(r.headers()["location"].to_str().unwrap()).await;
        assert!(
            page.contains("已保存为新版本") && page.contains("第 2 版是待发布的修改"),
            "{page}"
        );
        // A handler does not publish: no button.
        assert!(!page.contains("id=\"publish-latest\""));

        let diff = app.html(&format!("/knowledge/{id}/diff?from=1&to=2")).await;
        assert!(
            diff.contains("<ins>两</ins>") && diff.contains("<del>一</del>"),
            "{diff}"
        );
        assert!(diff.contains("保洁"));
        let v1 = app.html(&format!("/knowledge/{id}/versions/1")).await;
        assert!(v1.contains("每日清运一次。") && v1.contains("（在用）"));

        // A new article from the page.
        let new = app.html("/knowledge/new").await;
        let csrf = csrf_of(&new);
        let r = app
            .post_form(
                "/knowledge",
                &[
                    ("csrf", csrf.as_str()),
                    ("kind", "script"),
                    ("title", "接听规范用语"),
                    ("answer", "您好，这里是爱国卫生热线。"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let page = app.html(r.headers()["location"].to_str().unwrap()).await;
        assert!(
            page.contains("已保存为第 1 版草稿") && page.contains("未发布"),
            "{page}"
        );
        app.stop().await;
    }
);
