//! What an estimate and an emission have in common: the flight's figures, resolved once and
//! flattened into both types.

use async_graphql::{Context, Object};
use rust_decimal::Decimal;

use super::aircraft::AircraftNode;
use super::enums::{FuelType, SafPathway};
use crate::api::context::ContextExt;
use crate::api::errors::{ApiError, ApiResult};
use crate::emissions::FlightFigures;
use crate::emissions::methodology::Factors;
use crate::fuel::SafBlend;

/// The methodology version and the factors a figure was computed with.
pub struct Methodology(pub Factors);

/// The methodology version and the factors a flight's figures were computed with, stored
/// with them so a figure can always be explained.
#[Object]
impl Methodology {
    /// e.g. `contrail-2026.1`.
    async fn version(&self) -> &str {
        &self.0.version
    }

    /// Block fuel burn of the aircraft type, US gallons per hour, as published.
    async fn fuel_burn_us_gallons_per_hour(&self) -> Decimal {
        self.0.fuel_burn.us_gallons_per_hour()
    }

    /// The same at 0.8 kg/L, kilograms per hour (3 decimals).
    async fn fuel_burn_kg_per_hour(&self) -> Decimal {
        self.0.fuel_burn_kg_per_hour()
    }

    /// kg CO2 per kg fuel (CORSIA fuel conversion factor), e.g. `3.16`.
    async fn emission_factor(&self) -> Decimal {
        self.0.emission_factor()
    }

    /// Life-cycle value of the SAF pathway, gCO2e/MJ (CORSIA default); null without a blend.
    async fn saf_lifecycle_grams_per_megajoule(&self) -> Option<Decimal> {
        self.0.saf_lifecycle_grams_per_megajoule()
    }
}

/// The flight fields of `EmissionEstimate` and `Emission`, flattened into each.
#[derive(Clone, Copy)]
pub struct FlightFields<'a>(pub &'a FlightFigures);

impl FlightFields<'_> {
    pub async fn aircraft(&self, ctx: &Context<'_>) -> ApiResult<AircraftNode> {
        ctx.loader()
            .load_one(self.0.aircraft_id)
            .await?
            .map(AircraftNode)
            .ok_or_else(|| ApiError::not_found("Aircraft"))
    }

    pub fn methodology(&self) -> Methodology {
        Methodology(self.0.figures.factors.clone())
    }
}

#[Object(name = "FlightFields")]
impl FlightFields<'_> {
    /// Block time, whole minutes (1 to 2880).
    async fn duration_minutes(&self) -> u16 {
        self.0.duration.get()
    }

    /// The fuel burned.
    async fn fuel_type(&self) -> FuelType {
        self.0.fuel.into()
    }

    /// Share of neat SAF in the fuel by mass, percent (0 to 50); `0` without a blend.
    async fn saf_blend_percent(&self) -> Decimal {
        self.0.saf.map_or(Decimal::ZERO, SafBlend::percent)
    }

    /// How the SAF was produced; null without a blend.
    async fn saf_pathway(&self) -> Option<SafPathway> {
        self.0.saf.map(|saf| saf.pathway.into())
    }

    /// Fuel burned, kilograms (3 decimals): fuel burn per hour × block time.
    async fn fuel_burned_kg(&self) -> Decimal {
        self.0.figures.fuel_burned.kg()
    }

    /// CO2 of the fuel burned, kilograms (3 decimals): fuel × emission factor.
    async fn co2_kg(&self) -> Decimal {
        self.0.figures.co2.kg()
    }

    /// CO2 saved by the SAF blend, kilograms (3 decimals); `0.000` without a blend.
    async fn saf_reduction_kg(&self) -> Decimal {
        self.0.figures.saf_reduction.kg()
    }

    /// CO2 after the SAF reduction, kilograms (3 decimals): the basis of offsets.
    async fn net_co2_kg(&self) -> Decimal {
        self.0.figures.net_co2.kg()
    }
}
