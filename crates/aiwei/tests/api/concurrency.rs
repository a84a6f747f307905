//! Matter numbers under concurrent intake from two app instances sharing one
//! database: distinct, never reused, no gaps.

use std::collections::HashSet;
use std::sync::Arc;

use aiwei_core::Role;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, phone_complaint};

both_backends!(
    two_instances_200_concurrent_intakes,
    |backend: Backend| async move {
        let a = TestApp::spawn(backend).await;
        let b = TestApp::spawn_on(a.db.clone(), a.keys.clone()).await;
        let (_, token) = a.token_user("jieting", &[Role::Intake], Some("AWB")).await;
        let a = Arc::new(a);
        let b = Arc::new(b);
        let mut tasks = Vec::new();
        for i in 0..200 {
            let app = if i % 2 == 0 { a.clone() } else { b.clone() };
            let token = token.clone();
            tasks.push(tokio::spawn(async move {
                let (status, m) = app
                    .post_json(
                        &token,
                        "/api/v1/matters",
                        &phone_complaint(&format!("135{:08}", i), "并发"),
                    )
                    .await;
                assert_eq!(status, 201, "{m}");
                m["number"].as_str().unwrap().to_owned()
            }));
        }
        let mut numbers = HashSet::new();
        for t in tasks {
            assert!(numbers.insert(t.await.unwrap()), "duplicate number");
        }
        assert_eq!(numbers.len(), 200);
        let year = numbers.iter().next().unwrap()[2..6].to_owned();
        let expected: HashSet<String> = (1..=200).map(|i| format!("AW{year}-{i:06}")).collect();
        assert_eq!(numbers, expected, "no gaps");
        assert_eq!(a.matter_count().await, 200);
    }
);
