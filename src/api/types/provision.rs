use std::collections::HashSet;

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::certificate::CertificateNode;
use super::emission::EmissionNode;
use super::enums::{Billing, ProvisionStatus};
use super::listing::ListingNode;
use super::money::MoneyObject;
use super::payment::PaymentNode;
use crate::api::context::ContextExt;
use crate::api::errors::{ApiError, ApiResult};
use crate::api::id::GlobalId;
use crate::api::loaders::{AllocationsOf, CertificateOf, EmissionsOf, PaymentOf, load_now};
use crate::ids::ProvisionId;
use crate::provisions::{Allocation, Provision};

pub struct ProvisionNode(pub Provision);

/// Carbon-removal credits bought for emissions (or a plain quantity) and retired on behalf of
/// a beneficiary.
#[Object(name = "Provision")]
impl ProvisionNode {
    /// Global ID (for `node(id:)`).
    pub async fn id(&self) -> ID {
        self.0.id.to_id()
    }

    /// Where it is in its lifecycle.
    async fn status(&self) -> ProvisionStatus {
        self.0.status.into()
    }

    /// Paid through the hosted checkout, or billed on the monthly invoice.
    async fn billing(&self) -> Billing {
        self.0.billing.into()
    }

    /// Tonnes of CO2 removal (6 decimals).
    async fn quantity_tonnes(&self) -> Decimal {
        self.0.quantity.tonnes()
    }

    /// The share of the linked emissions' net CO2 it was sized for, in percent (1 to 300);
    /// null when it was given as a quantity of tonnes.
    async fn offset_percentage(&self) -> Option<u16> {
        self.0.offset_percentage
    }

    /// Price of one tonne when provisioned, before the platform fee.
    async fn unit_price(&self) -> MoneyObject {
        self.0.unit_price.into()
    }

    /// Total price, platform fee included.
    async fn price(&self) -> MoneyObject {
        self.0.price.into()
    }

    /// The listing its credits come from.
    async fn listing(&self, ctx: &Context<'_>) -> ApiResult<ListingNode> {
        ctx.loader()
            .load_one(self.0.listing_id)
            .await?
            .map(ListingNode)
            .ok_or_else(|| ApiError::not_found("Listing"))
    }

    /// The emissions it covers, in proportion to their net CO2.
    async fn emissions(&self, ctx: &Context<'_>) -> ApiResult<Vec<EmissionNode>> {
        let emissions = ctx
            .loader()
            .load_one(EmissionsOf(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(emissions.into_iter().map(EmissionNode::from).collect())
    }

    /// The certificate, created when the provision is confirmed (null while it waits for its
    /// payment, or if that payment never came).
    async fn certificate(&self, ctx: &Context<'_>) -> ApiResult<Option<CertificateNode>> {
        let certificate = ctx.loader().load_one(CertificateOf(self.0.id)).await?;
        Ok(certificate.map(CertificateNode))
    }

    /// The payment through the hosted checkout; null for a provision billed on the invoice.
    async fn payment(&self, ctx: &Context<'_>) -> ApiResult<Option<PaymentNode>> {
        let payment = ctx.loader().load_one(PaymentOf(self.0.id)).await?;
        Ok(payment.map(PaymentNode))
    }

    /// The exact gram ranges of credit batches it holds (or held, if cancelled).
    async fn allocations(&self, ctx: &Context<'_>) -> ApiResult<Vec<AllocationObject>> {
        let allocations = ctx
            .loader()
            .load_one(AllocationsOf(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(allocations.into_iter().map(AllocationObject).collect())
    }

    /// `YYYY-MM` of the monthly invoice it is billed on (its month of creation, UTC); null
    /// when paid through the hosted checkout.
    async fn invoice_month(&self) -> Option<&str> {
        self.0.billed_month()
    }

    /// On whose behalf the credits are retired (printed on the certificate).
    async fn beneficiary_name(&self) -> &str {
        &self.0.beneficiary_name
    }

    /// Printed on the certificate; null when none was given.
    async fn retirement_message(&self) -> Option<&str> {
        self.0.retirement_message.as_deref()
    }

    /// Your own reference, given when it was made; null without one.
    async fn external_reference(&self) -> Option<&str> {
        self.0.external_reference.as_deref()
    }

    /// The registry's reference for the retirement; null until retired.
    async fn registry_reference(&self) -> Option<&str> {
        self.0.registry_reference.as_deref()
    }

    /// When it was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// When its credits were retired; null until then.
    async fn retired_at(&self) -> Option<DateTime<Utc>> {
        self.0.retired_at
    }

    /// When it was cancelled; null unless `CANCELLED`.
    async fn cancelled_at(&self) -> Option<DateTime<Utc>> {
        self.0.cancelled_at
    }
}

/// Grams `[startGram, endGram)` of one credit batch.
pub struct AllocationObject(pub Allocation);

/// The exact credits a provision takes: grams `[startGram, endGram)` of one credit batch
/// (one gram is one gram of CO2 removed).
#[Object(name = "Allocation")]
impl AllocationObject {
    /// Serial prefix of the batch, e.g. `DEMO-BIOCHAR-2025`.
    async fn batch_serial_prefix(&self) -> &str {
        &self.0.serial_prefix
    }

    /// Vintage year of the batch.
    async fn vintage(&self) -> i32 {
        self.0.vintage
    }

    /// First gram of the range (grams exceed GraphQL's 32-bit Int, hence a Decimal).
    async fn start_gram(&self) -> Decimal {
        Decimal::from(self.0.range.start)
    }

    /// One past the last gram of the range.
    async fn end_gram(&self) -> Decimal {
        Decimal::from(self.0.range.end)
    }

    /// Size of the range, tonnes (6 decimals).
    async fn tonnes(&self) -> Decimal {
        self.0.range.len().tonnes()
    }

    /// Serials of the first and last gram, e.g. `DEMO-BIOCHAR-2025-0000000000000-0000000999999`.
    async fn serial_range(&self) -> String {
        self.0.serial_range()
    }

    /// True once a cancellation returned the grams to supply.
    async fn released(&self) -> bool {
        self.0.released
    }
}

/// Loads the emissions and certificates of a page of provisions in one batch each when the
/// query selects them: item resolvers then find them cached.
pub async fn preload(ctx: &Context<'_>, provisions: &[Provision]) -> ApiResult<()> {
    let selection = ctx.look_ahead();
    let nodes = [
        selection.field("edges").field("node"),
        selection.field("nodes"),
    ];
    let ids: HashSet<ProvisionId> = provisions.iter().map(|provision| provision.id).collect();
    if nodes.iter().any(|node| node.field("emissions").exists()) {
        load_now(ctx.loader(), ids.iter().copied().map(EmissionsOf)).await?;
    }
    if nodes.iter().any(|node| node.field("certificate").exists()) {
        load_now(ctx.loader(), ids.iter().copied().map(CertificateOf)).await?;
    }
    Ok(())
}
