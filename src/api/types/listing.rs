use async_graphql::{Context, ID, Object};
use rust_decimal::Decimal;

use super::money::MoneyObject;
use crate::api::context::ContextExt;
use crate::api::errors::{ApiError, ApiResult};
use crate::api::id::GlobalId;
use crate::api::loaders::AvailableSupply;
use crate::credits::{CreditProject, Listing};

pub struct CreditProjectNode(pub CreditProject);

/// A carbon-removal project whose credits are sold through listings.
#[Object(name = "CreditProject")]
impl CreditProjectNode {
    /// Global ID (for `node(id:)`).
    pub async fn id(&self) -> ID {
        self.0.id.to_id()
    }

    /// The project's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Registry that certifies and retires the credits.
    async fn registry(&self) -> &str {
        &self.0.registry
    }

    /// Removal method, e.g. `Biochar`.
    async fn method(&self) -> &str {
        &self.0.method
    }

    /// ISO 3166-1 alpha-2 country code.
    async fn country(&self) -> &str {
        &self.0.country
    }

    /// Vintage year of its credits.
    async fn vintage(&self) -> i32 {
        self.0.vintage
    }

    /// About the project, in free text.
    async fn description(&self) -> &str {
        &self.0.description
    }
}

pub struct ListingNode(pub Listing);

/// Credits of one project on sale at a price per tonne. Its `id` is the `assetPriceSourceId`
/// of the checkout flow.
#[Object(name = "Listing")]
impl ListingNode {
    /// Global ID (for `node(id:)`); the `assetPriceSourceId` of `createQuote` and
    /// `createCheckout`.
    pub async fn id(&self) -> ID {
        self.0.id.to_id()
    }

    /// The project whose credits it sells.
    async fn project(&self, ctx: &Context<'_>) -> ApiResult<CreditProjectNode> {
        ctx.loader()
            .load_one(self.0.project_id)
            .await?
            .map(CreditProjectNode)
            .ok_or_else(|| ApiError::not_found("CreditProject"))
    }

    /// Price of one tonne of CO2 removed, before the platform fee.
    async fn unit_price(&self) -> MoneyObject {
        self.0.unit_price.into()
    }

    /// Tonnes not yet allocated or held, live from the ledger (6 decimals).
    async fn available_tonnes(&self, ctx: &Context<'_>) -> ApiResult<Decimal> {
        let available = ctx.loader().load_one(AvailableSupply(self.0.id)).await?;
        Ok(available.unwrap_or_default().tonnes())
    }

    /// Smallest quantity it sells, tonnes (6 decimals): less is `BAD_USER_INPUT`.
    async fn min_fill_tonnes(&self) -> Decimal {
        self.0.min_fill.tonnes()
    }

    /// Whether this listing prices estimates and provisions that name none.
    async fn is_default(&self) -> bool {
        self.0.is_default
    }
}
