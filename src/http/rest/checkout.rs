//! `POST /quotes`, `POST /checkout` and `GET /payments/{id}`: the checkout service's routes
//! (seed `001`), selling credits without emissions through the hosted checkout.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;

use super::decimal::DecimalString;
use super::openapi::{CheckoutErrors, IdempotencyKey, ReadErrors, WriteErrors};
use super::views::{CheckoutView, PaymentView, QuoteView};
use super::wire::{self, RestError};
use crate::api::mutations::payments::{
    CheckoutMetadataInput, CreateCheckoutInput, CreateQuoteInput,
};
use crate::http::HttpState;
use crate::ids::PaymentId;
use crate::payments::{self, checkout, quotes};

/// What to price.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateQuote {
    /// The listing whose credits to price (GraphQL `Listing.id`).
    pub asset_price_source_id: String,
    /// Tonnes, above 0 with at most 6 decimals, at least the listing's minimum.
    #[schema(example = "2.5")]
    pub quantity_tonnes: DecimalString,
}

/// Prices a quantity of a listing's credits and holds the price until `expires_at`; a
/// checkout may use it once. The supply is checked, not held (GraphQL `createQuote`).
#[utoipa::path(
    post,
    path = "/quotes",
    tag = "Checkout",
    operation_id = "createQuote",
    params(IdempotencyKey),
    request_body = CreateQuote,
    responses(
        (status = 201, description = "The quote.", body = QuoteView),
        WriteErrors,
    ),
    security(("api_key" = []))
)]
pub async fn quote(State(state): State<HttpState>, request: Request) -> Response {
    wire::write(&state, request, async |organization, body: CreateQuote| {
        let (listing, quantity) = CreateQuoteInput {
            asset_price_source_id: body.asset_price_source_id.into(),
            quantity_tonnes: body.quantity_tonnes.0,
        }
        .parse()?;
        let app = &state.app;
        let config = &app.config;
        let quote = quotes::create(
            &app.db,
            organization,
            listing,
            quantity,
            config.fee,
            config.payments.quote_ttl,
        )
        .await?;
        Ok(wire::json(StatusCode::CREATED, &QuoteView::from(quote)))
    })
    .await
}

/// Printed on the certificate.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutMetadata {
    /// On whose behalf the credits are retired: one line, 1 to 200 characters.
    #[schema(example = "Jane Doe")]
    pub beneficiary_name: String,
    /// At most 1000 characters, line breaks allowed.
    pub retirement_message: Option<String>,
}

/// A hosted checkout for credits: from a quote (`quote_id`), or from a listing and a
/// quantity (`asset_price_source_id` and `quantity_tonnes`), not both.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCheckout {
    /// The listing to buy from, with `quantity_tonnes`; or give `quote_id` instead.
    pub asset_price_source_id: Option<String>,
    /// Tonnes, above 0 with at most 6 decimals (required with `asset_price_source_id`).
    pub quantity_tonnes: Option<DecimalString>,
    /// A quote whose price the checkout charges (used once).
    pub quote_id: Option<String>,
    /// The beneficiary and message printed on the certificate.
    pub metadata: CheckoutMetadata,
    /// After paying, the customer goes to this URL followed by `/` and the payment's id
    /// (absolute http or https URL, at most 2000 characters).
    #[schema(example = "https://shop.example/paid")]
    pub success_url: String,
    /// Where a customer who gives up goes (absolute http or https URL).
    #[schema(example = "https://shop.example/cart")]
    pub cancel_url: String,
    /// Prefills the checkout's e-mail field.
    pub customer_email: Option<String>,
    /// Your own reference (an order number), unique in your organization: the same request
    /// sent again answers this checkout (200); another request with it is a `CONFLICT`.
    pub external_reference: Option<String>,
}

/// Opens a hosted checkout for credits: they are held until the checkout expires; once paid
/// they are retired on behalf of the beneficiary and the customer goes to
/// `success_url/<payment_id>`. The redirect is not proof of payment: ask
/// `GET /payments/{id}` (GraphQL `createCheckout`).
#[utoipa::path(
    post,
    path = "/checkout",
    tag = "Checkout",
    operation_id = "createCheckout",
    params(IdempotencyKey),
    request_body = CreateCheckout,
    responses(
        (status = 201, description = "The hosted checkout URL and the payment.", body = CheckoutView),
        (status = 200, description = "Sent again with the same `external_reference`: the checkout opened the first time.", body = CheckoutView),
        CheckoutErrors,
    ),
    security(("api_key" = []))
)]
pub async fn create(State(state): State<HttpState>, request: Request) -> Response {
    wire::write(
        &state,
        request,
        async |organization, body: CreateCheckout| {
            let new = CreateCheckoutInput {
                asset_price_source_id: body.asset_price_source_id.map(Into::into),
                quantity_tonnes: body.quantity_tonnes.map(|tonnes| tonnes.0),
                quote_id: body.quote_id.map(Into::into),
                metadata: CheckoutMetadataInput {
                    beneficiary_name: body.metadata.beneficiary_name,
                    retirement_message: body.metadata.retirement_message,
                },
                success_url: body.success_url,
                cancel_url: body.cancel_url,
                customer_email: body.customer_email,
                external_reference: body.external_reference,
            }
            .parse()
            .map_err(|error| {
                RestError::from(error)
                    .within("metadata", &["beneficiary_name", "retirement_message"])
            })?;
            let app = &state.app;
            let created = checkout::create(&app.checkouts(), organization, new).await?;
            let status = if created.replayed() {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            let payment = created.into_inner();
            let view = CheckoutView {
                url: payment.checkout_url.clone().unwrap_or_default(),
                payment: PaymentView::load(&app.db, &app.config.public_url, payment).await?,
            };
            Ok(wire::json(status, &view))
        },
    )
    .await
}

/// One of your payments: whether it is paid and its credits retired (GraphQL
/// `payment(id)`).
#[utoipa::path(
    get,
    path = "/payments/{id}",
    tag = "Checkout",
    operation_id = "getPayment",
    params(("id" = String, Path, description = "The payment's id, as appended to `success_url`.")),
    responses(
        (status = 200, description = "The payment.", body = PaymentView),
        ReadErrors,
    ),
    security(("api_key" = []))
)]
pub async fn payment(
    State(state): State<HttpState>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    wire::read(&state, &headers, async |organization| {
        let Ok(Path(id)) = id else {
            return Err(RestError::not_found("Payment"));
        };
        let id: PaymentId = wire::path_id(&id, "Payment")?;
        let app = &state.app;
        let payment = payments::find(&app.db, organization, id)
            .await?
            .ok_or_else(|| RestError::not_found("Payment"))?;
        let view = PaymentView::load(&app.db, &app.config.public_url, payment).await?;
        Ok(wire::json(StatusCode::OK, &view))
    })
    .await
}
