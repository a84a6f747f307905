//! The ledger as an Excel workbook (R-4.1.2): read back with a spreadsheet
//! library, masked as the exporting user must see it, and never a formula.

use std::io::Read;

use calamine::DataType;

use serde_json::json;

use crate::both_backends;
use crate::confidentiality::audit_of;
use crate::helpers::*;

/// The columns of an office's 台账, in order.
const COLUMNS: [&str; 19] = [
    "编号",
    "受理时间",
    "渠道",
    "来电来访人",
    "联系电话",
    "类型",
    "子类",
    "事项内容",
    "地址",
    "责任部门",
    "签收时间",
    "到场时间",
    "整改措施",
    "完成时间",
    "反馈方式",
    "回访结果",
    "满意度",
    "状态",
    "是否超期",
];

/// The workbook `token` exports with `query`: its bytes.
async fn export(app: &TestApp, token: &str, query: &str) -> (u16, Vec<u8>, String) {
    let r = app
        .client
        .get(app.url(&format!("/api/v1/exports/ledger.xlsx{query}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let disposition = r
        .headers()
        .get("content-disposition")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, r.bytes().await.unwrap().to_vec(), disposition)
}

/// The cells of the only sheet, as calamine reads them.
fn cells(bytes: &[u8]) -> Vec<Vec<calamine::Data>> {
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(book.sheet_names(), ["台账"]);
    let range = book.worksheet_range("台账").unwrap();
    // No formula anywhere.
    let formulas = book.worksheet_formula("台账").unwrap();
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "a formula cell"
    );
    range.rows().map(<[calamine::Data]>::to_vec).collect()
}

/// One part of a workbook (`xl/worksheets/sheet1.xml`, `xl/styles.xml`).
fn part(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut xml = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut xml).unwrap();
    xml
}

fn text(c: &calamine::Data) -> String {
    c.to_string()
}

fn row_of<'a>(rows: &'a [Vec<calamine::Data>], number: &str) -> &'a [calamine::Data] {
    rows.iter()
        .find(|r| text(&r[0]) == number)
        .unwrap_or_else(|| panic!("{number} not exported"))
}

both_backends!(
    the_ledger_workbook_has_the_offices_columns_masked_and_no_formulas,
    |backend: Backend| async move {
        let app = TestApp::spawn(backend).await;
        let desk = app.desk().await;
        // A complaint handled to the end, with a measure that starts like a
        // formula.
        let mut body = phone_complaint("13977780001", "表格甲");
        body["content"] = json!("=HYPERLINK(\"http://x\",\"点我\")楼道堆物");
        let (s, v) = app.post_json(&desk.intake, "/api/v1/matters", &body).await;
        assert_eq!(s, 201, "{v}");
        let done = v["number"].as_str().unwrap().to_owned();
        let now = || app.now().to_rfc3339();
        for (token, step) in [
            (&desk.intake, json!({"action": "dispatch", "lead": "HJWS"})),
            (&desk.handler, json!({"action": "sign_for"})),
            (
                &desk.handler,
                json!({"action": "arrive", "arrived_at": now(), "who": "张伟", "findings": "属实"}),
            ),
            (
                &desk.handler,
                json!({"action": "plan", "measures": "+清运并增设垃圾桶", "planned_completion": (app.now() + chrono::Duration::days(2)).to_rfc3339()}),
            ),
            (
                &desk.handler,
                json!({"action": "complete", "result": "已清运"}),
            ),
            (
                &desk.intake,
                json!({"action": "feedback", "channel": "phone", "content": "已电话反馈"}),
            ),
            (
                &desk.intake,
                json!({"action": "revisit", "satisfaction": "satisfied"}),
            ),
        ] {
            let (s, v) = app.step(token, &done, step.clone()).await;
            assert_eq!(s, 200, "{step}: {v}");
        }
        // Texts that start like formulas, and two that start with a tab
        // and a carriage return (as an older ledger may hold them).
        let mut starts = Vec::new();
        for (i, lead) in ["+1", "-2", "@SUM(A1)", "TAB", "CR"].iter().enumerate() {
            let mut body = phone_complaint(&format!("1397778001{i}"), "表格乙");
            body["content"] = json!(format!("{lead} 垃圾未清运"));
            let (s, v) = app.post_json(&desk.intake, "/api/v1/matters", &body).await;
            assert_eq!(s, 201, "{v}");
            starts.push(v["number"].as_str().unwrap().to_owned());
        }
        for (n, lead) in [(&starts[3], "\t"), (&starts[4], "\r")] {
            app.raw_execute(&format!(
                "UPDATE matters SET content = '{lead}' || content WHERE number = '{n}'"
            ))
            .await;
        }
        let other = app.dispatched(&desk.intake, "13977780009", "BMFZ").await;

        // A supervisor: every matter, callers in clear.
        let (s, bytes, disposition) = export(&app, &desk.supervisor, "").await;
        assert_eq!(s, 200);
        assert!(disposition.starts_with("attachment; filename=\"ledger-"));
        assert!(disposition.ends_with(".xlsx\""), "{disposition}");
        let rows = cells(&bytes);
        let header: Vec<String> = rows[0].iter().map(text).collect();
        assert_eq!(header, COLUMNS);
        assert_eq!(rows.len(), 1 + 7);
        let r = row_of(&rows, &done);
        assert_eq!(text(&r[3]), "表格甲");
        assert_eq!(text(&r[4]), "13977780001");
        assert_eq!(text(&r[2]), "电话");
        assert_eq!(text(&r[5]), "投诉");
        assert_eq!(text(&r[6]), "垃圾堆放与清运");
        assert_eq!(text(&r[7]), "=HYPERLINK(\"http://x\",\"点我\")楼道堆物");
        assert_eq!(text(&r[8]), "解放路幸福里小区3号楼");
        assert_eq!(text(&r[9]), "HJWS科");
        // Receipt, sign-for, arrival and completion are dates, not text.
        for col in [1, 10, 11, 13] {
            assert!(
                matches!(r[col], calamine::Data::DateTime(_)),
                "column {} is {:?}",
                COLUMNS[col],
                r[col]
            );
        }
        let received = r[1].as_datetime().unwrap();
        let expected =
            chrono::DateTime::parse_from_rfc3339(body_time(&app, &desk, &done).await.as_str())
                .unwrap()
                .with_timezone(&aiwei_core::time::china())
                .naive_local();
        assert!(
            (received - expected).num_seconds().abs() <= 1,
            "{received} vs {expected}"
        );
        assert_eq!(text(&r[12]), "+清运并增设垃圾桶");
        assert_eq!(text(&r[14]), "电话回复");
        assert_eq!(text(&r[15]), "回访满意并办结");
        assert_eq!(text(&r[16]), "满意");
        assert_eq!(text(&r[17]), "已办结");
        assert_eq!(text(&r[18]), "否");
        // Formula-like texts come back as the texts they were, kept as
        // text (quote prefix) should someone edit the cell.
        for (n, lead) in starts.iter().zip(["+1", "-2", "@SUM(A1)", "\t", "\r"]) {
            let r = row_of(&rows, n);
            assert!(text(&r[7]).starts_with(lead), "{n}: {:?}", r[7]);
        }
        let xml = part(&bytes, "xl/worksheets/sheet1.xml");
        assert!(!xml.contains("<f>") && !xml.contains("<f "), "no formula");
        assert!(part(&bytes, "xl/styles.xml").contains("quotePrefix"));
        assert!(xml.contains("ySplit=\"1\""), "the header row is frozen");
        assert!(
            xml.contains("<autoFilter ref=\"A1:S8\""),
            "filters on: {xml:.400}"
        );
        assert!(xml.contains("<col "), "column widths");

        // A handler: their department's matters only, callers masked.
        let (_, bytes, _) = export(&app, &desk.handler, "").await;
        let rows = cells(&bytes);
        assert_eq!(rows.len(), 2, "HJWS leads one matter");
        let r = row_of(&rows, &done);
        assert_eq!(text(&r[4]), "139****0001");
        assert_ne!(text(&r[3]), "表格甲");
        assert!(text(&r[3]).starts_with('表'), "{:?}", r[3]);
        assert!(rows.iter().all(|r| text(&r[0]) != other));
        // Intake: every ordinary matter, masked.
        let (_, bytes, _) = export(&app, &desk.intake, "?type=complaint").await;
        let rows = cells(&bytes);
        assert_eq!(rows.len(), 8);
        assert!(rows.iter().skip(1).all(|r| text(&r[4]).contains("****")));
        // Filters apply; bad ones are refused and nothing is recorded.
        let (_, bytes, _) = export(&app, &desk.supervisor, "?department=XXXX").await;
        assert_eq!(cells(&bytes).len(), 1, "the header only");
        let (s, _, _) = export(&app, &desk.supervisor, "?received_from=yesterday").await;
        assert_eq!(s, 422);
        // Every export is on the record, with its size and format.
        let records = audit_of(&app, "ledger.export").await;
        assert_eq!(records.len(), 4);
        assert!(records.iter().all(|r| r.detail["format"] == "xlsx"));
        assert!(
            records
                .iter()
                .any(|r| r.actor_name.as_deref() == Some("duban")
                    && r.detail["rows"] == 7
                    && r.detail["callers_in_clear"] == 7)
        );
        assert!(records.iter().any(
            |r| r.actor_name.as_deref() == Some("jingban") && r.detail["callers_in_clear"] == 0
        ));
        app.stop().await;
    }
);

/// The `received_at` of matter `n` as the API gives it.
async fn body_time(app: &TestApp, desk: &Desk, n: &str) -> String {
    let (_, m) = app
        .get_json(&desk.supervisor, &format!("/api/v1/matters/{n}"))
        .await;
    m["received_at"].as_str().unwrap().to_owned()
}
