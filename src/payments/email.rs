//! The verification e-mail a paying customer receives: what is retired, on whose behalf, for
//! which flights, and the certificate link. Rendered by templates that escape every value.

use askama::Template;
use sea_orm::DatabaseTransaction;

use super::Payment;
use crate::error::{Error, Result};
use crate::mail::{self, Mail};

#[derive(Template)]
#[template(path = "verification_email.txt")]
struct Text<'a> {
    page: &'a Page,
}

#[derive(Template)]
#[template(path = "verification_email.html")]
struct Html<'a> {
    page: &'a Page,
}

/// What both renderings show.
struct Page {
    quantity_tonnes: String,
    project_name: String,
    project_method: String,
    beneficiary_name: String,
    retirement_message: Option<String>,
    flights: Vec<String>,
    certificate_number: String,
    certificate_url: String,
    amount: String,
    payment_reference: String,
}

impl std::ops::Deref for Text<'_> {
    type Target = Page;
    fn deref(&self) -> &Page {
        self.page
    }
}

impl std::ops::Deref for Html<'_> {
    type Target = Page;
    fn deref(&self) -> &Page {
        self.page
    }
}

/// Writes the verification e-mail of a paid payment into the outbox, once per payment;
/// whether there was an address to write to.
pub async fn enqueue_verification(
    txn: &DatabaseTransaction,
    payment: &Payment,
    public_url: &str,
) -> Result<bool> {
    let Some(to) = payment.customer_email.clone() else {
        return Ok(false);
    };
    let provision = crate::provisions::find_many(txn, &[payment.provision_id])
        .await?
        .pop()
        .ok_or_else(|| Error::not_found("Provision"))?;
    let certificate = crate::certificates::for_provisions(txn, &[provision.id])
        .await?
        .pop()
        .ok_or_else(|| Error::not_found("Certificate"))?;
    let listing = crate::credits::find_listing(txn, provision.listing_id)
        .await?
        .ok_or_else(|| Error::not_found("Listing"))?;
    let project = crate::credits::find_project(txn, listing.project_id)
        .await?
        .ok_or_else(|| Error::not_found("CreditProject"))?;
    let linked = crate::provisions::linked_emissions(txn, &[provision.id])
        .await?
        .remove(&provision.id)
        .unwrap_or_default();
    let flights = crate::emissions::find_many(txn, &linked)
        .await?
        .into_iter()
        .map(|emission| {
            let route = match (&emission.origin, &emission.destination) {
                (Some(origin), Some(destination)) => format!(" {origin} → {destination}"),
                _ => String::new(),
            };
            let date = emission
                .departed_at
                .map(|at| format!(" on {}", at.format("%d %b %Y")))
                .unwrap_or_default();
            format!(
                "{}{route}{date}: {} kg CO2",
                emission.tail_number,
                emission.flight.figures.net_co2.kg()
            )
        })
        .collect();
    let amount = payment.amount();
    let page = Page {
        quantity_tonnes: provision.quantity.tonnes().to_string(),
        project_name: project.name,
        project_method: project.method,
        beneficiary_name: provision.beneficiary_name,
        retirement_message: provision.retirement_message,
        flights,
        certificate_number: certificate.number.clone(),
        certificate_url: certificate.url(public_url),
        amount: format!("{} {}", amount.amount(), amount.currency),
        payment_reference: format!("P-{:08}", payment.id.0),
    };
    let render = |error: askama::Error| Error::internal(std::io::Error::other(error.to_string()));
    let mail = Mail {
        to,
        subject: format!("Your carbon removal certificate {}", certificate.number),
        text: Text { page: &page }.render().map_err(render)?,
        html: Html { page: &page }.render().map_err(render)?,
    };
    mail::enqueue(txn, &format!("payment-verification:{}", payment.id.0), mail).await?;
    Ok(true)
}
