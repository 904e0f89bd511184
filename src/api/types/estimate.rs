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

    /// The aircraft estimated for; null for an estimate by `aircraftType`.
    async fn aircraft(&self, ctx: &Context<'_>) -> ApiResult<Option<AircraftNode>> {
        match self.0.aircraft_id {
            Some(id) => super::flight::aircraft(ctx, id).await.map(Some),
            None => Ok(None),
        }
    }

    /// ICAO code of the trip's first airport; null for a flight given by duration only.
    async fn origin(&self) -> Option<&str> {
        self.0.flight.legs.first().map(|leg| leg.origin.as_str())
    }

    /// ICAO code of the trip's last airport; null for a flight given by duration only.
    async fn destination(&self) -> Option<&str> {
        self.0
            .flight
            .legs
            .last()
            .map(|leg| leg.destination.as_str())
    }

    #[graphql(flatten)]
    async fn flight(&self) -> FlightFields<'_> {
        FlightFields::Read(&self.0.flight)
    }

    /// Net CO2 in tonnes (6 decimals).
    async fn co2_tonnes(&self) -> Decimal {
        self.0.flight.figures.net_co2.tonnes()
    }

    /// The methodology version and factors its figures were computed with.
    async fn methodology(&self) -> Methodology {
        Methodology(self.0.flight.figures.factors.clone())
    }

    /// The listing whose price the offsets are quoted at.
    async fn listing(&self, ctx: &Context<'_>) -> ApiResult<ListingNode> {
        ctx.loader()
            .load_one(self.0.pricing.listing)
            .await?
            .map(ListingNode)
            .ok_or_else(|| ApiError::not_found("Listing"))
    }

    /// Offsetting a share of the net CO2 (and of the non-CO2 effect with `includeNonCo2`):
    /// tonnes and price (fee included) for each percentage.
    async fn offset_options(
        &self,
        #[graphql(
            default_with = "vec![50, 100, 150]",
            desc = "Shares of the net CO2 to price, whole percent, each 1 to 300 (else `BAD_USER_INPUT`)."
        )]
        percentages: Vec<i32>,
        #[graphql(
            default = false,
            desc = "Cover the non-CO2 effect too (the estimate must have been made with `nonCo2`)."
        )]
        include_non_co2: bool,
    ) -> ApiResult<Vec<OffsetOption>> {
        if include_non_co2 && self.0.flight.non_co2.is_none() {
            return Err(ApiError::bad_input(
                "includeNonCo2",
                "the estimate has no non-CO2 figure: estimate with `nonCo2: UK_DESNZ_RF`",
            ));
        }
        percentages
            .into_iter()
            .map(|percent| {
                let percentage = Percentage::parse(percent)
                    .map_err(|message| ApiError::bad_input("percentages", message))?;
                let (quantity, price) =
                    self.0.offset(percentage, include_non_co2).ok_or_else(|| {
                        ApiError::bad_input(
                            "percentages",
                            "the price would be too large to express",
                        )
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
