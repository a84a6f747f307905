//! The HTTP edge of Aiwei Desk: the JSON API under `/api/v1`, the staff
//! pages, authentication and sessions.
//!
//! The application is a value: [`Application::build`] takes the store and the
//! configuration, binds the listener (port 0 in tests) and is then run until
//! shut down. Nothing global: everything a handler needs is in [`AppState`].

pub mod api;
pub mod auth;
pub mod error;
pub mod extract;
pub mod messages;
pub mod pages;
pub mod security;
pub mod services;
pub mod session;
pub mod state;
pub mod views;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use aiwei_store::Store;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

pub use state::{AppConfig, AppState, Clock};

/// Bodies above this size are refused with 413 before they are read whole.
/// Large enough that an over-long text field is named by validation (422)
/// rather than cut off here.
pub const MAX_BODY: usize = 2 * 1024 * 1024;

/// Builds the state shared by all handlers. The store asks the same clock.
pub fn app_state(store: Store, config: AppConfig, clock: Clock) -> anyhow::Result<AppState> {
    let outbound = Arc::new(services::outbound::Outbound::new(config.outbound.clone())?);
    Ok(AppState {
        store: store.with_clock(clock.clone()),
        outbound,
        config: Arc::new(config),
        clock,
        dummy_hash: Arc::new(auth::hash_password("aiwei-dummy-password")?),
        suggest: services::suggest::SuggestCache::default(),
    })
}

/// The whole router: API, pages, health probes, static assets.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::router())
        .merge(pages::router())
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(security::framework_errors))
        .layer(axum::middleware::from_fn(pages::html_errors))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        .layer(axum::middleware::from_fn(security::same_origin))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        // Spans name the route template, never the request's own path or
        // query: a phone number typed into a URL by mistake (look-ups
        // travel in bodies) must not reach the log.
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                let route = req
                    .extensions()
                    .get::<axum::extract::MatchedPath>()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_else(|| "-".to_owned());
                tracing::debug_span!("request", method = %req.method(), route)
            }),
        )
        .with_state(state)
}

/// An unknown address: the JSON error under `/api/`, a page otherwise.
async fn not_found(
    state: State<AppState>,
    req: axum::extract::Request,
) -> axum::response::Response {
    if req.uri().path().starts_with("/api/") {
        return error::ApiError::not_found().into_response();
    }
    pages::not_found(state, req).await
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::error!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                aiwei_core::ErrorCode::Unavailable.as_str(),
            )
        }
    }
}

/// Finishes an owed rebuild of the search index (matters recorded before
/// the index existed, or an interrupted `aiwei search reindex`), a batch at
/// a time, while the server serves. Errors are logged and end the attempt;
/// the next start tries again.
pub async fn finish_search_index(store: aiwei_store::Store) {
    match store.search_reindex_pending().await {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            tracing::error!(error = %e, "search index check failed");
            return;
        }
    }
    let mut done = 0usize;
    loop {
        match store.reindex_search(500, false).await {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) => {
                tracing::error!(error = %e, "search index rebuild failed");
                return;
            }
        }
    }
    tracing::info!(matters = done, "search index complete");
}

/// Runs `work` every `every` until `stop` resolves; one run finishes
/// before the next starts, and a late tick does not bunch up.
pub async fn every<Fut>(
    every: Duration,
    stop: impl std::future::Future<Output = ()> + Send,
    mut work: impl FnMut() -> Fut,
) where
    Fut: std::future::Future<Output = ()>,
{
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = tick.tick() => work().await,
        }
    }
}

/// Runs the deadline sweeper every `every` until `stop` resolves. Safe with
/// several app instances on one database: each clock is marked once.
pub async fn run_sweeper(
    state: AppState,
    period: Duration,
    stop: impl std::future::Future<Output = ()> + Send,
) {
    every(period, stop, || sweep_once(&state)).await
}

async fn sweep_once(state: &AppState) {
    // Pick up a key another process added (`aiwei keys rotate`), so new
    // callers are sealed under it.
    if let Err(e) = state.store.keys().reload() {
        tracing::error!(error = %e, "reloading the key file failed");
    }
    // Put the end of lapsed disclosures on the record (access already ends
    // at expiry).
    match state.store.expire_disclosures(state.clock.now()).await {
        Ok(n) if n > 0 => tracing::info!(expired = n, "disclosures expired"),
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "expiring disclosures failed"),
    }
    let now = state.clock.now();
    if let Err(e) = state
        .store
        .purge_login_throttle(state.config.throttle(), now)
        .await
    {
        tracing::error!(error = %e, "purging the login throttle failed");
    }
    if let Err(e) = state.store.purge_idempotency_keys(now).await {
        tracing::error!(error = %e, "purging old idempotency keys failed");
    }
    // Rate-limit windows last at most an hour.
    if let Err(e) = state
        .store
        .purge_rate_limits(now - chrono::Duration::days(1))
        .await
    {
        tracing::error!(error = %e, "purging old rate-limit counters failed");
    }
    // The ledger's totals read the deltas too; folding keeps them few.
    if let Err(e) = state.store.fold_tally().await {
        tracing::error!(error = %e, "folding the ledger's tally failed");
    }
    match state.store.sweep(now, 1000).await {
        Ok(r) if r.due_soon + r.overdue > 0 => {
            tracing::info!(
                due_soon = r.due_soon,
                overdue = r.overdue,
                "deadlines swept"
            );
        }
        Ok(_) => {}
        // A failed sweep is retried on the next tick; nothing is lost
        // because the state lives in the database.
        Err(e) => tracing::error!(error = %e, "deadline sweep failed"),
    }
}

/// A bound, not yet running, server.
pub struct Application {
    listener: TcpListener,
    router: Router,
}

impl Application {
    /// Binds `addr` (port 0 picks a free port) and builds the router.
    pub async fn build(state: AppState, addr: SocketAddr) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Self {
            listener,
            router: router(state),
        })
    }

    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Serves until `shutdown` completes; in-flight requests finish first.
    /// Handlers learn the peer address of each connection (see
    /// [`auth::ClientIp`]).
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await?;
        Ok(())
    }
}
