//! What the REST routes answer about provisions, quotes and payments, and the pages of lists.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use utoipa::ToSchema;

use super::enums::{Billing, PaymentStatus, ProvisionStatus, RetirementStatus};
use super::views::{AircraftView, CertificateView, EmissionView, MoneyView, certificates};
use crate::api::id::GlobalId;
use crate::error::{Error, Result};
use crate::payments::Payment;
use crate::payments::quotes::Quote;
use crate::provisions::{self, Provision};

/// Credits bought for emissions (or a plain quantity) and retired on behalf of a beneficiary.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProvisionView {
    /// Its id (the GraphQL `Provision.id`).
    pub id: String,
    pub status: ProvisionStatus,
    pub billing: Billing,
    /// Tonnes of CO2 removal (6 decimals).
    pub quantity_tonnes: String,
    /// The share of the linked emissions' net CO2 it was sized for; null when given as
    /// tonnes.
    pub offset_percentage: Option<u16>,
    /// Price of one tonne, before the platform fee.
    pub unit_price: MoneyView,
    /// Total price, platform fee included.
    pub price: MoneyView,
    /// The listing its credits come from (`asset_price_source_id`).
    pub listing_id: String,
    /// The emissions it covers, in proportion to their net CO2.
    pub emission_ids: Vec<String>,
    /// Its certificate, once confirmed: `url` is the page to share with the customer.
    pub certificate: Option<CertificateView>,
    /// The hosted checkout's payment; null when billed on the invoice.
    pub payment_id: Option<String>,
    /// `YYYY-MM` of the invoice it is billed on; null when paid through a checkout.
    pub invoice_month: Option<String>,
    pub beneficiary_name: String,
    pub retirement_message: Option<String>,
    pub external_reference: Option<String>,
    /// The registry's reference for the retirement; null until retired.
    pub registry_reference: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

impl ProvisionView {
    /// A provision with its emissions, certificate and payment.
    pub async fn load(
        db: &DatabaseConnection,
        public_url: &str,
        provision: Provision,
    ) -> Result<ProvisionView> {
        let id = provision.id;
        let emission_ids = provisions::linked_emissions(db, &[id])
            .await?
            .remove(&id)
            .unwrap_or_default();
        let certificate = certificates(db, public_url, &[id]).await?.remove(&id);
        let payment = crate::payments::for_provisions(db, &[id])
            .await?
            .remove(&id);
        Ok(ProvisionView {
            id: id.to_id().0,
            status: provision.status.into(),
            billing: provision.billing.into(),
            quantity_tonnes: provision.quantity.tonnes().to_string(),
            offset_percentage: provision.offset_percentage,
            unit_price: provision.unit_price.into(),
            price: provision.price.into(),
            listing_id: provision.listing_id.to_id().0,
            emission_ids: emission_ids.into_iter().map(|id| id.to_id().0).collect(),
            certificate,
            payment_id: payment.map(|payment| payment.id.to_id().0),
            invoice_month: provision.billed_month().map(str::to_owned),
            beneficiary_name: provision.beneficiary_name,
            retirement_message: provision.retirement_message,
            external_reference: provision.external_reference,
            registry_reference: provision.registry_reference,
            created_at: provision.created_at,
            updated_at: provision.updated_at,
            retired_at: provision.retired_at,
            cancelled_at: provision.cancelled_at,
        })
    }
}

/// The price of a quantity of a listing's credits, held until `expires_at` for one checkout.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteView {
    /// Its id: `quote_id` of `POST /checkout`.
    pub id: String,
    /// The listing whose credits are quoted.
    pub asset_price_source_id: String,
    /// Tonnes (6 decimals).
    pub quantity_tonnes: String,
    /// Price of one tonne, before the platform fee.
    pub unit_price: MoneyView,
    /// Quantity × unit price, rounded to the currency's minor unit.
    pub subtotal: MoneyView,
    /// The platform fee: `total` − `subtotal`.
    pub fee: MoneyView,
    /// What a checkout from this quote charges.
    pub total: MoneyView,
    pub created_at: DateTime<Utc>,
    /// After this the price no longer holds (`QUOTE_EXPIRED`).
    pub expires_at: DateTime<Utc>,
    /// Whether a checkout has used it (a quote is used once).
    pub consumed: bool,
}

impl From<Quote> for QuoteView {
    fn from(quote: Quote) -> Self {
        QuoteView {
            id: quote.id.to_id().0,
            asset_price_source_id: quote.listing_id.to_id().0,
            quantity_tonnes: quote.quantity().tonnes().to_string(),
            unit_price: quote.unit_price().into(),
            subtotal: quote.subtotal().into(),
            fee: quote.fee().into(),
            total: quote.total().into(),
            created_at: quote.created_at,
            expires_at: quote.expires_at,
            consumed: quote.consumed_at.is_some(),
        }
    }
}

/// A payment through the hosted checkout: whether the customer paid, and whether the credits
/// are retired.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentView {
    /// Its id: the `<payment_id>` appended to `success_url` (the GraphQL `Payment.id`).
    pub id: String,
    pub status: PaymentStatus,
    pub retirement_status: RetirementStatus,
    /// What the customer is charged, platform fee included.
    pub amount: MoneyView,
    /// The quote it was opened from; null when opened from a quantity.
    pub quote_id: Option<String>,
    /// The provision it pays for (`PENDING_PAYMENT` until paid).
    pub provision_id: String,
    /// The certificate, once paid.
    pub certificate: Option<CertificateView>,
    /// The hosted checkout page, while it is open.
    pub checkout_url: Option<String>,
    pub beneficiary_name: String,
    pub retirement_message: Option<String>,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    /// The address the customer gave, once known.
    pub customer_email: Option<String>,
    /// Lets the customer's browser follow this one payment (GraphQL subscription) without
    /// your key.
    pub client_secret: String,
    pub external_reference: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the checkout closes unpaid, releasing its credits.
    pub expires_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub retired_at: Option<DateTime<Utc>>,
}

impl PaymentView {
    /// A payment with its provision's beneficiary and its certificate.
    pub async fn load(
        db: &DatabaseConnection,
        public_url: &str,
        payment: Payment,
    ) -> Result<PaymentView> {
        let provision = provisions::find_many(db, &[payment.provision_id])
            .await?
            .pop()
            .ok_or_else(|| Error::not_found("Provision"))?;
        let certificate = certificates(db, public_url, &[payment.provision_id])
            .await?
            .remove(&payment.provision_id);
        Ok(PaymentView {
            id: payment.id.to_id().0,
            status: payment.status.into(),
            retirement_status: payment.retirement_status.into(),
            amount: payment.amount().into(),
            quote_id: payment.quote_id.map(|id| id.to_id().0),
            provision_id: payment.provision_id.to_id().0,
            certificate,
            checkout_url: payment.checkout_url,
            beneficiary_name: provision.beneficiary_name,
            retirement_message: provision.retirement_message,
            success_url: payment.success_url,
            cancel_url: payment.cancel_url,
            customer_email: payment.customer_email,
            client_secret: payment.client_secret,
            external_reference: payment.external_reference,
            created_at: payment.created_at,
            updated_at: payment.updated_at,
            expires_at: payment.expires_at,
            paid_at: payment.paid_at,
            retired_at: payment.retired_at,
        })
    }
}

/// A hosted checkout for credits.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckoutView {
    /// The hosted checkout page to send the customer to.
    pub url: String,
    /// `PENDING` until the customer pays; after paying the customer lands on
    /// `success_url/<payment.id>`.
    pub payment: PaymentView,
}

/// A hosted checkout that offsets emissions.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProvisionCheckoutView {
    /// The hosted checkout page to send the customer to.
    pub checkout_url: String,
    /// Waits in `PENDING_PAYMENT`, its credits held, until the payment's outcome is known.
    pub provision: ProvisionView,
    pub payment: PaymentView,
}

macro_rules! pages {
    ($($(#[doc = $doc:literal])* $page:ident of $item:ty;)*) => {$(
        $(#[doc = $doc])*
        #[derive(Debug, Serialize, ToSchema)]
        pub struct $page {
            /// This page's items, oldest first.
            pub data: Vec<$item>,
            /// Pass as `cursor` for the next page; null on the last page.
            pub next_cursor: Option<String>,
        }
    )*};
}

pages! {
    /// A page of your aircraft.
    FleetPage of AircraftView;
    /// A page of your emissions.
    EmissionPage of EmissionView;
}
