use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "aircraft_models")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub manufacturer: String,
    pub name: String,
    pub category: String,
    pub engine: String,
    pub fuel_burn_milli_us_gal_per_hour: i64,
    pub default_fuel_type: String,
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
