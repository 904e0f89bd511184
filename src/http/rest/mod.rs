//! The REST routes of the two seed products (SPEC §10), each a thin adapter over the domain
//! operations the GraphQL mutations call, with the inputs parsed by the same code
//! ([`crate::api::mutations`]) and errors mapped by the same table ([`crate::api::errors`]):
//! the flight-emissions API under `/api` (seed `000`) and the checkout service's `/quotes`,
//! `/checkout` and `/payments/{id}` (seed `001`). Their OpenAPI document is [`openapi`].

mod checkout;
mod decimal;
mod emissions;
mod enums;
mod fleet;
pub mod openapi;
mod provisions;
mod views;
mod views_payments;
pub mod wire;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post, put};

use super::{HttpState, protection};

/// The REST routes, held to the same rate limits as GraphQL and answering every refusal in
/// their own error shape.
pub fn router(state: &HttpState) -> Router<HttpState> {
    Router::new()
        .route("/api/fleet", post(fleet::register).get(fleet::list))
        .route("/api/emissions/estimate", post(emissions::estimate))
        .route(
            "/api/emissions",
            post(emissions::create).get(emissions::list),
        )
        .route("/api/emissions/{id}", get(emissions::show))
        .route("/api/provisions", post(provisions::create))
        .route("/api/provisions/checkout", post(provisions::checkout))
        .route("/api/provisions/{id}", get(provisions::show))
        .route("/api/provisions/{id}/emissions", put(provisions::link))
        .route("/quotes", post(checkout::quote))
        .route("/checkout", post(checkout::create))
        .route("/payments/{id}", get(checkout::payment))
        .route_layer(middleware::from_fn_with_state(
            state.limiter.clone(),
            protection::limit_rate_rest,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), timeout))
}

/// Bounds the whole exchange, as for GraphQL.
async fn timeout(State(state): State<HttpState>, request: Request, next: Next) -> Response {
    let limit = state.app.config.http_limits.request_timeout;
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => wire::refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "REQUEST_TIMEOUT",
            "the request took too long and was abandoned",
        ),
    }
}
