use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::aircraft::AircraftNode;
use super::flight::{FlightFields, Methodology};
use super::listing::ListingNode;
use super::money::MoneyObject;
use crate::api::context::ContextExt;
use crate::api::errors::{ApiError, ApiResult};
use crate::api::id::GlobalId;
use crate::emissions::Estimate;
use crate::units::Percentage;

pub struct EmissionEstimateNode(pub Estimate);

/// A flight's emissions computed before purchase. Records no emission; kept with its prices
/// until `expiresAt` so a checkout can refer to it.
#[Object(name = "EmissionEstimate")]
impl EmissionEstimateNode {
    /// Global ID (for `node(id:)`); `createEmission(input: { estimateId })` records it.
    pub async fn id(&self) -> ID {
        self.0.id.to_id()
    }

    /// The aircraft estimated for.
    async fn aircraft(&self, ctx: &Context<'_>) -> ApiResult<AircraftNode> {
        FlightFields(&self.0.flight).aircraft(ctx).await
    }

    #[graphql(flatten)]
    async fn flight(&self) -> FlightFields<'_> {
        FlightFields(&self.0.flight)
    }

    /// Net CO2 in tonnes (6 decimals).
    async fn co2_tonnes(&self) -> Decimal {
        self.0.flight.figures.net_co2.tonnes()
    }

    /// The methodology version and factors its figures were computed with.
    async fn methodology(&self) -> Methodology {
        FlightFields(&self.0.flight).methodology()
    }

    /// The listing whose price the offsets are quoted at.
    async fn listing(&self, ctx: &Context<'_>) -> ApiResult<ListingNode> {
        ctx.loader()
            .load_one(self.0.pricing.listing)
            .await?
            .map(ListingNode)
            .ok_or_else(|| ApiError::not_found("Listing"))
    }

    /// Offsetting a share of the net CO2: tonnes and price (fee included) for each percentage.
    async fn offset_options(
        &self,
        #[graphql(
            default_with = "vec![50, 100, 150]",
            desc = "Shares of the net CO2 to price, whole percent, each 1 to 300 (else `BAD_USER_INPUT`)."
        )]
        percentages: Vec<i32>,
    ) -> ApiResult<Vec<OffsetOption>> {
        percentages
            .into_iter()
            .map(|percent| {
                let percentage = Percentage::parse(percent)
                    .map_err(|message| ApiError::bad_input("percentages", message))?;
                let (quantity, price) = self.0.offset(percentage).ok_or_else(|| {
                    ApiError::bad_input("percentages", "the price would be too large to express")
                })?;
                Ok(OffsetOption {
                    percentage: i32::from(percentage.get()),
                    tonnes: quantity.tonnes(),
                    price: price.into(),
                })
            })
            .collect()
    }

    /// When it was estimated.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it lapses (24 hours after `createdAt`): after that it can no longer be recorded
    /// (`createEmission` answers `QUOTE_EXPIRED`).
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
}

/// The price of offsetting one share of an estimate's net CO2.
#[derive(SimpleObject)]
pub struct OffsetOption {
    /// The share, whole percent.
    pub percentage: i32,
    /// Tonnes of CO2 removal (6 decimals).
    pub tonnes: Decimal,
    /// Price at the estimate's listing, platform fee included.
    pub price: MoneyObject,
}
