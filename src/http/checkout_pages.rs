//! The customer's pages around a hosted checkout: the thank-you page (the payment's state and,
//! once issued, the certificate link) and the cancel link Stripe sends a customer who gives
//! up. Both are named by the payment's unguessable public id, never by its sequential id.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use sea_orm::ActiveEnum;

use super::HttpState;
use crate::api::id::GlobalId;
use crate::certificates::CertificateStatus;
use crate::payments::checkout::cancel_redirect;
use crate::payments::fulfilment;
use crate::payments::{Payment, PaymentStatus, RetirementStatus};

#[derive(Template)]
#[template(path = "thanks.html")]
struct ThanksPage {
    headline: &'static str,
    state: &'static str,
    tone: &'static str,
    explanation: &'static str,
    amount: String,
    reference: String,
    certificate_url: Option<String>,
    settled: bool,
    /// What the page's script needs to follow the payment, until it is settled.
    live: Option<Live>,
}

struct Live {
    payment_id: String,
    client_secret: String,
    state: String,
}

/// Nothing loads from elsewhere, nothing frames a page of ours.
const PAGE_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'";
/// The thank-you page also runs its own script, which follows the payment over a WebSocket to
/// this server and fetches the page again.
const LIVE_PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'";
const THANKS_JS: &str = include_str!("../../assets/thanks.js");

/// An HTML page of ours with its content policy (the other security headers are on every
/// response).
pub fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_SECURITY_POLICY, PAGE_POLICY)],
        Html(body),
    )
        .into_response()
}

fn not_found() -> Response {
    html(
        StatusCode::NOT_FOUND,
        "<!doctype html><title>Not found</title><p>There is no such payment.</p>".into(),
    )
}

fn unavailable() -> Response {
    html(
        StatusCode::SERVICE_UNAVAILABLE,
        "<!doctype html><title>Unavailable</title><p>This page cannot be shown right now; try again in a moment.</p>".into(),
    )
}

fn describe(payment: &Payment) -> (&'static str, &'static str, &'static str, &'static str) {
    match (payment.status, payment.retirement_status) {
        (PaymentStatus::Pending, _) => (
            "Waiting for your payment",
            "Pending",
            "",
            "Your payment has not been confirmed yet. Bank payments can take a few days.",
        ),
        (PaymentStatus::Succeeded, RetirementStatus::Retired)
        | (PaymentStatus::Refunded, RetirementStatus::Retired) => (
            "Thank you: your carbon removal is retired",
            "Retired",
            "good",
            "The credits you paid for are permanently retired. Your certificate shows their serial numbers.",
        ),
        (PaymentStatus::Succeeded, RetirementStatus::Failed) => (
            "We are refunding your payment",
            "Refunding",
            "bad",
            "No credits were left for your payment, so it is being refunded in full.",
        ),
        (PaymentStatus::Succeeded, _) => (
            "Thank you for your payment",
            "Paid",
            "good",
            "Your payment is confirmed and the credits are being retired at the registry.",
        ),
        (PaymentStatus::Refunded, _) => (
            "Your payment was refunded",
            "Refunded",
            "bad",
            "The payment was refunded; no credits were retired for it.",
        ),
        (PaymentStatus::Failed, _) => (
            "Your payment did not go through",
            "Failed",
            "bad",
            "The payment failed and nothing was charged.",
        ),
        (PaymentStatus::Cancelled, _) => (
            "Checkout cancelled",
            "Cancelled",
            "bad",
            "You left the checkout; nothing was charged.",
        ),
        (PaymentStatus::Expired, _) => (
            "Checkout expired",
            "Expired",
            "bad",
            "The checkout closed before it was paid; nothing was charged.",
        ),
    }
}

pub async fn thanks(State(state): State<HttpState>, Path(public_id): Path<String>) -> Response {
    let db = &state.app.db;
    let payment = match crate::payments::find_by_public_id(db, &public_id).await {
        Ok(Some(payment)) => payment,
        Ok(None) => return not_found(),
        Err(error) => {
            tracing::error!(%error, "thank-you page failed");
            return unavailable();
        }
    };
    let certificate = match crate::certificates::for_provisions(db, &[payment.provision_id]).await {
        Ok(certificates) => certificates.into_iter().next(),
        Err(error) => {
            tracing::error!(%error, "thank-you page failed");
            return unavailable();
        }
    };
    let (headline, label, tone, explanation) = describe(&payment);
    let amount = payment.amount();
    let settled = payment.is_settled();
    let live = (!settled).then(|| Live {
        payment_id: payment.id.to_id().0,
        client_secret: payment.client_secret.clone(),
        // As the GraphQL enums spell them, which the stored values match.
        state: format!(
            "{}/{}",
            payment.status.to_value(),
            payment.retirement_status.to_value()
        ),
    });
    let page = ThanksPage {
        headline,
        state: label,
        tone,
        explanation,
        amount: format!("{} {}", amount.amount(), amount.currency),
        reference: format!("P-{:08}", payment.id.0),
        certificate_url: certificate
            .filter(|certificate| certificate.status != CertificateStatus::Void)
            .map(|certificate| certificate.url(&state.app.config.public_url)),
        settled,
        live,
    };
    match page.render() {
        Ok(body) => (
            [
                (header::CONTENT_SECURITY_POLICY, LIVE_PAGE_POLICY),
                // The page holds the payment's client secret.
                (header::CACHE_CONTROL, "no-store"),
            ],
            Html(body),
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "thank-you page failed to render");
            unavailable()
        }
    }
}

/// A customer who gave up: the checkout is closed at Stripe, the held credits go back, and the
/// customer continues to the integrator's cancel page (or ours).
pub async fn cancel(State(state): State<HttpState>, Path(public_id): Path<String>) -> Response {
    let app = &state.app;
    let payment = match crate::payments::find_by_public_id(&app.db, &public_id).await {
        Ok(Some(payment)) => payment,
        Ok(None) => return not_found(),
        Err(error) => {
            tracing::error!(%error, "cancel page failed");
            return unavailable();
        }
    };
    match fulfilment::cancel(&app.fulfilment(), payment).await {
        Ok(payment) => {
            Redirect::to(&cancel_redirect(&payment, &app.config.public_url)).into_response()
        }
        Err(error) => {
            tracing::error!(%error, "cancelling a checkout failed");
            unavailable()
        }
    }
}

/// The thank-you page's script.
pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        THANKS_JS,
    )
        .into_response()
}
