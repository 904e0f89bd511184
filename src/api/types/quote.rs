use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::listing::ListingNode;
use super::money::MoneyObject;
use crate::api::context::ContextExt;
use crate::api::errors::{ApiError, ApiResult};
use crate::api::id::GlobalId;
use crate::payments::quotes::Quote;

pub struct QuoteNode(pub Quote);

/// The price of a quantity of a listing's credits, platform fee included, held until
/// `expiresAt` for one checkout.
#[Object(name = "Quote")]
impl QuoteNode {
    /// Global ID (for `node(id:)`); the `quoteId` of `createCheckout`.
    pub async fn id(&self) -> ID {
        self.0.id.to_id()
    }

    /// The listing (`assetPriceSourceId`) whose credits are quoted.
    async fn listing(&self, ctx: &Context<'_>) -> ApiResult<ListingNode> {
        ctx.loader()
            .load_one(self.0.listing_id)
            .await?
            .map(ListingNode)
            .ok_or_else(|| ApiError::not_found("Listing"))
    }

    /// Tonnes of CO2 removal (6 decimals).
    async fn quantity_tonnes(&self) -> Decimal {
        self.0.quantity().tonnes()
    }

    /// Price of one tonne, before the platform fee.
    async fn unit_price(&self) -> MoneyObject {
        self.0.unit_price().into()
    }

    /// Quantity × unit price, rounded to the currency's minor unit.
    async fn subtotal(&self) -> MoneyObject {
        self.0.subtotal().into()
    }

    /// The platform fee: `total` − `subtotal`.
    async fn fee(&self) -> MoneyObject {
        self.0.fee().into()
    }

    /// What a checkout from this quote charges.
    async fn total(&self) -> MoneyObject {
        self.0.total().into()
    }

    /// When it was given.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// After this instant the price no longer holds (`QUOTE_EXPIRED`): by default 15 minutes
    /// after `createdAt` (a server setting).
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }

    /// Whether a checkout has used it (a quote is used once).
    async fn consumed(&self) -> bool {
        self.0.consumed_at.is_some()
    }
}
