//! Three app instances on one PostgreSQL database behind a round-robin load
//! balancer without sticky sessions (docs/SCALING.md): every request of a
//! test may land on another instance, and sessions, pages, numbers, steps,
//! the deadline policy and the sweep stay correct.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aiwei_core::Role;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::json;

use crate::helpers::{Backend, TestApp, kinds, phone_complaint};

/// A round-robin reverse proxy on loopback: each request goes to the next
/// instance, with the browser's `Host` kept (as nginx's
/// `proxy_set_header Host $host` does), so that same-origin checks hold.
struct Balancer {
    base: String,
    /// How many requests each instance was given.
    counts: Arc<Vec<AtomicUsize>>,
}

#[derive(Clone)]
struct Upstreams {
    bases: Arc<Vec<String>>,
    next: Arc<AtomicUsize>,
    counts: Arc<Vec<AtomicUsize>>,
    client: reqwest::Client,
}

async fn forward(State(up): State<Upstreams>, req: Request) -> Response {
    let i = up.next.fetch_add(1, Ordering::Relaxed) % up.bases.len();
    up.counts[i].fetch_add(1, Ordering::Relaxed);
    let (parts, body) = req.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let body = axum::body::to_bytes(body, 64 << 20).await.unwrap();
    let r = up
        .client
        .request(parts.method, format!("{}{path}", up.bases[i]))
        .headers(parts.headers)
        .body(body)
        .send()
        .await
        .unwrap();
    let mut out = Response::builder().status(r.status());
    for (k, v) in r.headers() {
        out = out.header(k, v);
    }
    out.body(Body::from(r.bytes().await.unwrap())).unwrap()
}

impl Balancer {
    async fn start(bases: Vec<String>) -> Self {
        let counts: Arc<Vec<AtomicUsize>> =
            Arc::new(bases.iter().map(|_| AtomicUsize::new(0)).collect());
        let up = Upstreams {
            bases: Arc::new(bases),
            next: Arc::new(AtomicUsize::new(0)),
            counts: counts.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        };
        let app = axum::Router::new().fallback(forward).with_state(up);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { base, counts }
    }

    fn counts(&self) -> Vec<usize> {
        self.counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect()
    }
}

#[tokio::test]
async fn a_complaint_goes_through_three_instances_behind_a_balancer() {
    let a = TestApp::spawn(Backend::Postgres).await;
    let b = TestApp::spawn_on(a.db.clone(), a.keys.clone()).await;
    let c = TestApp::spawn_on(a.db.clone(), a.keys.clone()).await;
    let lb = Balancer::start(vec![a.base.clone(), b.base.clone(), c.base.clone()]).await;
    // The office's view: one address, whatever instance answers.
    let mut front = TestApp::spawn_on(a.db.clone(), a.keys.clone()).await;
    front.base = lb.base.clone();
    let desk = front.desk().await;
    let (_, admin) = front.token_user("guanli", &[Role::Admin], None).await;

    // A clerk logs in on the pages; the session holds on every instance.
    let (_, password) = front.user("jieting2", &[Role::Intake], Some("AWB")).await;
    front.log_in("jieting2", &password).await;
    for _ in 0..6 {
        let page = front.html("/intake").await;
        assert!(page.contains("测试jieting2"), "signed in on every instance");
    }
    // A form posted with the session's CSRF token, to whichever instance.
    let form = front.html("/intake").await;
    assert!(form.contains("csrf"), "the intake form carries its token");

    // Numbers from all three at once: distinct and without gaps.
    let front = Arc::new(front);
    let mut tasks = Vec::new();
    for i in 0..30 {
        let (front, token) = (front.clone(), desk.intake.clone());
        tasks.push(tokio::spawn(async move {
            let (s, m) = front
                .post_json(
                    &token,
                    "/api/v1/matters",
                    &phone_complaint(&format!("136{:08}", 5_000_000 + i), "三台"),
                )
                .await;
            assert_eq!(s, 201, "{m}");
            m["number"].as_str().unwrap().to_owned()
        }));
    }
    let mut numbers = HashSet::new();
    for t in tasks {
        assert!(numbers.insert(t.await.unwrap()), "a number given twice");
    }
    let year = numbers.iter().next().unwrap()[2..6].to_owned();
    let want: HashSet<String> = (1..=30).map(|i| format!("AW{year}-{i:06}")).collect();
    assert_eq!(numbers, want, "no gaps");

    // The deadline policy changed through one instance is used by the next
    // dispatch, wherever it lands.
    let (s, policy) = front.get_json(&admin, "/api/v1/policy").await;
    assert_eq!(s, 200, "{policy}");
    let mut changed = policy["policy"].clone();
    changed["duplicate_days"] = json!(10);
    let (s, put) = front.put_policy(&admin, &changed).await;
    assert_eq!(s, 200, "{put}");
    let version = put["version"].as_i64().unwrap();

    // One complaint, each step through the balancer.
    let n = front.complaint(&desk.intake, "13655501234", "三台").await;
    let now = front.now();
    for (token, step) in [
        (&desk.intake, json!({"action": "dispatch", "lead": "HJWS"})),
        (&desk.handler, json!({"action": "sign_for"})),
        (
            &desk.handler,
            json!({"action": "arrive", "arrived_at": now.to_rfc3339(), "who": "张伟", "findings": "属实"}),
        ),
        (
            &desk.handler,
            json!({"action": "plan", "measures": "清运", "planned_completion": (now + chrono::Duration::days(2)).to_rfc3339()}),
        ),
        (
            &desk.handler,
            json!({"action": "complete", "result": "已清运"}),
        ),
        (
            &desk.intake,
            json!({"action": "feedback", "channel": "phone", "content": "已告知处理结果"}),
        ),
        (
            &desk.intake,
            json!({"action": "revisit", "satisfaction": "satisfied", "words": "现在干净了"}),
        ),
    ] {
        let (s, v) = front.step(token, &n, step.clone()).await;
        assert_eq!(s, 200, "{step} {v}");
    }
    let (_, m) = front
        .get_json(&desk.supervisor, &format!("/api/v1/matters/{n}"))
        .await;
    assert_eq!(m["status"], "closed", "{m}");
    let sign = m["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "sign_due")
        .unwrap();
    assert_eq!(sign["policy_version"], version, "the new policy was used");
    let report = front.store.verify_chains().await.unwrap();
    assert!(report.ok(), "{report:?}");

    // Forty days on, every instance sweeps at the same moment: each clock
    // due is marked once.
    let dispatched = front.dispatched(&desk.intake, "13655509876", "HJWS").await;
    let later = front.now() + chrono::Duration::days(40);
    let (x, y, z) = tokio::join!(
        a.store.sweep(later, 1000),
        b.store.sweep(later, 1000),
        c.store.sweep(later, 1000)
    );
    let marked = x.unwrap().overdue + y.unwrap().overdue + z.unwrap().overdue;
    assert!(marked > 0);
    let again = b.store.sweep(later, 1000).await.unwrap();
    assert_eq!(again.overdue, 0, "nothing left to mark");
    let (_, m) = front
        .get_json(&desk.supervisor, &format!("/api/v1/matters/{dispatched}"))
        .await;
    let overdue_events = kinds(&m)
        .iter()
        .filter(|k| *k == "deadline_overdue")
        .count();
    let overdue_clocks = m["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["state"] == "overdue")
        .count();
    assert!(overdue_clocks > 0, "{m}");
    assert_eq!(overdue_events, overdue_clocks, "each clock marked once");

    // Logged out through one instance: the session is gone on all.
    let r = front.delete_cookie("/api/v1/session").await;
    assert_eq!(r.status(), 204);
    for _ in 0..3 {
        let r = front
            .client
            .get(front.url("/api/v1/me"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "signed out on every instance");
    }
    let counts = lb.counts();
    assert!(
        counts.iter().all(|&n| n > 10),
        "every instance served: {counts:?}"
    );
}
