//! `Idempotency-Key` on `POST /graphql` and the REST routes that write
//! ([`crate::idempotency`]): the first request with a key runs and its response is kept; a
//! retry with the same key and body gets that response again, marked
//! `Idempotent-Replayed: true`, without running; a retry that arrives while the first still
//! runs waits for its response.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::HttpState;
use super::media::Media;
use super::protection::IDEMPOTENT_REPLAYED;
use crate::api::context::Viewer;
use crate::idempotency::{self, Claim, IdempotencyKey, StoredResponse};
use crate::retries::Fingerprint;

/// How long a retry waits for the first request with its key before giving up.
const WAIT_AT_MOST: Duration = Duration::from_secs(10);
const POLL_EVERY: Duration = Duration::from_millis(25);
/// Codes of outcomes a retry should not be told again: it may succeed next time.
pub(super) const TRANSIENT: [&str; 3] = [
    "INTERNAL_SERVER_ERROR",
    "PAYMENT_PROVIDER_ERROR",
    "REQUEST_TIMEOUT",
];

/// Which API a key guards, which decides how refusals are written and how a stored answer
/// tells a failure worth retrying.
#[derive(Debug, Clone, Copy)]
pub(super) enum Shape {
    GraphQL(Media),
    Rest,
}

impl Shape {
    fn refusal(self, status: StatusCode, code: &'static str, message: &str) -> Response {
        match self {
            Shape::GraphQL(media) => media.refusal(status, code, message),
            Shape::Rest => super::rest::wire::refusal(status, code, message),
        }
    }

    fn is_transient(self, body: &str) -> bool {
        match self {
            Shape::GraphQL(_) => is_transient(body),
            Shape::Rest => super::rest::wire::is_transient(body),
        }
    }
}

pub(super) struct Once<'a> {
    pub state: &'a HttpState,
    pub shape: Shape,
    pub viewer: Viewer,
    pub fingerprint: Fingerprint,
}

impl Once<'_> {
    /// Runs `execute` as the viewer once for this key, or answers what it answered before.
    pub async fn run<Execute, Running>(self, key: &HeaderValue, execute: Execute) -> Response
    where
        Execute: FnOnce(Viewer) -> Running,
        Running: Future<Output = Response>,
    {
        let shape = self.shape;
        let key = match key.to_str().map_err(|_| "must be visible ASCII characters") {
            Ok(key) => IdempotencyKey::parse(key),
            Err(why) => Err(why),
        };
        let key = match key {
            Ok(key) => key,
            Err(why) => {
                return shape.refusal(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    &format!("Idempotency-Key: {why}"),
                );
            }
        };
        // Keys are kept per organization; without one there is nothing to keep them under
        // (and nothing a retry could change).
        let Viewer::Organization(organization) = self.viewer else {
            return execute(self.viewer).await;
        };
        let db = &self.state.app.db;
        // A request still marked running after it would have timed out died with its instance.
        let abandoned_after =
            self.state.app.config.http_limits.request_timeout + Duration::from_secs(5);
        let started = Instant::now();
        let claim = loop {
            let claim = idempotency::claim(
                db,
                organization,
                &key,
                self.fingerprint.as_str(),
                abandoned_after,
            )
            .await;
            match claim {
                Ok(Claim::InProgress) if started.elapsed() < WAIT_AT_MOST => {
                    tokio::time::sleep(POLL_EVERY).await;
                }
                Ok(claim) => break claim,
                Err(error) => {
                    tracing::error!(%error, "cannot claim an idempotency key");
                    return shape.refusal(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "INTERNAL_SERVER_ERROR",
                        "internal server error",
                    );
                }
            }
        };
        match claim {
            Claim::Run(id) => {
                let response = execute(self.viewer).await;
                let (parts, body) = response.into_parts();
                let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
                    return shape.refusal(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "INTERNAL_SERVER_ERROR",
                        "internal server error",
                    );
                };
                let text = String::from_utf8_lossy(&body).into_owned();
                let kept = if parts.status.is_server_error() || shape.is_transient(&text) {
                    idempotency::release(db, id).await
                } else {
                    let content_type = parts
                        .headers
                        .get(header::CONTENT_TYPE)
                        .and_then(|value| value.to_str().ok())
                        .unwrap_or("application/json")
                        .to_owned();
                    let stored = StoredResponse {
                        status: parts.status.as_u16(),
                        content_type,
                        body: text,
                    };
                    idempotency::complete(db, id, stored).await
                };
                if let Err(error) = kept {
                    // The response stands; the key is freed or taken over later.
                    tracing::error!(%error, "cannot keep an idempotent response");
                }
                Response::from_parts(parts, Body::from(body))
            }
            Claim::Replay(stored) => replay(stored),
            Claim::Mismatch => shape.refusal(
                StatusCode::CONFLICT,
                "CONFLICT",
                "this Idempotency-Key was used for another request; use a new key for a new request",
            ),
            Claim::InProgress => shape.refusal(
                StatusCode::CONFLICT,
                "CONFLICT",
                "a request with this Idempotency-Key is still running; retry in a moment",
            ),
        }
    }
}

fn is_transient(body: &str) -> bool {
    let Ok(body) = serde_json::from_str::<serde_json::Value>(body) else {
        return true;
    };
    body["errors"].as_array().is_some_and(|errors| {
        errors.iter().any(|error| {
            TRANSIENT.contains(&error["extensions"]["code"].as_str().unwrap_or_default())
        })
    })
}

fn replay(stored: StoredResponse) -> Response {
    let mut response = Response::new(Body::from(stored.body));
    *response.status_mut() = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    if let Ok(content_type) = HeaderValue::from_str(&stored.content_type) {
        headers.insert(header::CONTENT_TYPE, content_type);
    }
    headers.insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    response
}
