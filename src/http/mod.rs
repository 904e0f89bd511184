//! The HTTP surface (SPEC §3): every route handler. GraphQL transport in [`graphql`], GraphiQL,
//! the certificate page, health checks; limits and the last-resort panic handler as layers.

mod certificate_page;
mod checkout_pages;
mod documents;
mod graphiql;
mod graphql;
mod idempotency;
mod media;
mod observe;
mod openapi_page;
mod protection;
mod request;
pub mod rest;
pub mod server;
mod sockets;
mod webhooks;
mod websocket;

pub use documents::check_manifest;
pub use observe::metrics_router;
pub use sockets::OpenSockets;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use tower_http::catch_panic::CatchPanicLayer;

use crate::api::GraphQL;
use crate::api::errors::request_error;
use crate::app::App;

/// What every handler reaches: the application, its GraphQL executor and the open WebSockets.
#[derive(Clone)]
pub struct HttpState {
    pub app: App,
    pub graphql: GraphQL,
    pub sockets: OpenSockets,
    limiter: protection::RateLimiter,
    /// Apollo's automatic persisted queries, on this instance.
    documents: Arc<documents::PersistedQueries>,
}

pub fn router(app: App, sockets: OpenSockets) -> Router {
    let state = HttpState {
        graphql: crate::api::build(&app),
        limiter: protection::RateLimiter::new(&app.config.security),
        documents: Arc::default(),
        app,
        sockets,
    };
    let double = state
        .app
        .stripe_double
        .as_ref()
        .map(|double| double.router());
    let cors = protection::cors(&state.app.config.security);
    // What clients call, each held to the rate limits.
    let limited = Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/assets/{file}", get(graphiql::asset))
        .route("/certificates/{public_id}", get(certificate_page::show))
        .route("/thanks/{public_id}", get(checkout_pages::thanks))
        .route("/assets/thanks.js", get(checkout_pages::script))
        .route("/checkout/cancel/{public_id}", get(checkout_pages::cancel))
        .route_layer(middleware::from_fn_with_state(
            state.limiter.clone(),
            protection::limit_rate,
        ));
    // Stripe's deliveries and the orchestrator's probes are not clients to slow down; the
    // API's documents are static.
    let routes = limited
        .route("/webhooks/stripe", post(webhooks::stripe))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/openapi.json", get(rest::openapi::serve))
        .route("/openapi", get(openapi_page::page))
        .route("/openapi/assets/{file}", get(openapi_page::asset))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            request_timeout,
        ))
        .merge(rest::router(&state))
        .with_state(state);
    // The Stripe test double answers on this server (development without a Stripe key).
    let routes = match double {
        Some(double) => routes.merge(double),
        None => routes,
    };
    // The last line of defence: nothing a client sends should get here (tests prove the known
    // cases never do), but a panic must answer, not drop the connection.
    let [policy, nosniff, referrer, frames] = protection::security_headers();
    routes
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(cors)
        .layer(policy)
        .layer(nosniff)
        .layer(referrer)
        .layer(frames)
        .layer(middleware::from_fn(observe::observe))
}

/// Ready when the database answers and every background job came round recently. (Nothing
/// listens while migrations run: the server binds only once they are done.)
async fn readyz(State(state): State<HttpState>) -> Response {
    if let Err(error) = state.app.db.ping().await {
        tracing::warn!(%error, "readiness check failed: database unreachable");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response();
    }
    let stalled = state.app.liveness.stalled();
    if !stalled.is_empty() {
        tracing::warn!(?stalled, "readiness check failed: background jobs stalled");
        let message = format!("background jobs stalled: {}", stalled.join(", "));
        return (StatusCode::SERVICE_UNAVAILABLE, message).into_response();
    }
    (StatusCode::OK, "ready").into_response()
}

/// Bounds the whole exchange, so no request holds a worker for ever.
async fn request_timeout(State(state): State<HttpState>, request: Request, next: Next) -> Response {
    let limit = state.app.config.http_limits.request_timeout;
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "REQUEST_TIMEOUT",
            "the request took too long and was abandoned",
        ),
    }
}

fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|message| (*message).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(panic = %detail, "a request handler panicked");
    error_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL_SERVER_ERROR",
        "internal server error",
    )
}

/// A GraphQL error document answered by the transport itself.
fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let response = async_graphql::Response::from_errors(vec![request_error(code, message, None)]);
    (status, Json(response)).into_response()
}
