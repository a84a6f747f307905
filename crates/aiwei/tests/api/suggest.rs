//! Suggestions learned from the office's history (issue 10): trained from
//! the store, served to intake, the suggestion shown recorded beside the
//! clerk's choice, and `aiwei suggest evaluate` on the demo data.

use aiwei_core::Role;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, phone_complaint};

/// (sub-category, lead department, texts): a fixed corpus of clearly
/// worded complaints.
const CORPUS: &[(&str, &str, &[&str])] = &[
    (
        "env.garbage",
        "HJWS",
        &[
            "小区门口垃圾堆放三天无人清运，气味很大",
            "垃圾桶满了没人清理，垃圾散落一地",
            "楼道里堆满生活垃圾，物业不管",
            "垃圾清运车每天早上五点作业噪音大，垃圾洒落",
            "路边建筑垃圾乱倒，一直没有清运",
            "菜市场门口垃圾成堆，污水横流",
        ],
    ),
    (
        "vector.rodent",
        "BMFZ",
        &[
            "小区里老鼠很多，晚上到处乱窜",
            "餐馆后厨发现老鼠，还有鼠洞",
            "农贸市场鼠患严重，老鼠白天也出来",
            "楼下绿化带里有很多老鼠洞",
            "家里进了老鼠，咬坏了电线",
            "仓库里老鼠成群，鼠粪到处都是",
        ],
    ),
    (
        "vector.mosquito",
        "BMFZ",
        &[
            "小区积水很多，蚊子特别多",
            "公园水池不换水，孳生大量蚊虫",
            "晚上蚊子太多，附近工地有积水",
            "地下室长期积水，蚊子成群",
            "河道边蚊虫很多，希望消杀",
            "花坛积水生了很多蚊子幼虫",
        ],
    ),
];

both_backends!(
    a_clearly_worded_complaint_gets_the_sub_category_and_department_history_points_to,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, clerk) = app
            .token_user("jieting", &[Role::Intake], Some("AWB"))
            .await;
        let (_, handler) = app
            .token_user("jingban", &[Role::Handler], Some("HJWS"))
            .await;
        app.user("fangzhi", &[Role::Handler], Some("BMFZ")).await;
        let mut i = 0;
        for (category, lead, texts) in CORPUS {
            for text in *texts {
                i += 1;
                let mut body = phone_complaint(&format!("138111190{i:02}"), "建议");
                body["category"] = json!(category);
                body["content"] = json!(text);
                let (s, m) = app.post_json(&clerk, "/api/v1/matters", &body).await;
                assert_eq!(s, 201, "{m}");
                let (s, v) = app
                    .step(
                        &clerk,
                        m["number"].as_str().unwrap(),
                        json!({"action": "dispatch", "lead": lead}),
                    )
                    .await;
                assert_eq!(s, 200, "{v}");
            }
        }
        let ask = json!({"text": "幸福路12号小区垃圾桶旁边老鼠乱窜，晚上特别多"});

        // Nothing is suggested before a model is trained.
        let (s, r) = app.post_json(&clerk, "/api/v1/suggestions", &ask).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(r["categories"], json!([]));
        assert!(r["trained_at"].is_null());

        let (c, d) = aiwei_server::services::suggest::train(&app.store, app.now())
            .await
            .unwrap();
        assert_eq!((c, d), (18, 18));
        let (s, r) = app.post_json(&clerk, "/api/v1/suggestions", &ask).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(r["categories"][0]["code"], "vector.rodent", "{r}");
        assert_eq!(r["categories"][0]["name"], "鼠患");
        assert_eq!(r["departments"][0]["code"], "BMFZ", "{r}");
        for list in ["categories", "departments"] {
            let confidences: Vec<f64> = r[list]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["confidence"].as_f64().unwrap())
                .collect();
            assert!(confidences.iter().all(|c| *c > 0.0 && *c <= 1.0), "{r}");
            assert!(confidences.windows(2).all(|w| w[0] >= w[1]), "sorted: {r}");
        }
        let (_, r) = app
            .post_json(
                &clerk,
                "/api/v1/suggestions",
                &json!({"text": "公园水池积水蚊子很多"}),
            )
            .await;
        assert_eq!(r["categories"][0]["code"], "vector.mosquito", "{r}");
        // Nothing the models know: nothing suggested.
        let (_, r) = app
            .post_json(&clerk, "/api/v1/suggestions", &json!({"text": "，。"}))
            .await;
        assert_eq!(r["categories"], json!([]));
        // Intake only.
        let (s, _) = app.post_json(&handler, "/api/v1/suggestions", &ask).await;
        assert_eq!(s, 403);

        // The clerk's choice wins; what was suggested is kept beside it.
        let mut body = phone_complaint("13811119099", "建议");
        body["content"] = ask["text"].clone();
        body["category"] = json!("env.garbage");
        body["suggested_category"] = json!("vector.rodent");
        body["suggested_department"] = json!("BMFZ");
        let (s, m) = app.post_json(&clerk, "/api/v1/matters", &body).await;
        assert_eq!(s, 201, "{m}");
        assert_eq!(m["category"]["code"], "env.garbage");
        let received = &m["events"][0]["payload"];
        assert_eq!(received["suggested_category"], "vector.rodent");
        let outcomes = app.store.suggestion_outcomes(100).await.unwrap();
        assert_eq!(outcomes.len(), 1);
        assert_eq!(
            outcomes[0].suggested_category.as_deref(),
            Some("vector.rodent")
        );
        assert_eq!(outcomes[0].category.as_deref(), Some("env.garbage"));
        body["suggested_department"] = json!("坏 代码");
        let (s, e) = app.post_json(&clerk, "/api/v1/matters", &body).await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some("suggested_department"))
        );

        // A newer model stored by another instance (or the command line)
        // is picked up.
        let before = app.now();
        app.advance(chrono::Duration::hours(1));
        aiwei_server::services::suggest::train(&app.store, app.now())
            .await
            .unwrap();
        let (_, r) = app.post_json(&clerk, "/api/v1/suggestions", &ask).await;
        let at: chrono::DateTime<chrono::Utc> = r["trained_at"].as_str().unwrap().parse().unwrap();
        assert!(at > before, "{r}");
        app.stop().await;
    }
);

both_backends!(
    suggest_evaluate_reports_accuracy_on_the_demo_data,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        app.seed_demo(400).await;
        let (ok, out, err) = crate::cli::aiwei(&app.db, &["suggest", "evaluate"]);
        assert!(ok, "{err}");
        let rate = |line: &str| -> (f64, f64) {
            let cells: Vec<&str> = line.split_whitespace().collect();
            let pct = |c: &str| c.trim_end_matches('%').parse::<f64>().unwrap();
            (pct(cells[cells.len() - 2]), pct(cells[cells.len() - 1]))
        };
        let line = |name: &str| {
            out.lines()
                .find(|l| l.starts_with(name))
                .unwrap_or_else(|| panic!("no {name} line in {out}"))
                .to_owned()
        };
        let (top1, top3) = rate(&line("sub-category"));
        // The demo's templates are few and clearly worded.
        assert!(top1 >= 60.0 && top3 >= top1, "{out}");
        let (top1, top3) = rate(&line("lead department"));
        assert!(top1 >= 60.0 && top3 >= top1, "{out}");
        assert!(out.contains("at intake:"), "{out}");
        let (ok, out, err) = crate::cli::aiwei(&app.db, &["suggest", "train"]);
        assert!(ok && out.contains("建议模型已训练"), "{out}{err}");
        app.stop().await;
    }
);
