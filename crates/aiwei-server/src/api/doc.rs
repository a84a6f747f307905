//! The refusals every operation shares, added to the OpenAPI document from
//! the shape of each operation, so the document lists every status the
//! extractors can answer without each handler repeating them.
//!
//! The rule is the extractors' (see `extract.rs`, `auth.rs`, `security.rs`):
//! - an operation that needs a session or token may answer 401;
//! - a write may answer 403 (a cookie-authenticated write without the CSRF
//!   token or a same-origin marker, or a cross-site `Origin`);
//! - a JSON body may answer 400 (not JSON), 413 (too large), 415 (not
//!   `application/json`) and 422 (a field refused, named in `field`);
//! - query parameters may answer 422 naming the parameter;
//! - a path parameter that names nothing visible answers 404.
//!
//! A handler's own annotation for the same status wins (it says more).

use utoipa::openapi::path::{HttpMethod, Operation, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{AdditionalProperties, Schema};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr};

/// Adds the shared refusals to every operation.
pub struct Refusals;

fn error_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

/// The description of a status a handler left undescribed.
fn default_description(status: &str) -> &'static str {
    match status {
        "200" => "OK",
        "201" => "Created",
        "204" => "Done; no content",
        "400" => "`malformed_json` or `malformed_request`: the body does not parse",
        "401" => {
            "`unauthenticated`: no session or token, or it was revoked, expired or its account disabled"
        }
        "403" => {
            "`forbidden`: the role or department may not; `csrf_failed`: a cookie-authenticated write without the CSRF token"
        }
        "404" => "`not_found`: no such resource, or not visible to the caller",
        "409" => "The state of the resource forbids the request",
        "413" => "`payload_too_large`: the body is larger than allowed",
        "415" => "`unsupported_media_type`: the body must be `application/json`",
        "422" => "A field or parameter is refused; `code` says why and `field` names it",
        "429" => {
            "`too_many_attempts`: too many failed logins for this account or address; wait and retry"
        }
        _ => "",
    }
}

fn add(op: &mut Operation, status: &str) {
    op.responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| error_response(default_description(status)));
}

fn complete(method: &HttpMethod, op: &mut Operation) {
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    if secured {
        add(op, "401");
    }
    if !matches!(method, HttpMethod::Get | HttpMethod::Head) {
        add(op, "403");
    }
    if op.request_body.is_some() {
        for status in ["400", "413", "415", "422"] {
            add(op, status);
        }
    }
    let params = op.parameters.iter().flatten().filter_map(|p| match p {
        RefOr::T(p) => Some(&p.parameter_in),
        RefOr::Ref(_) => None,
    });
    let (mut query, mut path) = (false, false);
    for place in params {
        match place {
            ParameterIn::Query | ParameterIn::QueryString | ParameterIn::Header => query = true,
            ParameterIn::Path => path = true,
            ParameterIn::Cookie => {}
        }
    }
    if query {
        add(op, "422");
    }
    if path {
        add(op, "404");
    }
    for (status, response) in &mut op.responses.responses {
        if let RefOr::T(r) = response
            && r.description.is_empty()
        {
            r.description = default_description(status).to_owned();
        }
    }
}

/// The component names of the JSON request bodies.
fn request_body_schemas(openapi: &OpenApi) -> Vec<String> {
    let mut names = Vec::new();
    for item in openapi.paths.paths.values() {
        for op in [&item.get, &item.put, &item.post, &item.delete, &item.patch]
            .into_iter()
            .flatten()
        {
            let Some(RefOr::T(body)) = &op.request_body else {
                continue;
            };
            for content in body.content.values() {
                if let RefOr::T(content) = content
                    && let Some(RefOr::Ref(r)) = &content.schema
                    && let Some(name) = r.ref_location.strip_prefix("#/components/schemas/")
                {
                    names.push(name.to_owned());
                }
            }
        }
    }
    names
}

/// Every JSON request refuses fields it does not know (`deny_unknown_fields`
/// on each request type); the derive states it for structs but not for the
/// variants of a tagged enum such as `ActionRequest`, so it is added here.
fn close_request_bodies(openapi: &mut OpenApi) {
    let names = request_body_schemas(openapi);
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    for name in names {
        if let Some(RefOr::T(Schema::OneOf(one))) = components.schemas.get_mut(&name) {
            for item in &mut one.items {
                if let RefOr::T(Schema::Object(o)) = item {
                    o.additional_properties
                        .get_or_insert_with(|| Box::new(AdditionalProperties::FreeForm(false)));
                }
            }
        }
    }
}

impl utoipa::Modify for Refusals {
    fn modify(&self, openapi: &mut OpenApi) {
        close_request_bodies(openapi);
        for item in openapi.paths.paths.values_mut() {
            let ops = [
                (HttpMethod::Get, &mut item.get),
                (HttpMethod::Put, &mut item.put),
                (HttpMethod::Post, &mut item.post),
                (HttpMethod::Delete, &mut item.delete),
                (HttpMethod::Patch, &mut item.patch),
            ];
            for (method, op) in ops {
                if let Some(op) = op {
                    complete(&method, op);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use crate::extract::IDEMPOTENCY_KEY_PATTERN;
    use crate::services::query::{DEFAULT_LIMIT, MAX_LIMIT};

    fn doc() -> Value {
        serde_json::to_value(super::super::document()).unwrap()
    }

    fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
        let mut out = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                out.push((method.to_uppercase(), path.clone(), op));
            }
        }
        out
    }

    #[test]
    fn every_operation_has_a_unique_id_and_described_responses() {
        let doc = doc();
        let mut ids = std::collections::BTreeSet::new();
        for (method, path, op) in operations(&doc) {
            let id = op["operationId"].as_str().unwrap();
            assert!(ids.insert(id.to_owned()), "{method} {path}: id {id} twice");
            for (status, r) in op["responses"].as_object().unwrap() {
                let d = r["description"].as_str().unwrap_or_default();
                assert!(!d.is_empty(), "{method} {path} {status} has no description");
            }
        }
    }

    #[test]
    fn the_shared_refusals_follow_from_each_operation() {
        let doc = doc();
        for (method, path, op) in operations(&doc) {
            let has = |s: &str| op["responses"].get(s).is_some();
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            if secured {
                assert!(has("401"), "{method} {path}: 401");
            }
            if op.get("requestBody").is_some() {
                for s in ["400", "413", "415", "422"] {
                    assert!(has(s), "{method} {path}: a body may get {s}");
                }
            }
            if method != "GET" {
                assert!(has("403"), "{method} {path}: a write may get 403 (CSRF)");
            }
            if path.contains('{') {
                assert!(has("404"), "{method} {path}: a path key may name nothing");
            }
        }
    }

    #[test]
    fn request_bodies_refuse_unknown_fields_at_every_level() {
        let doc = doc();
        let schemas = &doc["components"]["schemas"];
        fn closed(schemas: &Value, s: &Value, at: &str) {
            if let Some(r) = s["$ref"].as_str() {
                let name = r.trim_start_matches("#/components/schemas/");
                return closed(schemas, &schemas[name], name);
            }
            for key in ["oneOf", "anyOf", "allOf"] {
                for item in s[key].as_array().into_iter().flatten() {
                    closed(schemas, item, at);
                }
            }
            if let Some(props) = s["properties"].as_object() {
                assert_eq!(
                    s["additionalProperties"],
                    Value::Bool(false),
                    "{at} takes unknown fields"
                );
                for (name, p) in props {
                    closed(schemas, p, &format!("{at}.{name}"));
                }
            }
        }
        for (method, path, op) in operations(&doc) {
            let Some(content) = op["requestBody"]["content"].as_object() else {
                continue;
            };
            for (ty, c) in content {
                closed(schemas, &c["schema"], &format!("{method} {path} {ty}"));
            }
        }
    }

    #[test]
    fn parameters_state_the_extractors_rules() {
        let doc = doc();
        let mut keys = 0;
        let mut limits = 0;
        for (method, path, op) in operations(&doc) {
            for p in op["parameters"].as_array().into_iter().flatten() {
                match p["name"].as_str().unwrap() {
                    "Idempotency-Key" => {
                        keys += 1;
                        assert_eq!(p["in"], "header");
                        assert_eq!(p["schema"]["pattern"], IDEMPOTENCY_KEY_PATTERN);
                    }
                    "limit" => {
                        limits += 1;
                        assert_eq!(p["schema"]["minimum"], 1, "{method} {path}");
                        assert_eq!(p["schema"]["maximum"], MAX_LIMIT, "{method} {path}");
                        assert_eq!(p["schema"]["default"], DEFAULT_LIMIT, "{method} {path}");
                    }
                    _ => {}
                }
            }
        }
        assert_eq!(keys, 2, "intake and steps take an Idempotency-Key");
        assert!(
            limits >= 3,
            "the ledger, its export and the audit trail page"
        );
    }

    #[test]
    fn vocabularies_are_published_by_their_codes() {
        let doc = doc();
        let codes = &doc["components"]["schemas"]["ErrorCode"]["enum"];
        assert!(
            codes
                .as_array()
                .unwrap()
                .contains(&Value::from("csrf_failed"))
        );
        assert!(
            !codes
                .as_array()
                .unwrap()
                .contains(&Value::from("CsrfFailed"))
        );
    }
}
