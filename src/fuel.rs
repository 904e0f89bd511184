//! Fuels and their factors, shared by the catalog, the fleet and the methodology: fuel types
//! with their CORSIA conversion factors, sustainable-aviation-fuel pathways with their default
//! life-cycle values, a blend of SAF, and a fuel burn. Sources: `data/README.md`.

use rust_decimal::Decimal;
use sea_orm::{DeriveActiveEnum, EnumIter};

/// Litres per US gallon (exact, by definition).
const LITRES_PER_US_GALLON: Decimal = Decimal::from_parts(3_785_411_784, 0, 0, false, 9);
/// Standard density for volume-to-mass conversion, kg/L (UK SI 2021/534 art. 28).
const FUEL_DENSITY_KG_PER_LITRE: Decimal = Decimal::from_parts(8, 0, 0, false, 1);
/// ASTM D7566 caps a blend of neat SAF at 50 %.
pub const MAX_SAF_BLEND_BPS: u32 = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum FuelType {
    #[sea_orm(string_value = "JET_A")]
    JetA,
    #[sea_orm(string_value = "JET_A1")]
    JetA1,
    #[sea_orm(string_value = "JET_B")]
    JetB,
    #[sea_orm(string_value = "AVGAS_100LL")]
    Avgas100ll,
}

impl FuelType {
    /// kg CO2 per kg fuel, in thousandths (CORSIA fuel conversion factors).
    pub fn emission_factor_milli(self) -> i32 {
        match self {
            FuelType::JetA | FuelType::JetA1 => 3_160,
            FuelType::JetB | FuelType::Avgas100ll => 3_100,
        }
    }

    /// Life-cycle emissions of the fossil fuel a SAF displaces, gCO2e/MJ (CORSIA LC).
    pub fn baseline_lifecycle(self) -> Decimal {
        match self {
            FuelType::Avgas100ll => Decimal::from(95),
            _ => Decimal::from(89),
        }
    }
}

/// SAF production pathways with CORSIA default life-cycle values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum SafPathway {
    #[sea_orm(string_value = "FT_MUNICIPAL_SOLID_WASTE")]
    FtMunicipalSolidWaste,
    #[sea_orm(string_value = "FT_AGRICULTURAL_RESIDUES")]
    FtAgriculturalResidues,
    #[sea_orm(string_value = "FT_FORESTRY_RESIDUES")]
    FtForestryResidues,
    #[sea_orm(string_value = "HEFA_USED_COOKING_OIL")]
    HefaUsedCookingOil,
    #[sea_orm(string_value = "HEFA_CORN_OIL")]
    HefaCornOil,
    #[sea_orm(string_value = "HEFA_TALLOW")]
    HefaTallow,
}

impl SafPathway {
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

/// A blend of neat SAF by mass fraction, in basis points (1 to 5000), from one pathway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SafBlend {
    bps: u32,
    pub pathway: SafPathway,
}

impl SafBlend {
    /// `percent` as given by a client (e.g. `30` or `12.5`), at most two decimals; no blend
    /// when it is 0.
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

    /// A blend as stored: basis points and pathway.
    pub fn from_stored(bps: i32, pathway: Option<SafPathway>) -> Option<SafBlend> {
        let bps = u32::try_from(bps).ok().filter(|bps| *bps > 0)?;
        pathway.map(|pathway| SafBlend { bps, pathway })
    }

    pub fn bps(self) -> u32 {
        self.bps
    }

    pub fn percent(self) -> Decimal {
        Decimal::new(i64::from(self.bps), 2)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SafBlendError {
    #[error("must be from 0 to 50 percent (ASTM D7566 limit) with at most 2 decimals")]
    Percent,
    #[error("is required when the blend is above 0")]
    MissingPathway,
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

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ActiveEnum, Iterable};

    #[test]
    fn blend_is_capped_and_needs_a_pathway() {
        let tallow = Some(SafPathway::HefaTallow);
        assert_eq!(
            SafBlend::parse(Decimal::from(51), tallow),
            Err(SafBlendError::Percent)
        );
        assert_eq!(
            SafBlend::parse(Decimal::from(-1), tallow),
            Err(SafBlendError::Percent)
        );
        assert_eq!(
            SafBlend::parse(Decimal::new(1234, 3), tallow),
            Err(SafBlendError::Percent)
        );
        assert_eq!(
            SafBlend::parse(Decimal::MAX, tallow),
            Err(SafBlendError::Percent)
        );
        assert_eq!(
            SafBlend::parse(Decimal::from(10), None),
            Err(SafBlendError::MissingPathway)
        );
        assert_eq!(SafBlend::parse(Decimal::ZERO, None), Ok(None));
        assert_eq!(
            SafBlend::parse(Decimal::from(50), tallow)
                .unwrap()
                .unwrap()
                .bps(),
            5_000
        );
    }

    #[test]
    fn stored_names_are_the_api_names() {
        let names: Vec<String> = FuelType::iter().map(|fuel| fuel.to_value()).collect();
        assert_eq!(names, ["JET_A", "JET_A1", "JET_B", "AVGAS_100LL"]);
        assert_eq!(
            SafPathway::try_from_value(&"HEFA_TALLOW".to_owned()).unwrap(),
            SafPathway::HefaTallow
        );
    }
}
