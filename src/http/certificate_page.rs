//! The public certificate page, `GET /certificates/{publicId}`: server-rendered HTML with
//! every user-supplied value escaped by the template engine.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::HttpState;
use crate::certificates::{Certificate, CertificateStatus};
use crate::error::{Error, Result};

#[derive(Template)]
#[template(path = "certificate.html")]
struct CertificatePage {
    number: String,
    status: &'static str,
    status_class: &'static str,
    status_note: &'static str,
    beneficiary_name: String,
    retirement_message: Option<String>,
    quantity_tonnes: String,
    project_name: String,
    project_method: String,
    project_registry: String,
    project_country: String,
    project_vintage: i32,
    flights: Vec<FlightRow>,
    ranges: Vec<RangeRow>,
    issued_on: Option<String>,
    url: String,
}

struct FlightRow {
    tail_number: String,
    date: String,
    route: String,
    net_co2_kg: String,
    /// The CO2 range of the uncertainty band, e.g. `2340.000–2660.000 (±6.4 %)`.
    co2_range: String,
}

struct RangeRow {
    serial_range: String,
    vintage: i32,
    tonnes: String,
}

#[derive(Template)]
#[template(path = "certificate_not_found.html")]
struct NotFoundPage;

pub async fn show(State(state): State<HttpState>, Path(public_id): Path<String>) -> Response {
    match render(&state, &public_id).await {
        Ok(Some(html)) => super::checkout_pages::html(StatusCode::OK, html),
        Ok(None) => not_found(),
        Err(error) => {
            if let Error::Internal(cause) = &error {
                tracing::error!(error = %cause, "certificate page failed");
            }
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The certificate cannot be shown right now.",
            )
                .into_response()
        }
    }
}

fn not_found() -> Response {
    match NotFoundPage.render() {
        Ok(html) => super::checkout_pages::html(StatusCode::NOT_FOUND, html),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn render(state: &HttpState, public_id: &str) -> Result<Option<String>> {
    let db = &state.app.db;
    let Some(certificate) = crate::certificates::find_by_public_id(db, public_id).await? else {
        return Ok(None);
    };
    let provision = crate::provisions::find_many(db, &[certificate.provision_id])
        .await?
        .pop()
        .ok_or_else(|| Error::not_found("Provision"))?;
    let listing = crate::credits::find_listing(db, provision.listing_id)
        .await?
        .ok_or_else(|| Error::not_found("Listing"))?;
    let project = crate::credits::find_project(db, listing.project_id)
        .await?
        .ok_or_else(|| Error::not_found("CreditProject"))?;
    let linked = crate::provisions::linked_emissions(db, &[provision.id]).await?;
    let emission_ids = linked.get(&provision.id).cloned().unwrap_or_default();
    let emissions = crate::emissions::find_many(db, &emission_ids).await?;
    let allocations = crate::provisions::allocations(db, &[provision.id])
        .await?
        .remove(&provision.id)
        .unwrap_or_default();
    let (status, status_class, status_note) = status_text(&certificate);
    let page = CertificatePage {
        number: certificate.number.clone(),
        status,
        status_class,
        status_note,
        beneficiary_name: provision.beneficiary_name,
        retirement_message: provision.retirement_message,
        quantity_tonnes: provision.quantity.tonnes().to_string(),
        project_name: project.name,
        project_method: project.method,
        project_registry: project.registry,
        project_country: project.country,
        project_vintage: project.vintage,
        flights: emissions
            .into_iter()
            .map(|emission| FlightRow {
                tail_number: emission.tail_number.as_str().to_owned(),
                date: emission
                    .departed_at
                    .map_or_else(|| "—".to_owned(), |at| at.format("%d %b %Y").to_string()),
                route: match (&emission.origin, &emission.destination) {
                    (Some(origin), Some(destination)) => format!("{origin} → {destination}"),
                    (Some(origin), None) => origin.clone(),
                    (None, Some(destination)) => format!("→ {destination}"),
                    (None, None) => "—".to_owned(),
                },
                net_co2_kg: emission.flight.figures.net_co2.kg().to_string(),
                co2_range: emission.flight.uncertainty().map_or_else(
                    || "—".to_owned(),
                    |band| {
                        format!(
                            "{}–{} (±{} %)",
                            band.low.kg(),
                            band.high.kg(),
                            band.half_width_percent()
                        )
                    },
                ),
            })
            .collect(),
        ranges: allocations
            .iter()
            .map(|allocation| RangeRow {
                serial_range: allocation.serial_range(),
                vintage: allocation.vintage,
                tonnes: allocation.range.len().tonnes().to_string(),
            })
            .collect(),
        issued_on: certificate
            .issued_at
            .map(|at| at.format("%d %B %Y").to_string()),
        url: certificate.url(&state.app.config.public_url),
    };
    page.render()
        .map(Some)
        .map_err(|error| Error::internal(std::io::Error::other(error.to_string())))
}

fn status_text(certificate: &Certificate) -> (&'static str, &'static str, &'static str) {
    match certificate.status {
        CertificateStatus::Issued => (
            "Issued",
            "issued",
            "The credits below have been permanently retired.",
        ),
        CertificateStatus::Pending => (
            "Pending retirement",
            "pending",
            "The credits below are reserved and are being retired at the registry.",
        ),
        CertificateStatus::Void => (
            "Void",
            "void",
            "This provision was cancelled; no credits were retired for it.",
        ),
    }
}
