//! The hosted test checkout page, `/checkout/{session_id}`: what the session sells, an e-mail
//! field and the buttons that stand for the customer's choices. Server-rendered, every value
//! escaped by the template engine, no external assets.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, LOCATION, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;

use super::entity::{PaymentStatus, SessionStatus, session};
use super::lifecycle::{self, Choice};
use super::{StripeDouble, events, params};
use crate::error::Result;

/// `form-action` names `http:` and `https:` because the browser checks the redirect after
/// a POST too, and it leads to the merchant's site.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; frame-ancestors 'none'";

pub fn routes(double: StripeDouble) -> Router {
    Router::new()
        .route("/checkout/{id}", get(show))
        .route("/checkout/{id}/pay", post(pay))
        .route("/checkout/{id}/pay-later", post(pay_later))
        .route("/checkout/{id}/decline", post(decline))
        .route("/checkout/{id}/cancel", post(cancel))
        .layer(middleware::map_response(secure_headers))
        .with_state(double)
}

#[derive(Template)]
#[template(path = "stripe_double_checkout.html")]
struct CheckoutPage {
    /// The page's own address: the buttons post below it, wherever the page was reached from.
    page_url: String,
    lines: Vec<Line>,
    total: String,
    email: String,
    /// Why the buttons are gone, when the session is no longer open.
    state: Option<&'static str>,
    error: Option<String>,
    cancellable: bool,
}

struct Line {
    name: String,
    description: Option<String>,
    quantity: i64,
    amount: String,
}

#[derive(Template)]
#[template(path = "stripe_double_message.html")]
struct MessagePage {
    title: &'static str,
    message: &'static str,
}

async fn show(State(double): State<StripeDouble>, Path(id): Path<String>) -> Response {
    let found = session::Entity::find_by_id(id).one(&double.db).await;
    match found {
        Ok(Some(row)) => {
            let email = row.customer_email.clone().unwrap_or_default();
            let url = &double.settings.public_url;
            checkout_page(url, &row, email, None, StatusCode::OK)
        }
        Ok(None) => not_found(),
        Err(error) => failed(error.into()),
    }
}

async fn pay(double: State<StripeDouble>, id: Path<String>, body: Bytes) -> Response {
    choose(double, id, body, Choice::Pay).await
}

async fn pay_later(double: State<StripeDouble>, id: Path<String>, body: Bytes) -> Response {
    choose(double, id, body, Choice::PayLater).await
}

async fn decline(double: State<StripeDouble>, id: Path<String>, body: Bytes) -> Response {
    choose(double, id, body, Choice::Decline).await
}

/// The customer leaves: nothing changes at Stripe, the browser goes back to the merchant.
async fn cancel(State(double): State<StripeDouble>, Path(id): Path<String>) -> Response {
    match session::Entity::find_by_id(id).one(&double.db).await {
        Ok(Some(row)) if row.status != SessionStatus::Open => not_open(),
        Ok(Some(row)) => match &row.cancel_url {
            Some(url) => redirect(url),
            None => redirect(&format!(
                "{}/checkout/{}",
                double.settings.public_url, row.id
            )),
        },
        Ok(None) => not_found(),
        Err(error) => failed(error.into()),
    }
}

async fn choose(
    State(double): State<StripeDouble>,
    Path(id): Path<String>,
    body: Bytes,
    choice: Choice,
) -> Response {
    match complete(&double, &id, &body, choice).await {
        Ok(response) => response,
        Err(error) => failed(error),
    }
}

async fn complete(
    double: &StripeDouble,
    id: &str,
    body: &[u8],
    choice: Choice,
) -> Result<Response> {
    let posted = url::form_urlencoded::parse(body)
        .find(|(name, _)| name == "email")
        .map(|(_, value)| value.into_owned());
    let now = Utc::now();
    let public_url = &double.settings.public_url;
    let txn = crate::db::begin_write(&double.db).await?;
    let Some(row) = lifecycle::lock(&txn, id).await? else {
        return Ok(not_found());
    };
    if row.status != SessionStatus::Open {
        return Ok(not_open());
    }
    if row.expires_at <= now {
        // The job has not got to it yet: expire it now, as Stripe would have.
        lifecycle::expire(&txn, public_url, row, None, now).await?;
        txn.commit().await?;
        double.wake.wake();
        return Ok(not_open());
    }
    let email = match email(posted.as_deref(), row.customer_email.as_deref()) {
        Ok(email) => email,
        Err(message) => {
            let entered = posted.unwrap_or_default();
            return Ok(checkout_page(
                public_url,
                &row,
                entered,
                Some(message),
                StatusCode::BAD_REQUEST,
            ));
        }
    };
    let settle_at = chrono::Duration::from_std(double.settings.settle_delay)
        .ok()
        .and_then(|delay| now.checked_add_signed(delay))
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    let row = lifecycle::complete(&txn, public_url, settle_at, row, choice, email, now).await?;
    txn.commit().await?;
    double.wake.wake();
    Ok(redirect(
        &row.success_url.replace("{CHECKOUT_SESSION_ID}", &row.id),
    ))
}

/// The address the customer entered, or else the one the session was created with.
fn email(posted: Option<&str>, preset: Option<&str>) -> Result<String, String> {
    match posted.map(str::trim).filter(|email| !email.is_empty()) {
        Some(email) => params::check_email(email, "email")
            .map_err(|_| "Enter a valid e-mail address.".to_owned()),
        None => preset
            .map(str::to_owned)
            .ok_or_else(|| "Enter your e-mail address.".to_owned()),
    }
}

fn checkout_page(
    public_url: &str,
    row: &session::Model,
    email: String,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let items = match events::line_items(row) {
        Ok(items) => items,
        Err(error) => return failed(error),
    };
    let page = CheckoutPage {
        page_url: format!("{public_url}/checkout/{}", row.id),
        lines: items
            .iter()
            .map(|item| Line {
                name: item.name.clone(),
                description: item.description.clone(),
                quantity: item.quantity,
                amount: format_amount(item.amount(), &row.currency),
            })
            .collect(),
        total: format_amount(row.amount_total, &row.currency),
        email,
        state: state_note(row),
        error,
        cancellable: row.cancel_url.is_some(),
    };
    render(status, &page)
}

fn state_note(row: &session::Model) -> Option<&'static str> {
    match (row.status, row.payment_status, row.settlement) {
        (SessionStatus::Open, _, _) if row.expires_at <= Utc::now() => {
            Some("This checkout session has expired.")
        }
        (SessionStatus::Open, _, _) => None,
        (SessionStatus::Expired, _, _) => Some("This checkout session has expired."),
        (SessionStatus::Complete, PaymentStatus::Paid, _) => Some("Paid: the payment succeeded."),
        (SessionStatus::Complete, PaymentStatus::Unpaid, Some(_)) => {
            Some("Payment processing: it settles shortly.")
        }
        (SessionStatus::Complete, PaymentStatus::Unpaid, None) => Some("The payment failed."),
    }
}

/// An amount in minor units, with the currency's decimals (none for JPY, three for KWD).
fn format_amount(minor: i64, currency: &str) -> String {
    const ZERO_DECIMAL: [&str; 16] = [
        "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
        "xaf", "xof", "xpf",
    ];
    const THREE_DECIMAL: [&str; 5] = ["bhd", "jod", "kwd", "omr", "tnd"];
    let code = currency.to_ascii_uppercase();
    let decimals: u32 = if ZERO_DECIMAL.contains(&currency) {
        0
    } else if THREE_DECIMAL.contains(&currency) {
        3
    } else {
        2
    };
    if decimals == 0 {
        return format!("{minor} {code}");
    }
    let unit = 10_u64.pow(decimals);
    let (sign, abs) = (if minor < 0 { "-" } else { "" }, minor.unsigned_abs());
    let width = decimals as usize;
    format!("{sign}{}.{:0width$} {code}", abs / unit, abs % unit)
}

fn redirect(url: &str) -> Response {
    // Parsing normalises the URL to ASCII, which a header value needs.
    let location = url::Url::parse(url)
        .ok()
        .and_then(|url| HeaderValue::from_str(url.as_str()).ok());
    match location {
        Some(location) => (StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response(),
        None => message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Cannot return to the shop",
            "The address to return to is not a valid URL.",
        ),
    }
}

fn not_found() -> Response {
    message(
        StatusCode::NOT_FOUND,
        "Checkout not found",
        "There is no checkout session at this address.",
    )
}

fn not_open() -> Response {
    message(
        StatusCode::CONFLICT,
        "Checkout closed",
        "This checkout session is no longer open: it was completed or has expired.",
    )
}

fn failed(error: crate::error::Error) -> Response {
    tracing::error!(%error, "the Stripe test double's checkout page failed");
    message(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "The checkout page cannot be shown right now.",
    )
}

fn message(status: StatusCode, title: &'static str, message: &'static str) -> Response {
    render(status, &MessagePage { title, message })
}

fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "cannot render a Stripe test double page");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn secure_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::format_amount;

    #[test]
    fn formats_minor_units_with_the_currency_decimals() {
        assert_eq!(format_amount(1999, "eur"), "19.99 EUR");
        assert_eq!(format_amount(5, "usd"), "0.05 USD");
        assert_eq!(format_amount(1500, "jpy"), "1500 JPY");
        assert_eq!(format_amount(1234, "kwd"), "1.234 KWD");
        assert_eq!(format_amount(-250, "gbp"), "-2.50 GBP");
    }
}
