use async_graphql::{ID, Object, SimpleObject};
use rust_decimal::Decimal;

use super::enums::{AircraftCategory, EngineType, FuelType};
use crate::api::id::{NodeKind, encode};
use crate::catalog::AircraftModel;

pub struct AircraftModelNode(pub &'static AircraftModel);

/// An aircraft type with its average block fuel burn and where that figure comes from.
#[Object(name = "AircraftModel")]
impl AircraftModelNode {
    /// Global ID (for `node(id:)`).
    pub async fn id(&self) -> ID {
        encode(NodeKind::AircraftModel, &self.0.code)
    }

    /// ICAO type designator, e.g. `E55P`.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// The manufacturer, e.g. `Embraer`.
    async fn manufacturer(&self) -> &str {
        &self.0.manufacturer
    }

    /// Model name, e.g. `Phenom 300`.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Its class, e.g. `LIGHT_JET`.
    async fn category(&self) -> AircraftCategory {
        self.0.category.into()
    }

    /// Turboprop or jet.
    async fn engine(&self) -> EngineType {
        self.0.engine.into()
    }

    /// Average block fuel burn as published, US gallons per hour.
    async fn fuel_burn_us_gallons_per_hour(&self) -> Decimal {
        self.0.fuel_burn.us_gallons_per_hour()
    }

    /// The same at 0.8 kg/L, kilograms per hour (3 decimals).
    async fn fuel_burn_kg_per_hour(&self) -> Decimal {
        crate::units::round(self.0.fuel_burn.kg_per_hour(), 3)
    }

    /// The fuel an aircraft of this type is registered with when none is given.
    async fn default_fuel_type(&self) -> FuelType {
        self.0.default_fuel_type.into()
    }

    /// Every published figure behind the average, with its brochure.
    async fn sources(&self) -> Vec<FuelBurnSource> {
        self.0
            .sources
            .iter()
            .map(|source| FuelBurnSource {
                url: source.url.clone(),
                us_gallons_per_hour: source.us_gallons_per_hour,
                retrieved: self.0.retrieved.clone(),
            })
            .collect()
    }

    /// `single-source`, or `multi-source spread N%` ((max − min) / mean of the figures).
    async fn data_quality(&self) -> &str {
        &self.0.data_quality
    }
}

/// One published fuel-burn figure.
#[derive(SimpleObject)]
pub struct FuelBurnSource {
    /// The brochure or page the figure comes from.
    pub url: String,
    /// The published block fuel burn, US gallons per hour.
    pub us_gallons_per_hour: Decimal,
    /// Date (YYYY-MM-DD) the newest figure of this model was retrieved.
    pub retrieved: String,
}
