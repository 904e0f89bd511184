use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, ID, Object, SimpleObject};
use rust_decimal::Decimal;

use super::{AircraftCategory, AircraftModel, EngineType};
use crate::emissions::methodology::FuelType;
use crate::error::{Error, Result};
use crate::graphql::context::{ContextExt, DbLoader};
use crate::graphql::node::{NodeKind, encode};

/// ICAO type designator, the catalog key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelCode(pub String);

pub struct AircraftModelNode(pub AircraftModel);

/// An aircraft type with its average block fuel burn and where that figure comes from.
#[Object(name = "AircraftModel")]
impl AircraftModelNode {
    pub async fn id(&self) -> ID {
        encode(NodeKind::AircraftModel, &self.0.code)
    }

    /// ICAO type designator, e.g. `E55P`.
    async fn code(&self) -> &str {
        &self.0.code
    }

    async fn manufacturer(&self) -> &str {
        &self.0.manufacturer
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn category(&self) -> AircraftCategory {
        self.0.category
    }

    async fn engine(&self) -> EngineType {
        self.0.engine
    }

    /// Average block fuel burn as published, US gallons per hour.
    async fn fuel_burn_us_gallons_per_hour(&self) -> Decimal {
        self.0.fuel_burn.us_gallons_per_hour()
    }

    /// The same at 0.8 kg/L, kilograms per hour (3 decimals).
    async fn fuel_burn_kg_per_hour(&self) -> Decimal {
        crate::units::round(self.0.fuel_burn.kg_per_hour(), 3)
    }

    async fn default_fuel_type(&self) -> FuelType {
        self.0.default_fuel_type
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
    pub url: String,
    pub us_gallons_per_hour: Decimal,
    /// Date (YYYY-MM-DD) the newest figure of this model was retrieved.
    pub retrieved: String,
}

impl Loader<ModelCode> for DbLoader {
    type Value = AircraftModel;
    type Error = Error;

    async fn load(&self, keys: &[ModelCode]) -> Result<HashMap<ModelCode, AircraftModel>> {
        let codes: Vec<String> = keys.iter().map(|key| key.0.clone()).collect();
        let models = super::find_many(&self.db, &codes).await?;
        Ok(models
            .into_iter()
            .map(|model| (ModelCode(model.code.clone()), model))
            .collect())
    }
}

#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// Aircraft types Contrail can estimate, optionally by category or matching `search` in
    /// code, manufacturer or name. Public.
    async fn aircraft_models(
        &self,
        ctx: &Context<'_>,
        category: Option<AircraftCategory>,
        search: Option<String>,
    ) -> Result<Vec<AircraftModelNode>> {
        let search = search
            .map(|search| {
                crate::units::parse_text(&search, 100, false)
                    .map_err(|message| Error::bad_input("search", message))
            })
            .transpose()?;
        let models = super::list(ctx.db(), category, search.as_deref()).await?;
        Ok(models.into_iter().map(AircraftModelNode).collect())
    }
}
