use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::certificate::CertificateNode;
use super::enums::{PaymentStatus, RetirementStatus};
use super::money::MoneyObject;
use super::provision::ProvisionNode;
use super::quote::QuoteNode;
use crate::api::context::ContextExt;
use crate::api::errors::{ApiError, ApiResult};
use crate::api::id::GlobalId;
use crate::api::loaders::{CertificateOf, TimelineOf};
use crate::payments::Payment;
use crate::provisions::Provision;

pub struct PaymentNode(pub Payment);

impl PaymentNode {
    async fn provision_of(&self, ctx: &Context<'_>) -> ApiResult<Provision> {
        ctx.loader()
            .load_one(self.0.provision_id)
            .await?
            .ok_or_else(|| ApiError::not_found("Provision"))
    }
}

/// A payment through the hosted checkout: what the customer pays, whether they paid, and
/// whether the credits they paid for are retired.
#[Object(name = "Payment")]
impl PaymentNode {
    /// Global ID (for `node(id:)`).
    pub async fn id(&self) -> ID {
        self.0.id.to_id()
    }

    /// Whether the customer paid.
    async fn status(&self) -> PaymentStatus {
        self.0.status.into()
    }

    /// Whether the credits paid for are retired.
    async fn retirement_status(&self) -> RetirementStatus {
        self.0.retirement_status.into()
    }

    /// What the customer is charged, platform fee included.
    async fn amount(&self) -> MoneyObject {
        self.0.amount().into()
    }

    /// The quote it was opened from; null when opened from a quantity.
    async fn quote(&self, ctx: &Context<'_>) -> ApiResult<Option<QuoteNode>> {
        match self.0.quote_id {
            Some(id) => Ok(ctx.loader().load_one(id).await?.map(QuoteNode)),
            None => Ok(None),
        }
    }

    /// The provision it pays for: `PENDING_PAYMENT` (its credits held) until paid.
    async fn provision(&self, ctx: &Context<'_>) -> ApiResult<ProvisionNode> {
        Ok(ProvisionNode(self.provision_of(ctx).await?))
    }

    /// The certificate, created once paid; null before (or if never paid).
    async fn certificate(&self, ctx: &Context<'_>) -> ApiResult<Option<CertificateNode>> {
        let certificate = ctx
            .loader()
            .load_one(CertificateOf(self.0.provision_id))
            .await?;
        Ok(certificate.map(CertificateNode))
    }

    /// The hosted checkout page to send the customer to, while it is open.
    async fn checkout_url(&self) -> Option<&str> {
        self.0.checkout_url.as_deref()
    }

    /// On whose behalf the credits are retired (printed on the certificate).
    async fn beneficiary_name(&self, ctx: &Context<'_>) -> ApiResult<String> {
        Ok(self.provision_of(ctx).await?.beneficiary_name)
    }

    /// Printed on the certificate; null when none was given.
    async fn retirement_message(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        Ok(self.provision_of(ctx).await?.retirement_message)
    }

    /// Where the customer goes after paying (with `/{paymentId}` appended for
    /// `createCheckout`); null when the server's own thank-you page is used.
    async fn success_url(&self) -> Option<&str> {
        self.0.success_url.as_deref()
    }

    /// Where a customer who gives up goes (`createCheckout` only; null otherwise).
    async fn cancel_url(&self) -> Option<&str> {
        self.0.cancel_url.as_deref()
    }

    /// Your own reference, given when the checkout was opened; null without one.
    async fn external_reference(&self) -> Option<&str> {
        self.0.external_reference.as_deref()
    }

    /// The address the customer gave (at checkout, if not before); null until known.
    async fn customer_email(&self) -> Option<&str> {
        self.0.customer_email.as_deref()
    }

    /// Lets a customer's browser follow this one payment (subscriptions) without your API
    /// key. Give it to that customer only.
    async fn client_secret(&self) -> &str {
        &self.0.client_secret
    }

    /// When the checkout was opened.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// When the checkout closes unpaid, releasing the credits it holds: by default 60 minutes
    /// after `createdAt` (a server setting, 30 minutes to 24 hours).
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }

    /// When the payment succeeded; null until then.
    async fn paid_at(&self) -> Option<DateTime<Utc>> {
        self.0.paid_at
    }

    /// When the credits were retired; null until then.
    async fn retired_at(&self) -> Option<DateTime<Utc>> {
        self.0.retired_at
    }

    /// Every change of `status` or `retirementStatus`, oldest first.
    async fn events(&self, ctx: &Context<'_>) -> ApiResult<Vec<PaymentEventObject>> {
        let events = ctx
            .loader()
            .load_one(TimelineOf(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(events
            .into_iter()
            .map(|event| PaymentEventObject {
                at: event.at,
                status: event.status.into(),
                retirement_status: event.retirement_status.into(),
                reason: event.reason,
            })
            .collect())
    }
}

/// One step of a payment's timeline.
#[derive(SimpleObject)]
#[graphql(name = "PaymentEvent")]
pub struct PaymentEventObject {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The payment's status from then on.
    pub status: PaymentStatus,
    /// The payment's retirement status from then on.
    pub retirement_status: RetirementStatus,
    /// What caused it, e.g. `checkout opened`, `paid (checkout.session.completed)`.
    pub reason: String,
}
