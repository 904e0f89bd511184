//! The aircraft catalog: fuel burn per block hour by ICAO type, shipped in `data/` with its
//! sources. Lookups read it from memory; it is also seeded into the database, where the fleet's
//! rows reference it.

pub mod entity;

use std::str::FromStr;
use std::sync::LazyLock;

use rust_decimal::Decimal;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DbErr, DeriveActiveEnum, EntityTrait, EnumIter, Set};
use serde::Deserialize;

use crate::error::Result;
use crate::fuel::{FuelBurn, FuelType};

const CATALOG_CSV: &str = include_str!("../../data/aircraft_models.csv");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AircraftCategory {
    #[sea_orm(string_value = "TURBOPROP")]
    Turboprop,
    #[sea_orm(string_value = "VERY_LIGHT_JET")]
    VeryLightJet,
    #[sea_orm(string_value = "LIGHT_JET")]
    LightJet,
    #[sea_orm(string_value = "MIDSIZE_JET")]
    MidsizeJet,
    #[sea_orm(string_value = "SUPER_MIDSIZE_JET")]
    SuperMidsizeJet,
    #[sea_orm(string_value = "LARGE_JET")]
    LargeJet,
    #[sea_orm(string_value = "ULTRA_LONG_RANGE_JET")]
    UltraLongRangeJet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EngineType {
    #[sea_orm(string_value = "TURBOPROP")]
    Turboprop,
    #[sea_orm(string_value = "JET")]
    Jet,
}

/// One published fuel-burn figure and the brochure it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub us_gallons_per_hour: Decimal,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AircraftModel {
    pub code: String,
    pub manufacturer: String,
    pub name: String,
    pub category: AircraftCategory,
    pub engine: EngineType,
    pub fuel_burn: FuelBurn,
    pub default_fuel_type: FuelType,
    pub sources: Vec<Source>,
    pub retrieved: String,
    pub data_quality: String,
}

/// The catalog is written only by [`seed`] from the shipped CSV, whose figures and sources a
/// test checks, so every stored row reads back.
impl From<entity::Model> for AircraftModel {
    fn from(row: entity::Model) -> Self {
        let sources = row
            .figures
            .split_whitespace()
            .zip(row.sources.split_whitespace())
            .filter_map(|(figure, url)| {
                Some(Source {
                    us_gallons_per_hour: Decimal::from_str(figure).ok()?,
                    url: url.to_owned(),
                })
            })
            .collect();
        AircraftModel {
            category: row.category,
            engine: row.engine,
            default_fuel_type: row.default_fuel_type,
            fuel_burn: FuelBurn(row.fuel_burn_milli_us_gal_per_hour),
            sources,
            code: row.code,
            manufacturer: row.manufacturer,
            name: row.name,
            retrieved: row.retrieved,
            data_quality: row.data_quality,
        }
    }
}

#[derive(Debug, Deserialize)]
struct CsvRow {
    icao_type: String,
    manufacturer: String,
    model: String,
    category: AircraftCategory,
    engine: EngineType,
    us_gal_per_hour: Decimal,
    figures: String,
    sources: String,
    retrieved: String,
    quality: String,
}

fn catalog_rows() -> Vec<entity::Model> {
    csv::Reader::from_reader(CATALOG_CSV.as_bytes())
        .deserialize::<CsvRow>()
        .map(|row| {
            let row = row.expect("data/aircraft_models.csv is well-formed (checked by a test)");
            let milli = row.us_gal_per_hour * Decimal::from(1_000);
            assert!(
                milli.fract().is_zero(),
                "{}: fuel burn beyond 3 decimals",
                row.icao_type
            );
            entity::Model {
                code: row.icao_type,
                manufacturer: row.manufacturer,
                name: row.model,
                category: row.category,
                engine: row.engine,
                fuel_burn_milli_us_gal_per_hour: i64::try_from(milli).expect("fuel burn fits"),
                // Turboprops and jets alike burn jet fuel; Jet A is the common grade.
                default_fuel_type: FuelType::JetA,
                figures: row.figures,
                sources: row.sources,
                retrieved: row.retrieved,
                data_quality: row.quality,
            }
        })
        .collect()
}

/// Upserts the shipped catalog, so a new release's figures replace the old ones.
pub async fn seed(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    use entity::Column;
    let rows = catalog_rows().into_iter().map(|row| entity::ActiveModel {
        code: Set(row.code),
        manufacturer: Set(row.manufacturer),
        name: Set(row.name),
        category: Set(row.category),
        engine: Set(row.engine),
        fuel_burn_milli_us_gal_per_hour: Set(row.fuel_burn_milli_us_gal_per_hour),
        default_fuel_type: Set(row.default_fuel_type),
        figures: Set(row.figures),
        sources: Set(row.sources),
        retrieved: Set(row.retrieved),
        data_quality: Set(row.data_quality),
    });
    entity::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(Column::Code)
                .update_columns([
                    Column::Manufacturer,
                    Column::Name,
                    Column::Category,
                    Column::Engine,
                    Column::FuelBurnMilliUsGalPerHour,
                    Column::DefaultFuelType,
                    Column::Figures,
                    Column::Sources,
                    Column::Retrieved,
                    Column::DataQuality,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// An ICAO aircraft type designator as a client writes it (ICAO Doc 8643: 2 to 4 letters and
/// digits), upper-cased.
pub fn parse_code(input: &str) -> Result<String, String> {
    let code = input.trim().to_ascii_uppercase();
    if (2..=4).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(code)
    } else {
        Err(format!(
            "{} is not an ICAO aircraft type designator (2 to 4 letters and digits, e.g. E55P)",
            crate::error::quote(input.trim())
        ))
    }
}

/// The catalog this release ships, parsed once: it never changes while the server runs, so
/// lookups need no database round trip.
static CATALOG: LazyLock<Vec<AircraftModel>> = LazyLock::new(|| {
    catalog_rows()
        .into_iter()
        .map(AircraftModel::from)
        .collect()
});

/// The model with this type designator (as a client writes it), if the catalog has it.
pub fn find(code: &str) -> Option<&'static AircraftModel> {
    let code = parse_code(code).ok()?;
    CATALOG.iter().find(|model| model.code == code)
}

/// Models in a category and/or whose code, manufacturer or name contains `search`
/// (case-insensitive), ordered by code.
pub fn list(
    category: Option<AircraftCategory>,
    search: Option<&str>,
) -> Vec<&'static AircraftModel> {
    let needle = search
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase);
    let mut models: Vec<&AircraftModel> = CATALOG
        .iter()
        .filter(|model| category.is_none_or(|category| model.category == category))
        .filter(|model| {
            needle.as_ref().is_none_or(|needle| {
                [&model.code, &model.manufacturer, &model.name]
                    .iter()
                    .any(|field| field.to_lowercase().contains(needle))
            })
        })
        .collect();
    models.sort_by(|a, b| a.code.cmp(&b.code));
    models
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ships_all_69_types_with_sources() {
        let rows = catalog_rows();
        assert_eq!(rows.len(), 69);
        for row in rows {
            let figures = row.figures.split_whitespace().count();
            let model = AircraftModel::from(row);
            assert_eq!(
                model.sources.len(),
                figures,
                "{} figures read back",
                model.code
            );
            assert!(!model.sources.is_empty(), "{} has sources", model.code);
            assert!(model.sources.iter().all(|s| s.url.starts_with("https://")));
        }
    }

    #[test]
    fn phenom_300_burns_179_gallons() {
        let row = catalog_rows()
            .into_iter()
            .find(|row| row.code == "E55P")
            .unwrap();
        assert_eq!(row.fuel_burn_milli_us_gal_per_hour, 179_000);
        let model = AircraftModel::from(row);
        assert_eq!(model.category, AircraftCategory::LightJet);
        assert_eq!(model.fuel_burn.us_gallons_per_hour().to_string(), "179");
    }
}
