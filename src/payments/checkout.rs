//! Opening a hosted checkout. The credits it sells are held (a `PENDING_PAYMENT` provision)
//! in the transaction that writes the payment, so a paid checkout never finds them sold; the
//! provider's session is opened after that transaction, so no database lock waits on the
//! network. If the provider refuses, the hold and the payment are undone: nothing is left.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, Set,
};

use super::entity::{payment, payment_event};
use super::gateway::{GatewayError, NewSession, PaymentGateway};
use super::{Payment, PaymentKind, PaymentStatus, RetirementStatus, quotes, record};
use crate::error::{Error, Existing, Result};
use crate::events::Events;
use crate::ids::{ListingId, OrganizationId, QuoteId};
use crate::provisions::entity::provision;
use crate::provisions::lifecycle::{self, NewProvision, Price, Quantity};
use crate::provisions::{BeneficiaryName, Billing, RetirementMessage};
use crate::retries::{Created, ExternalReference, Fingerprint, Referenced, same_request};
use crate::units::FeeBps;

/// An absolute `http` or `https` URL a customer's browser is sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUrl(String);

impl RedirectUrl {
    pub fn parse(input: &str) -> Result<Self, String> {
        let input = crate::units::parse_text(input, 2_000, false)?;
        let url = url::Url::parse(&input)
            .map_err(|_| "must be an absolute URL, e.g. https://example.com/thanks".to_owned())?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err("must be an http or https URL with a host".into());
        }
        Ok(RedirectUrl(input))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The address a customer's receipt and verification e-mail go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, String> {
        let input = crate::units::parse_text(input, 254, false)?;
        input
            .parse::<lettre::Address>()
            .map(|_| EmailAddress(input))
            .map_err(|_| "must be an e-mail address, e.g. jane@example.com".into())
    }
}

/// What a checkout sells.
#[derive(Debug)]
pub enum Purchase {
    /// A quote's quantity at the quote's price.
    Quote(QuoteId),
    /// A quantity of a listing's credits at today's price.
    Quantity(Quantity, Option<ListingId>),
}

/// Where the customer goes afterwards.
#[derive(Debug)]
pub enum Return {
    /// `createCheckout`: to `success/{paymentId}` after paying, to `cancel` after giving up.
    Urls {
        success: RedirectUrl,
        cancel: RedirectUrl,
    },
    /// `createProvisionCheckout`: to the URL either way, or to the server's thank-you page.
    Redirect(Option<RedirectUrl>),
}

pub struct NewCheckout {
    pub purchase: Purchase,
    pub beneficiary_name: BeneficiaryName,
    pub retirement_message: Option<RetirementMessage>,
    pub return_to: Return,
    pub customer_email: Option<EmailAddress>,
    /// The client's own reference: the same request sent again answers this checkout.
    pub external_reference: Option<ExternalReference>,
}

impl NewCheckout {
    fn fingerprint(&self) -> Fingerprint {
        let purchase = match &self.purchase {
            Purchase::Quote(id) => format!("quote {id:?}"),
            Purchase::Quantity(Quantity::Tonnes(grams), listing) => {
                format!("{grams:?} of {listing:?}")
            }
            Purchase::Quantity(Quantity::Emissions { ids, percentage }, listing) => {
                let ids: std::collections::BTreeSet<_> = ids.iter().collect();
                format!("{ids:?} × {percentage:?} of {listing:?}")
            }
        };
        Fingerprint::of(&[
            ("purchase", &purchase),
            ("beneficiary_name", &self.beneficiary_name),
            ("retirement_message", &self.retirement_message),
            ("return_to", &self.return_to),
            ("customer_email", &self.customer_email),
        ])
    }
}

/// What opening a checkout needs.
pub struct Checkouts<'a> {
    pub db: &'a DatabaseConnection,
    pub gateway: &'a dyn PaymentGateway,
    pub fee: FeeBps,
    /// How long the checkout (and its hold) stays open.
    pub ttl: Duration,
    /// Base of the thank-you and cancel pages.
    pub public_url: &'a str,
    pub events: &'a Events,
}

/// Opens a hosted checkout and returns its payment, `PENDING` with its session's URL. With an
/// external reference, the same request sent again answers the checkout it opened (and opens
/// its session, should the first attempt have died before doing so).
pub async fn create(
    ctx: &Checkouts<'_>,
    organization: OrganizationId,
    new: NewCheckout,
) -> Result<Created<Payment>> {
    let created = reserve(ctx, organization, new).await?;
    let (payment, reserved) = match created {
        Reserved::New(payment, reserved) => (payment, *reserved),
        Reserved::Existing(payment) if payment.session_id.is_some() => {
            return Ok(Created::Replayed(payment));
        }
        Reserved::Existing(payment) => {
            let reserved = crate::provisions::lock(ctx.db, payment.provision_id).await?;
            return open_session(ctx, payment, reserved)
                .await
                .map(Created::Replayed);
        }
    };
    open_session(ctx, payment, reserved).await.map(Created::New)
}

/// Opens the provider's session of a reserved payment; undoes the reservation if it refuses.
async fn open_session(
    ctx: &Checkouts<'_>,
    payment: Payment,
    reserved: provision::Model,
) -> Result<Payment> {
    let session = NewSession {
        payment: payment.id,
        amount: payment.amount(),
        product: format!(
            "Carbon removal: {} t CO2",
            crate::units::Grams::new(reserved.quantity_grams).tonnes()
        ),
        description: format!("Retired on behalf of {}", reserved.beneficiary_name),
        customer_email: payment.customer_email.clone(),
        success_url: success_redirect(&payment, ctx.public_url),
        cancel_url: format!("{}/checkout/cancel/{}", ctx.public_url, payment.public_id),
        expires_at: payment.expires_at,
    };
    match ctx.gateway.create_session(&session).await {
        Ok(session) => {
            let mut row = payment.into_active_model();
            row.session_id = Set(Some(session.id));
            row.checkout_url = Set(session.url);
            let opened = row.update(ctx.db).await?;
            metrics::counter!("contrail_checkouts_total", "outcome" => "opened").increment(1);
            Ok(opened)
        }
        Err(error) => {
            undo(ctx.db, payment, reserved).await?;
            Err(provider_error(error))
        }
    }
}

enum Reserved {
    New(Payment, Box<provision::Model>),
    /// The same request opened this checkout before.
    Existing(Payment),
}

pub(super) fn provider_error(error: GatewayError) -> Error {
    tracing::warn!(%error, "payment provider error");
    Error::PaymentProvider(error.to_string())
}

/// Holds the credits and writes the payment, in one transaction.
async fn reserve(
    ctx: &Checkouts<'_>,
    organization: OrganizationId,
    new: NewCheckout,
) -> Result<Reserved> {
    let request = new.external_reference.clone().map(|reference| Referenced {
        fingerprint: new.fingerprint(),
        reference,
    });
    let txn = crate::db::begin_write(ctx.db).await?;
    if let Some(request) = &request {
        crate::db::serialize_on(&txn, &request.lock_key("checkout", organization)).await?;
        if let Some(existing) = by_reference(&txn, organization, request).await? {
            return Ok(Reserved::Existing(existing));
        }
    }
    let (quantity, listing, price, quote) = match new.purchase {
        Purchase::Quote(id) => {
            let quote = quotes::consume(&txn, organization, id).await?;
            let price = Price::Quoted {
                unit_price: quote.unit_price(),
                fee: quote.fee_bps(),
                total: quote.total(),
            };
            let quantity = Quantity::Tonnes(quote.quantity());
            (quantity, Some(quote.listing_id), price, Some(quote.id))
        }
        Purchase::Quantity(quantity, listing) => (quantity, listing, Price::Listing(ctx.fee), None),
    };
    let provision = NewProvision {
        quantity,
        listing,
        beneficiary_name: new.beneficiary_name,
        retirement_message: new.retirement_message,
    };
    let reserved = lifecycle::reserve(
        &txn,
        organization,
        provision,
        price,
        Billing::Checkout,
        request.as_ref(),
    )
    .await?;
    let now = Utc::now();
    let expires_at = now + chrono::Duration::from_std(ctx.ttl).unwrap_or_default();
    let (kind, success_url, cancel_url) = match new.return_to {
        Return::Urls { success, cancel } => {
            (PaymentKind::Checkout, Some(success.0), Some(cancel.0))
        }
        Return::Redirect(url) => (PaymentKind::ProvisionCheckout, url.map(|url| url.0), None),
    };
    let payment = payment::ActiveModel {
        organization_id: Set(organization),
        provision_id: Set(reserved.id),
        quote_id: Set(quote),
        kind: Set(kind),
        status: Set(PaymentStatus::Pending),
        retirement_status: Set(RetirementStatus::NotStarted),
        amount_minor: Set(reserved.price_minor),
        currency: Set(reserved.currency),
        customer_email: Set(new.customer_email.map(|email| email.0)),
        success_url: Set(success_url),
        cancel_url: Set(cancel_url),
        session_id: Set(None),
        checkout_url: Set(None),
        payment_intent: Set(None),
        client_secret: Set(format!("pcs_{}", crate::tokens::random_token(24)?)),
        public_id: Set(crate::tokens::random_token(16)?),
        refund_due: Set(false),
        expires_at: Set(expires_at),
        created_at: Set(now),
        updated_at: Set(now),
        paid_at: Set(None),
        retired_at: Set(None),
        // The provider expires the session and says so; ask it only if that word is lost.
        reconcile_after: Set(Some(expires_at + chrono::Duration::minutes(2))),
        reconcile_claimed_at: Set(None),
        external_reference: Set(request.as_ref().map(|r| r.reference.as_str().to_owned())),
        request_fingerprint: Set(request.as_ref().map(|r| r.fingerprint.as_str().to_owned())),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    record(&txn, ctx.events, &payment, "checkout opened").await?;
    txn.commit().await?;
    Ok(Reserved::New(payment, Box::new(reserved)))
}

/// The checkout opened with `request`'s reference, if it was this same request; a conflict
/// naming it if another request opened it.
async fn by_reference(
    txn: &DatabaseTransaction,
    organization: OrganizationId,
    request: &Referenced,
) -> Result<Option<Payment>> {
    let Some(row) = payment::Entity::find()
        .filter(payment::Column::OrganizationId.eq(organization))
        .filter(payment::Column::ExternalReference.eq(request.reference.as_str()))
        .one(txn)
        .await?
    else {
        return Ok(None);
    };
    if !same_request(row.request_fingerprint.as_deref(), &request.fingerprint) {
        return Err(Error::reference_taken(
            &request.reference,
            Existing::Payment(row.id),
        ));
    }
    Ok(Some(row))
}

/// Undoes [`reserve`] when no session was opened: credits back, payment and provision gone,
/// the quote usable again.
pub(super) async fn undo(
    db: &DatabaseConnection,
    payment: Payment,
    reserved: provision::Model,
) -> Result<()> {
    let txn = crate::db::begin_write(db).await?;
    payment_event::Entity::delete_many()
        .filter(payment_event::Column::PaymentId.eq(payment.id))
        .exec(&txn)
        .await?;
    payment::Entity::delete_by_id(payment.id).exec(&txn).await?;
    lifecycle::discard(&txn, reserved).await?;
    if let Some(quote) = payment.quote_id {
        quotes::restore(&txn, quote).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Where the provider sends the customer after paying: never a proof of payment, only a
/// page to land on.
pub fn success_redirect(payment: &Payment, public_url: &str) -> String {
    match (payment.kind, &payment.success_url) {
        (PaymentKind::Checkout, Some(url)) => {
            format!("{}/{}", url.trim_end_matches('/'), payment.id.opaque())
        }
        (PaymentKind::ProvisionCheckout, Some(url)) => url.clone(),
        (_, None) => thank_you_page(payment, public_url),
    }
}

/// Where a customer who gave up is sent, once the checkout is cancelled.
pub fn cancel_redirect(payment: &Payment, public_url: &str) -> String {
    match payment.kind {
        PaymentKind::Checkout => payment.cancel_url.clone(),
        PaymentKind::ProvisionCheckout => payment.success_url.clone(),
    }
    .unwrap_or_else(|| thank_you_page(payment, public_url))
}

pub fn thank_you_page(payment: &Payment, public_url: &str) -> String {
    format!("{public_url}/thanks/{}", payment.public_id)
}
