//! What the REST routes answer: each resource in snake_case with the fields of its GraphQL
//! type, ids the same global ids (one id works in both APIs), masses and money as exact
//! decimal strings. Built from the domain's records with the domain's own computations.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use utoipa::ToSchema;

use super::enums::{CertificateStatus, FuelType, OffsetStatus, SafPathway};
use crate::accounting::offsets::Coverage;
use crate::api::id::GlobalId;
use crate::emissions::methodology::Factors;
use crate::emissions::{Emission, Estimate, FlightFigures};
use crate::error::Result;
use crate::ids::{AircraftId, ProvisionId};
use crate::units::{Money, Percentage};

/// An amount in major units of its ISO 4217 currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct MoneyView {
    /// Major units with the currency's decimals, e.g. `"262.50"`.
    #[schema(example = "262.50")]
    pub amount: String,
    /// ISO 4217 code, e.g. `"USD"`.
    #[schema(example = "USD")]
    pub currency: String,
}

impl From<Money> for MoneyView {
    fn from(money: Money) -> Self {
        MoneyView {
            amount: money.amount().to_string(),
            currency: money.currency.code(),
        }
    }
}

/// An aircraft of your fleet.
#[derive(Debug, Serialize, ToSchema)]
pub struct AircraftView {
    /// Its id (the GraphQL `Aircraft.id`).
    pub id: String,
    /// Civil registration, upper case without spaces.
    pub tail_number: String,
    /// ICAO type designator of its catalog model, e.g. `E55P`.
    pub model_code: String,
    /// The model's name, e.g. `Embraer Phenom 300`.
    pub model_name: String,
    pub fuel_type: FuelType,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set when it was removed but kept for its recorded flights.
    pub archived_at: Option<DateTime<Utc>>,
}

impl From<crate::fleet::Aircraft> for AircraftView {
    fn from(aircraft: crate::fleet::Aircraft) -> Self {
        let model_name = crate::catalog::find(&aircraft.model_code)
            .map(|model| model.name.clone())
            .unwrap_or_default();
        AircraftView {
            id: aircraft.id.to_id().0,
            tail_number: aircraft.tail_number.as_str().to_owned(),
            model_code: aircraft.model_code,
            model_name,
            fuel_type: aircraft.fuel_type.into(),
            created_at: aircraft.created_at,
            updated_at: aircraft.updated_at,
            archived_at: aircraft.archived_at,
        }
    }
}

/// The methodology version and the factors a figure was computed with.
#[derive(Debug, Serialize, ToSchema)]
pub struct MethodologyView {
    /// e.g. `contrail-2026.1`.
    pub version: String,
    /// Block fuel burn of the type, US gallons per hour.
    pub fuel_burn_us_gallons_per_hour: String,
    /// The same at 0.8 kg/L, kilograms per hour (3 decimals).
    pub fuel_burn_kg_per_hour: String,
    /// kg CO2 per kg fuel, e.g. `"3.16"`.
    pub emission_factor: String,
    /// Life-cycle value of the SAF pathway, gCO2e/MJ; null without a blend.
    pub saf_lifecycle_grams_per_megajoule: Option<String>,
}

impl From<&Factors> for MethodologyView {
    fn from(factors: &Factors) -> Self {
        MethodologyView {
            version: factors.version.clone(),
            fuel_burn_us_gallons_per_hour: factors.fuel_burn.us_gallons_per_hour().to_string(),
            fuel_burn_kg_per_hour: factors.fuel_burn_kg_per_hour().to_string(),
            emission_factor: factors.emission_factor().to_string(),
            saf_lifecycle_grams_per_megajoule: factors
                .saf_lifecycle_grams_per_megajoule()
                .map(|value| value.to_string()),
        }
    }
}

/// The flight's figures, shared by estimates and emissions.
struct Flight {
    duration_minutes: u16,
    fuel_type: FuelType,
    saf_blend_percent: String,
    saf_pathway: Option<SafPathway>,
    fuel_burned_kg: String,
    co2_kg: String,
    saf_reduction_kg: String,
    net_co2_kg: String,
    methodology: MethodologyView,
}

impl From<&FlightFigures> for Flight {
    fn from(flight: &FlightFigures) -> Self {
        let figures = &flight.figures;
        Flight {
            duration_minutes: flight.duration.get(),
            fuel_type: flight.fuel.into(),
            saf_blend_percent: flight
                .saf
                .map_or(rust_decimal::Decimal::ZERO, |saf| saf.percent())
                .to_string(),
            saf_pathway: flight.saf.map(|saf| saf.pathway.into()),
            fuel_burned_kg: figures.fuel_burned.kg().to_string(),
            co2_kg: figures.co2.kg().to_string(),
            saf_reduction_kg: figures.saf_reduction.kg().to_string(),
            net_co2_kg: figures.net_co2.kg().to_string(),
            methodology: (&figures.factors).into(),
        }
    }
}

/// Offsetting one share of an estimate's net CO2.
#[derive(Debug, Serialize, ToSchema)]
pub struct OffsetOptionView {
    /// The share, whole percent.
    pub percentage: u16,
    /// Tonnes of CO2 removal (6 decimals).
    pub tonnes: String,
    /// Price at the estimate's listing, platform fee included.
    pub price: MoneyView,
}

/// A flight's emissions computed before purchase; records no emission, and holds its prices
/// until `expires_at`.
#[derive(Debug, Serialize, ToSchema)]
pub struct EstimateView {
    /// Its id: `estimate_id` of `POST /api/emissions` records it.
    pub id: String,
    pub aircraft_id: String,
    pub tail_number: String,
    /// Block time, whole minutes.
    pub duration_minutes: u16,
    pub fuel_type: FuelType,
    /// Share of neat SAF in the fuel by mass, percent.
    pub saf_blend_percent: String,
    pub saf_pathway: Option<SafPathway>,
    /// Fuel burned, kilograms (3 decimals).
    #[schema(example = "813.106")]
    pub fuel_burned_kg: String,
    /// CO2 of the fuel burned, kilograms (3 decimals).
    #[schema(example = "2569.416")]
    pub co2_kg: String,
    /// CO2 saved by the SAF blend, kilograms (3 decimals).
    pub saf_reduction_kg: String,
    /// CO2 after the SAF reduction, kilograms (3 decimals): the basis of offsets.
    pub net_co2_kg: String,
    /// Net CO2 in tonnes (6 decimals).
    pub co2_tonnes: String,
    pub methodology: MethodologyView,
    /// The listing whose price the offsets are quoted at (`asset_price_source_id`).
    pub listing_id: String,
    /// Tonnes and price for each share asked (50, 100 and 150 % unless `offset_percentages`
    /// says otherwise).
    pub offset_options: Vec<OffsetOptionView>,
    pub created_at: DateTime<Utc>,
    /// After this it can no longer be recorded (`QUOTE_EXPIRED`).
    pub expires_at: DateTime<Utc>,
}

impl EstimateView {
    /// The estimate of a flight of `tail_number` with an option for each percentage; `None`
    /// when a price would be too large to express.
    pub fn new(
        estimate: Estimate,
        aircraft_id: AircraftId,
        tail_number: String,
        percentages: &[Percentage],
    ) -> Option<EstimateView> {
        let offset_options = percentages
            .iter()
            .map(|percentage| {
                let (quantity, price) = estimate.offset(*percentage, false)?;
                Some(OffsetOptionView {
                    percentage: percentage.get(),
                    tonnes: quantity.tonnes().to_string(),
                    price: price.into(),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let flight = Flight::from(&estimate.flight);
        Some(EstimateView {
            id: estimate.id.to_id().0,
            aircraft_id: aircraft_id.to_id().0,
            tail_number,
            duration_minutes: flight.duration_minutes,
            fuel_type: flight.fuel_type,
            saf_blend_percent: flight.saf_blend_percent,
            saf_pathway: flight.saf_pathway,
            fuel_burned_kg: flight.fuel_burned_kg,
            co2_kg: flight.co2_kg,
            saf_reduction_kg: flight.saf_reduction_kg,
            net_co2_kg: flight.net_co2_kg,
            co2_tonnes: estimate.flight.figures.net_co2.tonnes().to_string(),
            methodology: flight.methodology,
            listing_id: estimate.pricing.listing.to_id().0,
            offset_options,
            created_at: estimate.created_at,
            expires_at: estimate.expires_at,
        })
    }
}

/// A recorded flight and its emissions.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmissionView {
    /// Its id (the GraphQL `Emission.id`).
    pub id: String,
    pub aircraft_id: String,
    /// The tail number it was recorded under.
    pub tail_number: String,
    /// The estimate it was recorded from; null when recorded from flight data.
    pub estimate_id: Option<String>,
    pub duration_minutes: u16,
    pub fuel_type: FuelType,
    pub saf_blend_percent: String,
    pub saf_pathway: Option<SafPathway>,
    /// Kilograms (3 decimals).
    pub fuel_burned_kg: String,
    /// Kilograms (3 decimals).
    pub co2_kg: String,
    /// Kilograms (3 decimals).
    pub saf_reduction_kg: String,
    /// Kilograms (3 decimals): the basis of offsets.
    pub net_co2_kg: String,
    pub departed_at: Option<DateTime<Utc>>,
    /// IATA or ICAO code.
    pub origin: Option<String>,
    pub destination: Option<String>,
    pub external_reference: Option<String>,
    /// CO2 offset by the confirmed and retired provisions covering it, kilograms (3
    /// decimals).
    pub offset_kg: String,
    /// `offset_kg` as a percentage of `net_co2_kg` (at most 2 decimals).
    pub offset_percentage: String,
    pub offset_status: OffsetStatus,
    /// The provisions linked to it, newest first.
    pub provision_ids: Vec<String>,
    pub methodology: MethodologyView,
    pub created_at: DateTime<Utc>,
}

impl EmissionView {
    pub fn new(emission: Emission, coverage: &Coverage) -> EmissionView {
        let net = emission.flight.figures.net_co2;
        let flight = Flight::from(&emission.flight);
        EmissionView {
            id: emission.id.to_id().0,
            aircraft_id: emission.aircraft_id.to_id().0,
            tail_number: emission.tail_number.as_str().to_owned(),
            estimate_id: emission.estimate_id.map(|id| id.to_id().0),
            duration_minutes: flight.duration_minutes,
            fuel_type: flight.fuel_type,
            saf_blend_percent: flight.saf_blend_percent,
            saf_pathway: flight.saf_pathway,
            fuel_burned_kg: flight.fuel_burned_kg,
            co2_kg: flight.co2_kg,
            saf_reduction_kg: flight.saf_reduction_kg,
            net_co2_kg: flight.net_co2_kg,
            departed_at: emission.departed_at,
            origin: emission.origin,
            destination: emission.destination,
            external_reference: emission.external_reference,
            offset_kg: coverage.offset().kg().to_string(),
            offset_percentage: coverage.percentage_of(net).to_string(),
            offset_status: coverage.status(net).into(),
            provision_ids: coverage
                .provisions
                .iter()
                .map(|provision| provision.id.to_id().0)
                .collect(),
            methodology: flight.methodology,
            created_at: emission.created_at,
        }
    }

    /// Emissions with their coverage, read in one statement.
    pub async fn many(db: &DatabaseConnection, emissions: Vec<Emission>) -> Result<Vec<Self>> {
        let ids: Vec<_> = emissions.iter().map(|emission| emission.id).collect();
        let coverage = crate::accounting::offsets::coverage(db, &ids).await?;
        Ok(emissions
            .into_iter()
            .map(|emission| {
                let covered = coverage.get(&emission.id).cloned().unwrap_or_default();
                EmissionView::new(emission, &covered)
            })
            .collect())
    }
}

/// A certificate of retirement.
#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateView {
    pub id: String,
    /// e.g. `CTR-2026-000123`.
    pub number: String,
    pub status: CertificateStatus,
    /// The public page to share with the customer.
    pub url: String,
}

/// The certificates of several provisions, by provision.
pub async fn certificates(
    db: &DatabaseConnection,
    public_url: &str,
    provisions: &[ProvisionId],
) -> Result<HashMap<ProvisionId, CertificateView>> {
    let certificates = crate::certificates::for_provisions(db, provisions).await?;
    Ok(certificates
        .into_iter()
        .map(|certificate| {
            let view = CertificateView {
                id: certificate.id.to_id().0,
                url: certificate.url(public_url),
                number: certificate.number,
                status: certificate.status.into(),
            };
            (certificate.provision_id, view)
        })
        .collect())
}

pub use super::views_payments::{
    CheckoutView, EmissionPage, FleetPage, PaymentView, ProvisionCheckoutView, ProvisionView,
    QuoteView,
};
