//! `POST /api/provisions`, `GET /api/provisions/{id}`, `PUT /api/provisions/{id}/emissions`
//! and `POST /api/provisions/checkout`: credits for your own checkout (invoiced monthly), and
//! the prepaid hosted checkout.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;

use super::decimal::DecimalString;
use super::openapi::{CheckoutErrors, IdempotencyKey, ReadErrors, WriteErrors};
use super::views::{PaymentView, ProvisionCheckoutView, ProvisionView};
use super::wire::{self, RestError};
use crate::api::inputs;
use crate::api::mutations::payments::CreateProvisionCheckoutInput;
use crate::api::mutations::provisions::CreateProvisionInput;
use crate::error::Error;
use crate::http::HttpState;
use crate::ids::ProvisionId;
use crate::provisions::{self, lifecycle, linking};

fn ids(ids: Vec<String>) -> Vec<async_graphql::ID> {
    ids.into_iter().map(Into::into).collect()
}

/// Credits to provision: a quantity (`quantity_tonnes`), or a share of emissions
/// (`emission_ids` and `offset_percentage`, linked at once), not both.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProvision {
    /// Tonnes, above 0 with at most 6 decimals; or give `emission_ids` and
    /// `offset_percentage`.
    pub quantity_tonnes: Option<DecimalString>,
    /// 1 to 100 of your emissions to offset and link.
    #[schema(min_items = 1, max_items = 100)]
    pub emission_ids: Option<Vec<String>>,
    /// Whole percent of their net CO2, 1 to 300 (required with `emission_ids`).
    pub offset_percentage: Option<i32>,
    /// The listing to buy from; the default listing when absent.
    pub listing_id: Option<String>,
    /// Printed on the certificate: one line, 1 to 200 characters.
    #[schema(example = "Jane Doe")]
    pub beneficiary_name: String,
    /// Printed on the certificate: at most 1000 characters, line breaks allowed.
    pub retirement_message: Option<String>,
    /// Your own reference (a booking number), unique in your organization: the same request
    /// sent again answers the provision it made (200); another request with it is a
    /// `CONFLICT`.
    pub external_reference: Option<String>,
}

/// Provisions credits paid through your own checkout, billed on your monthly invoice:
/// allocated at once, then retired (GraphQL `createProvision`). Share `certificate.url` with
/// the customer.
#[utoipa::path(
    post,
    path = "/api/provisions",
    tag = "Provisions",
    operation_id = "createProvision",
    params(IdempotencyKey),
    request_body = CreateProvision,
    responses(
        (status = 201, description = "The provision, `CONFIRMED` (or already `RETIRED`), with its certificate.", body = ProvisionView),
        (status = 200, description = "Sent again with the same `external_reference`: the provision made the first time; nothing was written.", body = ProvisionView),
        WriteErrors,
    ),
    security(("api_key" = []))
)]
pub async fn create(State(state): State<HttpState>, request: Request) -> Response {
    wire::write(
        &state,
        request,
        async |organization, body: CreateProvision| {
            let (new, reference) = CreateProvisionInput {
                quantity_tonnes: body.quantity_tonnes.map(|tonnes| tonnes.0),
                emission_ids: body.emission_ids.map(ids),
                offset_percentage: body.offset_percentage,
                listing_id: body.listing_id.map(Into::into),
                beneficiary_name: body.beneficiary_name,
                retirement_message: body.retirement_message,
                external_reference: body.external_reference,
            }
            .parse()?;
            let app = &state.app;
            let created =
                lifecycle::create(&app.provisioning(), organization, new, reference).await?;
            let status = if created.replayed() {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            let view =
                ProvisionView::load(&app.db, &app.config.public_url, created.into_inner()).await?;
            Ok(wire::json(status, &view))
        },
    )
    .await
}

/// The provision a path names, if it is one.
fn provision_id(id: Result<Path<String>, PathRejection>) -> Result<ProvisionId, RestError> {
    let Ok(Path(id)) = id else {
        return Err(RestError::not_found("Provision"));
    };
    wire::path_id(&id, "Provision")
}

/// One of your provisions (GraphQL `provision(id)`).
#[utoipa::path(
    get,
    path = "/api/provisions/{id}",
    tag = "Provisions",
    operation_id = "getProvision",
    params(("id" = String, Path, description = "The provision's id.")),
    responses(
        (status = 200, description = "The provision.", body = ProvisionView),
        ReadErrors,
    ),
    security(("api_key" = []))
)]
pub async fn show(
    State(state): State<HttpState>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    wire::read(&state, &headers, async |organization| {
        let id = provision_id(id)?;
        let app = &state.app;
        let provision = provisions::find(&app.db, organization, id)
            .await?
            .ok_or_else(|| RestError::not_found("Provision"))?;
        let view = ProvisionView::load(&app.db, &app.config.public_url, provision).await?;
        Ok(wire::json(StatusCode::OK, &view))
    })
    .await
}

/// Emissions to link to a provision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkEmissions {
    /// 1 to 100 of your emissions.
    #[schema(min_items = 1, max_items = 100)]
    pub emission_ids: Vec<String>,
}

/// Links emissions to a provision, all or none; linking again what is linked changes nothing,
/// so retries are safe (GraphQL `linkEmissionsToProvision`). A retired provision's flights are
/// final: linking another one is a `CONFLICT`.
#[utoipa::path(
    put,
    path = "/api/provisions/{id}/emissions",
    tag = "Provisions",
    operation_id = "linkEmissionsToProvision",
    params(("id" = String, Path, description = "The provision's id."), IdempotencyKey),
    request_body = LinkEmissions,
    responses(
        (status = 200, description = "The provision with its emissions.", body = ProvisionView),
        WriteErrors,
    ),
    security(("api_key" = []))
)]
pub async fn link(
    State(state): State<HttpState>,
    id: Result<Path<String>, PathRejection>,
    request: Request,
) -> Response {
    wire::write(
        &state,
        request,
        async |organization, body: LinkEmissions| {
            let id = provision_id(id)?;
            let emissions = inputs::emission_ids(&ids(body.emission_ids), "emissionIds")?;
            let app = &state.app;
            let provision = linking::link(&app.db, organization, id, &emissions).await?;
            let view = ProvisionView::load(&app.db, &app.config.public_url, provision).await?;
            Ok(wire::json(StatusCode::OK, &view))
        },
    )
    .await
}

/// A prepaid checkout that offsets a share of emissions.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProvisionCheckout {
    /// 1 to 100 of your emissions to offset (linked to the provision).
    #[schema(min_items = 1, max_items = 100)]
    pub emission_ids: Vec<String>,
    /// Whole percent of their net CO2, 1 to 300.
    #[schema(example = 100)]
    pub offset_percentage: i32,
    /// Where the customer goes after the checkout (absolute http or https URL); the server's
    /// thank-you page when absent.
    #[schema(example = "https://example.com/redirect")]
    pub redirect_url: Option<String>,
    /// The listing to buy from; the default listing when absent.
    pub listing_id: Option<String>,
    /// Prefills the checkout's e-mail field; the verification e-mail goes to the address the
    /// customer confirms there.
    pub customer_email: Option<String>,
    /// Printed on the certificate; defaults to your organization's name.
    pub beneficiary_name: Option<String>,
    /// Printed on the certificate: at most 1000 characters, line breaks allowed.
    pub retirement_message: Option<String>,
    /// Your own reference, unique in your organization: the same request sent again answers
    /// this checkout (200); another request with it is a `CONFLICT`.
    pub external_reference: Option<String>,
}

/// Opens a hosted checkout for a share of emissions: the provision waits in
/// `PENDING_PAYMENT`, its credits held; once paid it is confirmed and retired, the certificate
/// issued and a verification e-mail sent (GraphQL `createProvisionCheckout`).
#[utoipa::path(
    post,
    path = "/api/provisions/checkout",
    tag = "Provisions",
    operation_id = "createProvisionCheckout",
    params(IdempotencyKey),
    request_body = CreateProvisionCheckout,
    responses(
        (status = 201, description = "The checkout link, the waiting provision and its payment.", body = ProvisionCheckoutView),
        (status = 200, description = "Sent again with the same `external_reference`: the checkout opened the first time.", body = ProvisionCheckoutView),
        CheckoutErrors,
    ),
    security(("api_key" = []))
)]
pub async fn checkout(State(state): State<HttpState>, request: Request) -> Response {
    wire::write(
        &state,
        request,
        async |organization, body: CreateProvisionCheckout| {
            let app = &state.app;
            let new = CreateProvisionCheckoutInput {
                emission_ids: ids(body.emission_ids),
                offset_percentage: body.offset_percentage,
                listing_id: body.listing_id.map(Into::into),
                redirect_url: body.redirect_url,
                customer_email: body.customer_email,
                beneficiary_name: body.beneficiary_name,
                retirement_message: body.retirement_message,
                external_reference: body.external_reference,
            }
            .parse(&app.db, organization)
            .await?;
            let created =
                crate::payments::checkout::create(&app.checkouts(), organization, new).await?;
            let status = if created.replayed() {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            let payment = created.into_inner();
            let public_url = &app.config.public_url;
            let provision = provisions::find_many(&app.db, &[payment.provision_id])
                .await?
                .pop()
                .ok_or_else(|| Error::not_found("Provision"))?;
            let view = ProvisionCheckoutView {
                checkout_url: payment.checkout_url.clone().unwrap_or_default(),
                provision: ProvisionView::load(&app.db, public_url, provision).await?,
                payment: PaymentView::load(&app.db, public_url, payment).await?,
            };
            Ok(wire::json(status, &view))
        },
    )
    .await
}
