//! Bringing an office's old ledger in: a workbook of 10,000 rows
//! with 20 bad ones, checked, imported and imported again; and the files
//! that are refused whole.

use std::process::Command;

use aiwei_core::import::{Column, Mapping};
use aiwei_store::trail::AuditActor;
use rust_xlsxwriter::Workbook;

use crate::both_backends;
use crate::helpers::*;

/// The desk's own header row.
fn header() -> Vec<&'static str> {
    Column::ALL.iter().map(|c| c.label()).collect()
}

/// A workbook of `rows` (text cells; the first is the header).
fn workbook(rows: &[Vec<String>]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if !cell.is_empty() {
                ws.write_string(r as u32, c as u16, cell).unwrap();
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

/// Row `i` of the old ledger, good unless `fault` says which column to
/// spoil; returns the row and the column spoiled.
fn row(i: usize, fault: Option<usize>) -> (Vec<String>, Option<Column>) {
    let day = 1 + i % 28;
    let mut r = vec![String::new(); Column::ALL.len()];
    let set = |r: &mut Vec<String>, c: Column, v: String| r[c as usize] = v;
    set(&mut r, Column::Number, format!("TZ2025-{i:05}"));
    set(
        &mut r,
        Column::ReceivedAt,
        format!("2025-03-{day:02} 09:{:02}", i % 60),
    );
    set(
        &mut r,
        Column::Channel,
        if i.is_multiple_of(5) {
            "来访"
        } else {
            "电话"
        }
        .into(),
    );
    set(&mut r, Column::Caller, format!("来电人{i}"));
    set(&mut r, Column::Phone, format!("138{:08}", i));
    let complaint = !i.is_multiple_of(3);
    set(
        &mut r,
        Column::Type,
        if complaint { "投诉" } else { "咨询" }.into(),
    );
    set(
        &mut r,
        Column::Category,
        if complaint {
            "垃圾堆放与清运"
        } else {
            "爱国卫生法规政策"
        }
        .into(),
    );
    set(
        &mut r,
        Column::Content,
        format!("第{i}号旧台账事项：小区垃圾清运不及时"),
    );
    set(&mut r, Column::Address, format!("解放路{i}号"));
    if complaint {
        set(&mut r, Column::Department, "HJWS科".into());
        set(&mut r, Column::SignedAt, format!("2025-03-{day:02} 10:00"));
        set(
            &mut r,
            Column::CompletedAt,
            format!("2025-03-{day:02} 16:00"),
        );
        set(&mut r, Column::Measures, "当日清运".into());
        set(&mut r, Column::Feedback, "电话回复".into());
        set(&mut r, Column::Satisfaction, "满意".into());
        set(&mut r, Column::Status, "已办结".into());
    }
    let spoiled = fault.map(|f| {
        let (c, v) = match f % 5 {
            0 => (Column::Phone, "电话不详"),
            1 => (Column::Type, "表扬"),
            2 => (Column::Content, ""),
            3 => (Column::ReceivedAt, "去年三月"),
            _ => (Column::Satisfaction, "还行"),
        };
        // A fault in a consultation's satisfaction needs the column used.
        r[c as usize] = v.to_owned();
        c
    });
    (r, spoiled)
}

/// 10,000 rows, every 500th (from row 8) spoiled: 20 bad rows.
fn ledger() -> (Vec<u8>, Vec<(usize, Column)>) {
    let mut rows = vec![header().into_iter().map(str::to_owned).collect::<Vec<_>>()];
    let mut bad = Vec::new();
    for i in 0..10_000 {
        let fault = (i % 500 == 6).then_some(i / 500);
        let (r, spoiled) = row(i, fault);
        if let Some(c) = spoiled {
            // Sheet row: the header is row 1.
            bad.push((i + 2, c));
        }
        rows.push(r);
    }
    (workbook(&rows), bad)
}

async fn run(
    app: &TestApp,
    bytes: &[u8],
    dry_run: bool,
) -> aiwei_server::services::import::ImportOutcome {
    let admin = app
        .store
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.roles.contains(&aiwei_core::Role::Admin))
        .unwrap();
    aiwei_server::services::import::import(
        &app.store,
        bytes,
        &Mapping::default(),
        dry_run,
        &admin,
        &AuditActor::cli(),
        "AW",
        "ledger.xlsx",
        app.now(),
    )
    .await
    .unwrap_or_else(|e| panic!("{}", e.message()))
}

both_backends!(
    ten_thousand_rows_with_twenty_bad_ones_check_import_and_import_again,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        app.user("admin", &[aiwei_core::Role::Admin], None).await;
        app.user("jingban", &[aiwei_core::Role::Handler], Some("HJWS"))
            .await;
        let (bytes, bad) = ledger();
        assert_eq!(bad.len(), 20);

        // The dry run lists exactly the 20, with their column and reason,
        // and writes nothing.
        let o = run(&app, &bytes, true).await;
        let got: Vec<(usize, Column)> = o.refused.iter().map(|e| (e.row, e.column)).collect();
        assert_eq!(got, bad);
        assert!(o.refused.iter().all(|e| !e.code.label().is_empty()));
        assert_eq!((o.rows, o.valid, o.refused_rows()), (10_000, 9_980, 20));
        assert_eq!(app.matter_count().await, 0);

        // The import writes the 9,980 others, with their history.
        let o = run(&app, &bytes, false).await;
        assert_eq!((o.report.written, o.report.existing), (9_980, 0));
        assert_eq!(app.matter_count().await, 9_980);
        let (_, token) = app
            .token_user("duban", &[aiwei_core::Role::Supervisor], Some("AWB"))
            .await;
        let (_, page) = app
            .get_json(
                &token,
                "/api/v1/search?q=%E7%AC%AC1%E5%8F%B7%E6%97%A7%E5%8F%B0%E8%B4%A6",
            )
            .await;
        let number = page["items"][0]["number"].as_str().unwrap().to_owned();
        let (_, m) = app
            .get_json(&token, &format!("/api/v1/matters/{number}"))
            .await;
        assert_eq!(m["status"], "closed", "{m}");
        assert_eq!(m["satisfaction"], "satisfied");
        assert_eq!(m["lead_department"]["code"], "HJWS");
        assert_eq!(
            kinds(&m),
            [
                "received",
                "dispatched",
                "signed_for",
                "rectification_planned",
                "completed",
                "feedback_given",
                "revisited",
                "imported"
            ]
        );
        assert!(
            m["received_at"]
                .as_str()
                .unwrap()
                .starts_with("2025-03-02T01:01"),
            "{m}"
        );
        // The chains hold.
        let report = app.store.verify_chains().await.unwrap();
        assert!(report.ok(), "{:?}", report.broken);

        // Again: nothing new.
        let o = run(&app, &bytes, false).await;
        assert_eq!((o.report.written, o.report.existing), (0, 9_980));
        assert_eq!(app.matter_count().await, 9_980);
        let dry = run(&app, &bytes, true).await;
        assert_eq!(dry.existing, 9_980);
        // Each run is on the audit record.
        let records = crate::confidentiality::audit_of(&app, "ledger.import").await;
        assert_eq!(records.len(), 2);
        assert!(
            records
                .iter()
                .any(|r| r.detail["written"] == 9_980 && r.detail["refused_rows"] == 20)
        );
        app.stop().await;
    }
);

both_backends!(
    files_that_are_not_a_ledger_are_refused_whole_and_write_nothing,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            p.to_str().unwrap().to_owned()
        };
        let cli = |args: &[&str]| crate::cli::aiwei_code(&db, args);
        // An administrator to record the matters under, and the department.
        let (code, _, err) = cli(&["department", "add", "HJWS", "HJWS科"]);
        assert_eq!(code, 0, "{err}");
        let mut add = Command::new(env!("CARGO_BIN_EXE_aiwei"))
            .args([
                "--data-dir",
                db.dir.to_str().unwrap(),
                "--database-url",
                &db.url_text,
            ])
            .args([
                "user",
                "add",
                "admin",
                "--role",
                "admin",
                "--password-stdin",
            ])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::Write;
            add.stdin
                .take()
                .unwrap()
                .write_all(b"Ledger-import-7\n")
                .unwrap();
        }
        assert!(add.wait().unwrap().success());
        let count = || cli(&["audit", "verify"]).1;

        let not_a_workbook = write("a.xlsx", "编号,受理时间\n1,2".as_bytes());
        let (code, _, err) = cli(&["import", "ledger", &not_a_workbook]);
        assert_eq!(code, 2);
        assert!(err.contains("不是有效的 Excel 工作簿"), "{err}");

        let empty = write("empty.xlsx", &workbook(&[]));
        let (code, _, err) = cli(&["import", "ledger", &empty, "--dry-run"]);
        assert_eq!(code, 2);
        assert!(err.contains("工作簿中没有数据"), "{err}");

        let mut h: Vec<String> = header().into_iter().map(str::to_owned).collect();
        h[Column::Phone as usize] = "备注".into();
        let (r, _) = row(1, None);
        let missing = write("missing.xlsx", &workbook(&[h, r]));
        let (code, _, err) = cli(&["import", "ledger", &missing]);
        assert_eq!(code, 2);
        assert!(err.contains("缺少必需的列：联系电话"), "{err}");

        let big = write(
            "big.xlsx",
            &vec![0u8; aiwei_server::services::import::MAX_BYTES + 1],
        );
        let (code, _, err) = cli(&["import", "ledger", &big]);
        assert_eq!(code, 2);
        assert!(err.contains("超过上限"), "{err}");
        assert!(count().contains("ok: 0 matters"), "nothing was written");

        // A good file with one bad row: the check lists it and exits 1;
        // the import writes the rest and still exits 1; a mapping file
        // maps another header.
        let mut h: Vec<String> = header().into_iter().map(str::to_owned).collect();
        h[Column::ReceivedAt as usize] = "来电日期".into();
        let rows = vec![h, row(1, None).0, row(2, Some(0)).0, row(4, None).0];
        let file = write("old.xlsx", &workbook(&rows));
        let mapping = write(
            "map.toml",
            "[columns]\n\"受理时间\" = \"来电日期\"\n".as_bytes(),
        );
        let (code, out, _) = cli(&["import", "ledger", &file, "--dry-run"]);
        assert_eq!(code, 2, "without the mapping the column is missing: {out}");
        let (code, out, err) = cli(&[
            "import",
            "ledger",
            &file,
            "--dry-run",
            "--mapping",
            &mapping,
        ]);
        assert_eq!(code, 1, "{out}{err}");
        assert!(
            out.contains("第 3 行\t联系电话\t电话号码格式不正确"),
            "{out}{err}"
        );
        assert!(out.contains("可导入 2 行"), "{out}");
        assert!(count().contains("ok: 0 matters"));
        let (code, out, _) = cli(&["import", "ledger", &file, "--mapping", &mapping]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("新写入 2 件事项"), "{out}");
        assert!(count().contains("ok: 2 matters"));
        let (code, out, _) = cli(&["import", "ledger", &file, "--mapping", &mapping]);
        assert_eq!(code, 1);
        assert!(out.contains("新写入 0 件事项，此前已导入 2 行"), "{out}");
        // Without a bad row the command succeeds.
        let clean = write("clean.xlsx", &workbook(&[rows[0].clone(), rows[1].clone()]));
        let (code, out, _) = cli(&["import", "ledger", &clean, "--mapping", &mapping]);
        assert_eq!(code, 0, "{out}");
        assert!(count().contains("ok: 2 matters"));
    }
);

both_backends!(
    an_administrator_checks_and_imports_a_ledger_on_the_page,
    |backend: Backend| async move {
        use reqwest::multipart::{Form, Part};
        let app = TestApp::spawn(backend).await;
        let (admin, password) = app.user("admin", &[aiwei_core::Role::Admin], None).await;
        app.user("jingban", &[aiwei_core::Role::Handler], Some("HJWS"))
            .await;
        app.log_in(admin.username.as_str(), &password).await;
        let page = app.html("/admin/import").await;
        assert!(page.contains("导入原台账") && page.contains("id=\"import-form\""));
        let csrf = crate::pages::csrf_of(&page);
        let mut rows = vec![header().into_iter().map(str::to_owned).collect::<Vec<_>>()];
        rows.extend((0..5).map(|i| row(i, (i == 2).then_some(1)).0));
        let bytes = workbook(&rows);
        let send = |mode: &'static str, bytes: Vec<u8>| {
            let form = Form::new()
                .text("csrf", csrf.clone())
                .text("mode", mode)
                .text("mapping", "")
                .part("file", Part::bytes(bytes).file_name("旧台账.xlsx"));
            let r = app
                .client
                .post(app.url("/admin/import"))
                .multipart(form)
                .send();
            async move {
                let r = r.await.unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            }
        };
        // The check lists the bad row and writes nothing.
        let (s, page) = send("check", bytes.clone()).await;
        assert_eq!(s, 200);
        assert!(
            page.contains("检查完毕（未写入）：旧台账.xlsx 共 5 行，可导入 4 行"),
            "{page}"
        );
        assert!(
            page.contains("<td>第 4 行</td><td>类型</td><td>不是可选的值</td>"),
            "{page}"
        );
        assert_eq!(app.matter_count().await, 0);
        // The import writes the four.
        let (_, page) = send("import", bytes.clone()).await;
        assert!(page.contains("新写入 4 件事项"), "{page}");
        assert_eq!(app.matter_count().await, 4);
        // Not a workbook: said, nothing written.
        let (s, page) = send("import", b"not a workbook".to_vec()).await;
        assert_eq!(s, 200);
        assert!(page.contains("不是有效的 Excel 工作簿"), "{page}");
        assert_eq!(app.matter_count().await, 4);
        app.stop().await;
    }
);
