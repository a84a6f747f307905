//! The JSON API under `/api/v1`, and its OpenAPI document, generated from
//! the handlers' annotations.

use axum::Json;
use axum::routing::get;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub mod attachments;
pub mod audit;
pub mod disclosures;
mod doc;
pub mod exports;
pub mod extensions;
pub mod hotspots;
pub mod knowledge;
pub mod matters;
pub mod open311;
pub mod outbound;
pub mod policy;
pub mod reference;
pub mod reports;
pub mod search;
pub mod session;
pub mod staff;
pub mod suggestions;
pub mod telephony;
pub mod work;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Aiwei Desk API",
        description = "爱卫来电来访管理系统 — intake, ledger and handling of calls and visits. \
                       Authenticate with `POST /api/v1/session` (cookie) or `Authorization: Bearer <token>` \
                       (`aiwei token create USER`). Errors: `{\"error\":{\"code\",\"message\",\"field\"?}}`."
    ),
    paths(attachments::upload, staff::add_material),
    components(schemas(crate::error::ErrorBody, crate::views::AttachmentView)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The API routes and the OpenAPI document describing exactly them.
fn parts() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(session::login, session::logout))
        .routes(routes!(session::me))
        .routes(routes!(session::change_password))
        .routes(routes!(matters::create, matters::list))
        .routes(routes!(matters::get_one))
        .routes(routes!(search::search))
        .routes(routes!(matters::act))
        .routes(routes!(extensions::request))
        .routes(routes!(extensions::pending))
        .routes(routes!(extensions::decide))
        .routes(routes!(attachments::download))
        .routes(routes!(policy::get_policy, policy::put_policy))
        .routes(routes!(matters::caller_history))
        .routes(routes!(exports::ledger_csv))
        .routes(routes!(exports::ledger_xlsx))
        .routes(routes!(exports::report_xlsx))
        .routes(routes!(disclosures::reveal))
        .routes(routes!(disclosures::request))
        .routes(routes!(disclosures::list))
        .routes(routes!(disclosures::decide))
        .routes(routes!(disclosures::sign))
        .routes(routes!(disclosures::anonymise))
        .routes(routes!(disclosures::name_person))
        .routes(routes!(reference::categories))
        .routes(routes!(reference::departments))
        .routes(routes!(work::my_work))
        .routes(routes!(work::supervision))
        .routes(routes!(work::notifications))
        .routes(routes!(work::read_one))
        .routes(routes!(work::read_all))
        .routes(routes!(audit::list))
        .routes(routes!(knowledge::list, knowledge::create))
        .routes(routes!(knowledge::get_one))
        .routes(routes!(knowledge::propose))
        .routes(routes!(knowledge::version))
        .routes(routes!(knowledge::publish))
        .routes(routes!(knowledge::retire))
        .routes(routes!(knowledge::diff))
        .routes(routes!(knowledge::offers))
        .routes(routes!(suggestions::suggest))
        .routes(routes!(matters::merge))
        .routes(routes!(matters::unmerge))
        .routes(routes!(matters::link))
        .routes(routes!(matters::unlink))
        .routes(routes!(matters::duplicates))
        .routes(routes!(matters::draft_duplicates))
        .routes(routes!(hotspots::list))
        .routes(routes!(hotspots::acknowledge))
        .routes(routes!(hotspots::close))
        .routes(routes!(reports::indicators))
        .routes(routes!(staff::sessions, staff::add_session))
        .routes(routes!(staff::session))
        .routes(routes!(staff::material))
        .routes(routes!(staff::record))
        .routes(routes!(staff::due))
        .routes(routes!(staff::assessments, staff::assess))
        .routes(routes!(staff::export))
        .routes(routes!(outbound::destinations, outbound::add_destination))
        .routes(routes!(outbound::set_active))
        .routes(routes!(outbound::rules, outbound::add_rule))
        .routes(routes!(outbound::delete_rule))
        .routes(routes!(outbound::templates))
        .routes(routes!(outbound::save_template))
        .routes(routes!(outbound::preview))
        .routes(routes!(outbound::outbox))
        .routes(routes!(outbound::retry))
        .routes(routes!(telephony::event))
        .routes(routes!(telephony::callbacks))
        .routes(routes!(telephony::work))
        .split_for_parts();
    utoipa::Modify::modify(&doc::Refusals, &mut doc);
    (router, doc)
}

/// The API routes, with the OpenAPI document at `/api/v1/openapi.json`.
pub fn router() -> axum::Router<AppState> {
    let (router, doc) = parts();
    let doc = std::sync::Arc::new(doc);
    // Uploads may be larger than other bodies; the route has its own limit.
    let upload = axum::routing::post(attachments::upload).layer(
        axum::extract::DefaultBodyLimit::max(aiwei_store::attachments::MAX_ATTACHMENT + 64 * 1024),
    );
    let material = axum::routing::post(staff::add_material).layer(
        axum::extract::DefaultBodyLimit::max(aiwei_store::attachments::MAX_ATTACHMENT + 64 * 1024),
    );
    router
        .route("/api/v1/matters/{key}/attachments", upload)
        .route("/api/v1/training/sessions/{id}/materials", material)
        // Open311 GeoReport v2: its own specification, outside /api/v1
        // and its document.
        .route(
            "/open311/v2/{file}",
            axum::routing::get(open311::get_root).post(open311::post_request),
        )
        .route("/open311/v2/services/{file}", get(open311::get_service))
        .route("/open311/v2/requests/{file}", get(open311::get_request))
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { Json(doc.as_ref().clone()) }
            }),
        )
}

/// The OpenAPI document, as served.
pub fn document() -> utoipa::openapi::OpenApi {
    parts().1
}
