//! The uncertainty band of a flight's CO2 (methodology `contrail-2026.2`): the brochure spread
//! of the aircraft type and a model error per category, combined in quadrature. The
//! derivation of every constant is in `data/README.md` ("Uncertainty band").

use rust_decimal::Decimal;

use crate::catalog::{AircraftCategory, AircraftModel};
use crate::units::Grams;

/// How the band is made, as the API names it.
pub const METHOD: &str =
    "brochure spread and category model error in quadrature (contrail-2026.2, data/README.md)";

/// Model error of block-hour brochure figures per category, tenths of a percent: the largest
/// |catalog / EUROCONTROL SET − 1| over the category's types in the calibration set, rounded
/// up. No very light jet is in the set, so that category takes the widest category's error.
pub fn model_error_permille(category: AircraftCategory) -> u32 {
    match category {
        AircraftCategory::Turboprop => 130,
        AircraftCategory::LightJet => 59,
        AircraftCategory::MidsizeJet => 192,
        AircraftCategory::SuperMidsizeJet => 64,
        AircraftCategory::LargeJet => 121,
        AircraftCategory::UltraLongRangeJet => 19,
        AircraftCategory::VeryLightJet => 192,
    }
}

/// The brochure spread of a type with a single published figure, tenths of a percent: the
/// median spread of the catalog's multi-source types (4.595 %), rounded up.
const SINGLE_SOURCE_SPREAD_PERMILLE: u32 = 46;

/// (max − min) / mean of a type's published figures, tenths of a percent rounded up; the
/// median multi-source spread when only one figure is published.
pub fn brochure_spread_permille(model: &AircraftModel) -> u32 {
    let figures: Vec<f64> = model
        .sources
        .iter()
        .filter_map(|source| source.us_gallons_per_hour.try_into().ok())
        .collect();
    if figures.len() < 2 {
        return SINGLE_SOURCE_SPREAD_PERMILLE;
    }
    let max = figures.iter().copied().fold(f64::MIN, f64::max);
    let min = figures.iter().copied().fold(f64::MAX, f64::min);
    let mean = figures.iter().sum::<f64>() / figures.len() as f64;
    ceil_permille((max - min) / mean)
}

/// A fraction in tenths of a percent, rounded up (a band is never narrowed by rounding).
fn ceil_permille(fraction: f64) -> u32 {
    // The epsilon keeps an exact tenth (0.059 stored as 0.05900000000000001) from rising.
    ((fraction * 1_000.0) - 1e-9).ceil().max(0.0) as u32
}

/// The band around a CO2 figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Band {
    pub low: Grams,
    pub high: Grams,
    /// Tenths of a percent.
    pub half_width_permille: u32,
    pub model_error_permille: u32,
    pub brochure_spread_permille: u32,
}

impl Band {
    pub fn half_width_percent(&self) -> Decimal {
        Decimal::new(i64::from(self.half_width_permille), 1)
    }
}

/// The relative half-width for a type, tenths of a percent: √(model error² + (spread / 2)²),
/// rounded up. It is the same for one leg or twenty: the model error is systematic per type.
pub fn half_width_permille(model: &AircraftModel) -> u32 {
    let model_error = f64::from(model_error_permille(model.category));
    let spread = f64::from(brochure_spread_permille(model));
    ceil_permille((model_error.powi(2) + (spread / 2.0).powi(2)).sqrt() / 1_000.0)
}

/// The band around `co2` for a flight of `model`.
pub fn band(model: &AircraftModel, co2: Grams) -> Band {
    let half_width = half_width_permille(model);
    let delta = crate::units::div_round(i128::from(co2.get()) * i128::from(half_width), 1_000);
    Band {
        low: Grams::new(co2.get() - delta as i64),
        high: Grams::new(co2.get() + delta as i64),
        half_width_permille: half_width,
        model_error_permille: model_error_permille(model.category),
        brochure_spread_permille: brochure_spread_permille(model),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// The EUROCONTROL SET reference of `data/README.md`, kept with the tests: it derives the
    /// constants above and is not a data source of the estimates.
    const CALIBRATION_CSV: &str = include_str!("../../tests/fixtures/calibration_set.csv");

    #[derive(Deserialize)]
    struct Reference {
        icao_type: String,
        category: AircraftCategory,
        set_fuel_2h_kg: f64,
    }

    fn references() -> Vec<(Reference, &'static AircraftModel)> {
        csv::Reader::from_reader(CALIBRATION_CSV.as_bytes())
            .deserialize::<Reference>()
            .map(|row| {
                let row = row.unwrap();
                let model = crate::catalog::find(&row.icao_type).unwrap();
                (row, model)
            })
            .collect()
    }

    /// Catalog fuel for the SET's 2-hour mission relative to SET's figure, minus one.
    fn model_error(reference: &Reference, model: &AircraftModel) -> f64 {
        let catalog_kg: f64 = (model.fuel_burn.kg_per_hour() * Decimal::from(2))
            .try_into()
            .unwrap();
        catalog_kg / reference.set_fuel_2h_kg - 1.0
    }

    #[test]
    fn derives_each_category_error_from_the_calibration_set() {
        let references = references();
        assert_eq!(references.len(), 11);
        let mut widest = 0;
        for category in [
            AircraftCategory::Turboprop,
            AircraftCategory::LightJet,
            AircraftCategory::MidsizeJet,
            AircraftCategory::SuperMidsizeJet,
            AircraftCategory::LargeJet,
            AircraftCategory::UltraLongRangeJet,
        ] {
            let derived = references
                .iter()
                .filter(|(reference, _)| reference.category == category)
                .map(|(reference, model)| ceil_permille(model_error(reference, model).abs()))
                .max()
                .unwrap();
            assert_eq!(model_error_permille(category), derived, "{category:?}");
            widest = widest.max(derived);
        }
        assert_eq!(model_error_permille(AircraftCategory::VeryLightJet), widest);
    }

    #[test]
    fn derives_the_single_source_spread_from_the_catalog() {
        let mut spreads: Vec<u32> = crate::catalog::list(None, None)
            .into_iter()
            .filter(|model| model.sources.len() > 1)
            .map(brochure_spread_permille)
            .collect();
        spreads.sort_unstable();
        // 16 multi-source types: the median lies between the 8th and 9th, 4.35 % and 4.84 %.
        assert_eq!(spreads.len(), 16);
        assert!((spreads[7]..=spreads[8]).contains(&SINGLE_SOURCE_SPREAD_PERMILLE));
    }

    #[test]
    fn the_band_holds_the_reference_for_every_calibration_type() {
        let held = references()
            .iter()
            .filter(|(reference, model)| {
                model_error(reference, model).abs() * 1_000.0
                    <= f64::from(half_width_permille(model))
            })
            .count();
        assert_eq!(
            held, 11,
            "at least 9 in 10 required; the derivation holds all"
        );
    }

    #[test]
    fn combines_spread_and_model_error() {
        let gulfstream_iv = crate::catalog::find("GLF4").unwrap();
        // LARGE_JET 12.1 %, spread (540 − 517) / 528.5 = 4.35 % → 4.4 %: √(12.1² + 2.2²) = 12.30.
        assert_eq!(brochure_spread_permille(gulfstream_iv), 44);
        assert_eq!(half_width_permille(gulfstream_iv), 123);
        let band = band(gulfstream_iv, Grams::new(1_000_000));
        assert_eq!(
            (band.low, band.high),
            (Grams::new(877_000), Grams::new(1_123_000))
        );
    }
}
