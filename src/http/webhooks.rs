//! `POST /webhooks/stripe`: Stripe's events, verified by signature (300 s tolerance) before
//! anything is read. A bad or stale signature is a 400 and changes nothing; an event handled
//! before is acknowledged again; a failure of ours is a 500, so Stripe delivers it again.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tracing::Instrument;

use super::HttpState;
use crate::payments::fulfilment::{self, Handled};

/// Stripe's events are a few kilobytes; nothing legitimate comes near this.
const MAX_EVENT_BYTES: usize = 256 * 1024;

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": { "message": message } }))).into_response()
}

pub async fn stripe(State(state): State<HttpState>, headers: HeaderMap, body: Body) -> Response {
    let Some(signature) = headers
        .get("stripe-signature")
        .and_then(|value| value.to_str().ok())
    else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "the Stripe-Signature header is missing",
        );
    };
    let Ok(bytes) = axum::body::to_bytes(body, MAX_EVENT_BYTES).await else {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, "the event is too large");
    };
    let Ok(payload) = std::str::from_utf8(&bytes) else {
        return refuse(StatusCode::BAD_REQUEST, "the event is not UTF-8");
    };
    let secret = state.app.webhook_secret.expose();
    let event = match crate::stripe_gateway::verify(payload, signature, secret) {
        Ok(event) => event,
        Err(rejected) => {
            count_event("unknown", "rejected");
            tracing::warn!(%rejected, "refused a webhook delivery");
            return refuse(StatusCode::BAD_REQUEST, &rejected.to_string());
        }
    };
    let id = event.id.clone();
    let kind = event_type_label(&event.kind);
    let handling = tracing::info_span!("webhook.stripe", event = %id, event_type = kind);
    match fulfilment::handle(&state.app.fulfilment(), event)
        .instrument(handling)
        .await
    {
        Ok(handled) => {
            let outcome = match handled {
                Handled::Duplicate => "duplicate",
                Handled::Ignored => "ignored",
                Handled::Changed(_) => "applied",
            };
            count_event(
                kind,
                if matches!(handled, Handled::Duplicate) {
                    "duplicate"
                } else {
                    "verified"
                },
            );
            tracing::info!(event = %id, outcome, "Stripe event");
            (
                StatusCode::OK,
                Json(json!({ "received": true, "outcome": outcome })),
            )
                .into_response()
        }
        Err(error) => {
            tracing::error!(event = %id, %error, "handling a Stripe event failed");
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the event could not be handled; retry",
            )
        }
    }
}

fn count_event(kind: &'static str, outcome: &'static str) {
    metrics::counter!("contrail_webhook_events_total", "type" => kind, "outcome" => outcome)
        .increment(1);
}

/// The event types payments act on keep their name as a label; any other is `other` (a label
/// per type Stripe may invent would grow without bound).
fn event_type_label(kind: &str) -> &'static str {
    const KNOWN: [&str; 5] = [
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "checkout.session.expired",
        "charge.refunded",
    ];
    KNOWN
        .into_iter()
        .find(|known| *known == kind)
        .unwrap_or("other")
}
