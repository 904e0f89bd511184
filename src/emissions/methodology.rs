//! The methodology (SPEC §5 and §5a): CO2 of a flight from block fuel burn, duration, fuel
//! type and sustainable-aviation-fuel blend; per passenger; non-CO2 apart. Factors and their
//! sources: `data/README.md`.

use rust_decimal::Decimal;
use sea_orm::{DeriveActiveEnum, EnumIter};

use crate::fuel::{FuelBurn, FuelType, SafBlend};
use crate::units::{DurationMinutes, Grams};

/// The version of every new figure. `contrail-2026.2` computes a duration's figures exactly as
/// `contrail-2026.1` did and adds routes, passengers, non-CO2 and the uncertainty band;
/// figures stored under `contrail-2026.1` keep that version and their numbers.
pub const METHODOLOGY_VERSION: &str = "contrail-2026.2";

/// How many people share a flight's figures (1 to 500).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Passengers(u16);

impl Passengers {
    pub const MAX: u16 = 500;

    pub fn parse(count: i32) -> Result<Self, String> {
        u16::try_from(count)
            .ok()
            .filter(|count| (1..=Self::MAX).contains(count))
            .map(Passengers)
            .ok_or_else(|| {
                format!(
                    "must be a whole number of passengers from 1 to {}",
                    Self::MAX
                )
            })
    }

    pub fn get(self) -> u16 {
        self.0
    }

    /// One passenger's equal share of `total` (ISO 14083, no freight), rounded to the gram
    /// half away from zero: the shares sum to the total within half a gram per passenger.
    pub fn share(self, total: Grams) -> Grams {
        Grams::new(crate::units::div_round(i128::from(total.get()), i128::from(self.0)) as i64)
    }
}

/// Effects of aviation beyond its CO2, shown as a separate figure when asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum NonCo2Method {
    /// The UK government's aviation factors "with RF": CO2 × 1.7.
    #[sea_orm(string_value = "UK_DESNZ_RF")]
    UkDesnzRf,
}

impl NonCo2Method {
    /// What the method multiplies CO2 by, all effects included.
    pub fn multiplier(self) -> Decimal {
        match self {
            NonCo2Method::UkDesnzRf => Decimal::new(17, 1),
        }
    }

    pub fn source(self) -> &'static str {
        match self {
            NonCo2Method::UkDesnzRf => {
                "UK DESNZ greenhouse-gas conversion factors (2023 onwards, OGL v3.0): aviation \
                 factors with radiative forcing = CO2 × 1.7; see Lee et al. (2021), Atmospheric \
                 Environment 244:117834"
            }
        }
    }

    /// The non-CO2 effect of a flight with `co2`: `co2 × (multiplier − 1)`, never part of CO2.
    pub fn effect(self, co2: Grams) -> Grams {
        Grams::from_kg(co2.kg() * (self.multiplier() - Decimal::ONE))
    }
}

/// What a flight is, for the methodology.
#[derive(Debug, Clone, Copy)]
pub struct Flight {
    pub fuel_burn: FuelBurn,
    pub duration: DurationMinutes,
    pub fuel: FuelType,
    pub saf: Option<SafBlend>,
}

/// The factors behind a figure, stored with it so it can always be explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Factors {
    pub version: String,
    pub fuel_burn: FuelBurn,
    pub emission_factor_milli: i32,
    pub saf_lifecycle_deci: Option<i32>,
}

impl Factors {
    /// The fuel burn at 0.8 kg/L, kilograms per hour (3 decimals).
    pub fn fuel_burn_kg_per_hour(&self) -> Decimal {
        crate::units::round(self.fuel_burn.kg_per_hour(), 3)
    }

    /// kg CO2 per kg fuel, e.g. `3.16`.
    pub fn emission_factor(&self) -> Decimal {
        Decimal::new(i64::from(self.emission_factor_milli), 3).normalize()
    }

    /// Life-cycle value of the SAF pathway, gCO2e/MJ; `None` without a blend.
    pub fn saf_lifecycle_grams_per_megajoule(&self) -> Option<Decimal> {
        self.saf_lifecycle_deci
            .map(|value| Decimal::new(i64::from(value), 1))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    pub fuel_burned: Grams,
    pub co2: Grams,
    pub saf_reduction: Grams,
    pub net_co2: Grams,
    pub factors: Factors,
}

impl Figures {
    /// These figures and another leg's, computed with the same factors, summed.
    pub fn plus(mut self, leg: &Figures) -> Figures {
        self.fuel_burned = self.fuel_burned + leg.fuel_burned;
        self.co2 = self.co2 + leg.co2;
        self.saf_reduction = self.saf_reduction + leg.saf_reduction;
        self.net_co2 = self.net_co2 + leg.net_co2;
        self
    }
}

/// Computes every figure at full precision and rounds each to the gram once.
pub fn compute(flight: Flight) -> Figures {
    let hours = Decimal::from(flight.duration.get()) / Decimal::from(60);
    let fuel_kg = flight.fuel_burn.kg_per_hour() * hours;
    let emission_factor = Decimal::new(i64::from(flight.fuel.emission_factor_milli()), 3);
    let co2_kg = fuel_kg * emission_factor;
    let saf_kg = flight.saf.map_or(Decimal::ZERO, |saf| {
        let blend = Decimal::new(i64::from(saf.bps()), 4);
        let lifecycle = Decimal::new(i64::from(saf.pathway.lifecycle_deci()), 1);
        co2_kg * blend * (Decimal::ONE - lifecycle / flight.fuel.baseline_lifecycle())
    });
    Figures {
        fuel_burned: Grams::from_kg(fuel_kg),
        co2: Grams::from_kg(co2_kg),
        saf_reduction: Grams::from_kg(saf_kg),
        net_co2: Grams::from_kg(co2_kg - saf_kg),
        factors: Factors {
            version: METHODOLOGY_VERSION.to_owned(),
            fuel_burn: flight.fuel_burn,
            emission_factor_milli: flight.fuel.emission_factor_milli(),
            saf_lifecycle_deci: flight.saf.map(|saf| saf.pathway.lifecycle_deci()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuel::SafPathway;
    use proptest::prelude::*;

    proptest! {
        /// Whatever a client may send once parsed (any blend string, any duration), and any
        /// fuel burn up to ten times the thirstiest type of the catalog, nothing panics and
        /// the figures stay ordered.
        #[test]
        fn computes_any_parsed_flight(
            percent in "-?[0-9]{1,30}(\\.[0-9]{1,30})?",
            minutes in any::<i32>(),
            fuel_burn in 1_i64..=20_000_000,
            pathway in prop::sample::select(vec![
                SafPathway::FtMunicipalSolidWaste, SafPathway::HefaTallow, SafPathway::HefaUsedCookingOil,
            ]),
            fuel in prop::sample::select(vec![FuelType::JetA, FuelType::JetB, FuelType::Avgas100ll]),
        ) {
            let percent: Decimal = percent.parse().unwrap_or_default();
            let (Ok(saf), Ok(duration)) = (SafBlend::parse(percent, Some(pathway)), DurationMinutes::parse(minutes)) else {
                return Ok(());
            };
            let figures = compute(Flight { fuel_burn: FuelBurn(fuel_burn), duration, fuel, saf });
            prop_assert!(figures.net_co2 <= figures.co2);
            prop_assert!(figures.saf_reduction >= Grams::ZERO);
        }
    }

    fn phenom_300(saf: Option<SafBlend>) -> Figures {
        compute(Flight {
            fuel_burn: FuelBurn(179_000),
            duration: DurationMinutes::parse(90).unwrap(),
            fuel: FuelType::JetA,
            saf,
        })
    }

    #[test]
    fn reproduces_the_worked_example() {
        let figures = phenom_300(None);
        assert_eq!(figures.fuel_burned.kg().to_string(), "813.106");
        assert_eq!(figures.co2.kg().to_string(), "2569.416");
        assert_eq!(figures.saf_reduction, Grams::ZERO);
        assert_eq!(figures.net_co2, figures.co2);
    }

    #[test]
    fn reproduces_the_worked_example_with_saf() {
        let saf = SafBlend::parse(Decimal::from(30), Some(SafPathway::HefaUsedCookingOil)).unwrap();
        let figures = phenom_300(saf);
        assert_eq!(figures.saf_reduction.kg().to_string(), "650.438");
        assert_eq!(figures.net_co2.kg().to_string(), "1918.979");
        assert_eq!(figures.factors.saf_lifecycle_deci, Some(139));
    }

    #[test]
    fn avgas_uses_its_own_factor() {
        let figures = compute(Flight {
            fuel_burn: FuelBurn(10_000),
            duration: DurationMinutes::parse(60).unwrap(),
            fuel: FuelType::Avgas100ll,
            saf: None,
        });
        // 10 gal × 3.785411784 × 0.8 = 30.283294272 kg; × 3.10 = 93.878212 kg
        assert_eq!(figures.fuel_burned.kg().to_string(), "30.283");
        assert_eq!(figures.co2.kg().to_string(), "93.878");
    }
}
