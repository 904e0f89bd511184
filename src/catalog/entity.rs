use sea_orm::entity::prelude::*;

use super::{AircraftCategory, EngineType};
use crate::fuel::FuelType;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "aircraft_models")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub manufacturer: String,
    pub name: String,
    pub category: AircraftCategory,
    pub engine: EngineType,
    pub fuel_burn_milli_us_gal_per_hour: i64,
    pub default_fuel_type: FuelType,
    /// Space-separated published figures (US gal/h), one per source.
    pub figures: String,
    /// Space-separated brochure URLs, one per figure.
    pub sources: String,
    pub retrieved: String,
    pub data_quality: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
