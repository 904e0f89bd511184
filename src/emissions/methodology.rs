//! Methodology `contrail-2026.1` (SPEC §5): CO2 of a flight from block fuel burn, duration,
//! fuel type and sustainable-aviation-fuel blend. Factors and their sources: `data/README.md`.

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::units::{DurationMinutes, Grams};

pub const METHODOLOGY_VERSION: &str = "contrail-2026.1";

/// Litres per US gallon (exact, by definition).
const LITRES_PER_US_GALLON: Decimal = Decimal::from_parts(3_785_411_784, 0, 0, false, 9);
/// Standard density for volume-to-mass conversion, kg/L (UK SI 2021/534 art. 28).
const FUEL_DENSITY_KG_PER_LITRE: Decimal = Decimal::from_parts(8, 0, 0, false, 1);
/// ASTM D7566 caps a blend of neat SAF at 50 %.
pub const MAX_SAF_BLEND_BPS: u32 = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
pub enum FuelType {
    JetA,
    JetA1,
    JetB,
    #[graphql(name = "AVGAS_100LL")]
    Avgas100ll,
}

impl FuelType {
    pub fn as_str(self) -> &'static str {
        match self {
            FuelType::JetA => "JET_A",
            FuelType::JetA1 => "JET_A1",
            FuelType::JetB => "JET_B",
            FuelType::Avgas100ll => "AVGAS_100LL",
        }
    }

    /// kg CO2 per kg fuel, in thousandths (CORSIA fuel conversion factors).
    pub fn emission_factor_milli(self) -> i32 {
        match self {
            FuelType::JetA | FuelType::JetA1 => 3_160,
            FuelType::JetB | FuelType::Avgas100ll => 3_100,
        }
    }

    /// Life-cycle emissions of the fossil fuel a SAF displaces, gCO2e/MJ (CORSIA LC).
    fn baseline_lifecycle(self) -> Decimal {
        match self {
            FuelType::Avgas100ll => Decimal::from(95),
            _ => Decimal::from(89),
        }
    }
}

impl FromStr for FuelType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "JET_A" => FuelType::JetA,
            "JET_A1" => FuelType::JetA1,
            "JET_B" => FuelType::JetB,
            "AVGAS_100LL" => FuelType::Avgas100ll,
            other => return Err(format!("unknown fuel type {other:?}")),
        })
    }
}

/// SAF production pathways with CORSIA default life-cycle values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
pub enum SafPathway {
    FtMunicipalSolidWaste,
    FtAgriculturalResidues,
    FtForestryResidues,
    HefaUsedCookingOil,
    HefaCornOil,
    HefaTallow,
}

impl SafPathway {
    pub fn as_str(self) -> &'static str {
        match self {
            SafPathway::FtMunicipalSolidWaste => "FT_MUNICIPAL_SOLID_WASTE",
            SafPathway::FtAgriculturalResidues => "FT_AGRICULTURAL_RESIDUES",
            SafPathway::FtForestryResidues => "FT_FORESTRY_RESIDUES",
            SafPathway::HefaUsedCookingOil => "HEFA_USED_COOKING_OIL",
            SafPathway::HefaCornOil => "HEFA_CORN_OIL",
            SafPathway::HefaTallow => "HEFA_TALLOW",
        }
    }

    /// CORSIA default life-cycle value LS, in tenths of gCO2e/MJ.
    pub fn lifecycle_deci(self) -> i32 {
        match self {
            SafPathway::FtMunicipalSolidWaste => 52,
            SafPathway::FtAgriculturalResidues => 77,
            SafPathway::FtForestryResidues => 83,
            SafPathway::HefaUsedCookingOil => 139,
            SafPathway::HefaCornOil => 172,
            SafPathway::HefaTallow => 225,
        }
    }
}

impl FromStr for SafPathway {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [
            SafPathway::FtMunicipalSolidWaste,
            SafPathway::FtAgriculturalResidues,
            SafPathway::FtForestryResidues,
            SafPathway::HefaUsedCookingOil,
            SafPathway::HefaCornOil,
            SafPathway::HefaTallow,
        ]
        .into_iter()
        .find(|pathway| pathway.as_str() == s)
        .ok_or_else(|| format!("unknown SAF pathway {s:?}"))
    }
}

/// A blend of neat SAF by mass fraction, in basis points (0 to 5000), from one pathway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SafBlend {
    bps: u32,
    pub pathway: SafPathway,
}

impl SafBlend {
    /// `percent` as given by a client (e.g. `30` or `12.5`), at most two decimals.
    pub fn parse(
        percent: Decimal,
        pathway: Option<SafPathway>,
    ) -> Result<Option<SafBlend>, SafBlendError> {
        let bps = percent
            .checked_mul(Decimal::from(100))
            .ok_or(SafBlendError::Percent)?;
        if percent < Decimal::ZERO
            || bps > Decimal::from(MAX_SAF_BLEND_BPS)
            || bps.fract() != Decimal::ZERO
        {
            return Err(SafBlendError::Percent);
        }
        let bps = u32::try_from(bps).map_err(|_| SafBlendError::Percent)?;
        match (bps, pathway) {
            (0, _) => Ok(None),
            (_, None) => Err(SafBlendError::MissingPathway),
            (bps, Some(pathway)) => Ok(Some(SafBlend { bps, pathway })),
        }
    }

    pub fn from_stored(bps: i32, pathway: Option<SafPathway>) -> Option<SafBlend> {
        pathway.filter(|_| bps > 0).map(|pathway| SafBlend {
            bps: bps as u32,
            pathway,
        })
    }

    pub fn bps(self) -> u32 {
        self.bps
    }

    pub fn percent(self) -> Decimal {
        Decimal::new(i64::from(self.bps), 2)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SafBlendError {
    Percent,
    MissingPathway,
}

impl SafBlendError {
    pub fn field_and_message(self) -> (&'static str, String) {
        match self {
            SafBlendError::Percent => (
                "safBlendPercent",
                "must be from 0 to 50 percent (ASTM D7566 limit) with at most 2 decimals".into(),
            ),
            SafBlendError::MissingPathway => (
                "safPathway",
                "is required when safBlendPercent is above 0".into(),
            ),
        }
    }
}

/// Block fuel burn of an aircraft type, in thousandths of a US gallon per hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FuelBurn(pub i64);

impl FuelBurn {
    pub fn us_gallons_per_hour(self) -> Decimal {
        Decimal::new(self.0, 3).normalize()
    }

    pub fn kg_per_hour(self) -> Decimal {
        self.us_gallons_per_hour() * LITRES_PER_US_GALLON * FUEL_DENSITY_KG_PER_LITRE
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
    pub version: &'static str,
    pub fuel_burn: FuelBurn,
    pub emission_factor_milli: i32,
    pub saf_lifecycle_deci: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    pub fuel_burned: Grams,
    pub co2: Grams,
    pub saf_reduction: Grams,
    pub net_co2: Grams,
    pub factors: Factors,
}

/// Computes every figure at full precision and rounds each to the gram once.
pub fn compute(flight: Flight) -> Figures {
    let hours = Decimal::from(flight.duration.get()) / Decimal::from(60);
    let fuel_kg = flight.fuel_burn.kg_per_hour() * hours;
    let emission_factor = Decimal::new(i64::from(flight.fuel.emission_factor_milli()), 3);
    let co2_kg = fuel_kg * emission_factor;
    let saf_kg = flight.saf.map_or(Decimal::ZERO, |saf| {
        let blend = Decimal::new(i64::from(saf.bps), 4);
        let lifecycle = Decimal::new(i64::from(saf.pathway.lifecycle_deci()), 1);
        co2_kg * blend * (Decimal::ONE - lifecycle / flight.fuel.baseline_lifecycle())
    });
    Figures {
        fuel_burned: Grams::from_kg(fuel_kg),
        co2: Grams::from_kg(co2_kg),
        saf_reduction: Grams::from_kg(saf_kg),
        net_co2: Grams::from_kg(co2_kg - saf_kg),
        factors: Factors {
            version: METHODOLOGY_VERSION,
            fuel_burn: flight.fuel_burn,
            emission_factor_milli: flight.fuel.emission_factor_milli(),
            saf_lifecycle_deci: flight.saf.map(|saf| saf.pathway.lifecycle_deci()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn blend_is_capped_and_needs_a_pathway() {
        assert_eq!(
            SafBlend::parse(Decimal::from(51), Some(SafPathway::HefaTallow)),
            Err(SafBlendError::Percent)
        );
        assert_eq!(
            SafBlend::parse(Decimal::from(-1), Some(SafPathway::HefaTallow)),
            Err(SafBlendError::Percent)
        );
        assert_eq!(
            SafBlend::parse(Decimal::new(1234, 3), Some(SafPathway::HefaTallow)),
            Err(SafBlendError::Percent)
        );
        assert_eq!(
            SafBlend::parse(Decimal::from(10), None),
            Err(SafBlendError::MissingPathway)
        );
        assert_eq!(SafBlend::parse(Decimal::ZERO, None), Ok(None));
        assert_eq!(
            SafBlend::parse(Decimal::from(50), Some(SafPathway::HefaTallow))
                .unwrap()
                .unwrap()
                .bps(),
            5_000
        );
    }

    #[test]
    fn names_round_trip() {
        for fuel in [
            FuelType::JetA,
            FuelType::JetA1,
            FuelType::JetB,
            FuelType::Avgas100ll,
        ] {
            assert_eq!(fuel.as_str().parse::<FuelType>(), Ok(fuel));
        }
        assert_eq!(
            "HEFA_TALLOW".parse::<SafPathway>(),
            Ok(SafPathway::HefaTallow)
        );
    }
}
