//! Estimating a flight and recording one.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};

use super::entity::{emission, estimate};
use super::{Emission, Estimate, FlightFigures, find_estimate, methodology};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::fleet::TailNumber;
use crate::fuel::{FuelType, SafBlend};
use crate::ids::{EstimateId, OrganizationId};
use crate::units::DurationMinutes;

/// A flight to estimate or record, as a client describes it.
pub struct FlightRequest {
    pub tail_number: TailNumber,
    pub duration: DurationMinutes,
    /// Defaults to the aircraft's fuel.
    pub fuel: Option<FuelType>,
    pub saf: Option<SafBlend>,
}

/// What only a flight that happened has.
#[derive(Default)]
pub struct FlightDetails {
    pub departed_at: Option<DateTime<Utc>>,
    pub origin: Option<AirportCode>,
    pub destination: Option<AirportCode>,
    pub external_reference: Option<ExternalReference>,
}

/// An IATA (3) or ICAO (4) airport code, upper case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AirportCode(String);

impl AirportCode {
    pub fn parse(input: &str) -> Result<Self, String> {
        let code = input.trim().to_ascii_uppercase();
        let valid = (3..=4).contains(&code.len())
            && code.chars().all(|c| c.is_ascii_alphanumeric())
            && code.chars().any(|c| c.is_ascii_alphabetic());
        if valid {
            Ok(AirportCode(code))
        } else {
            Err(format!(
                "{} is not an IATA or ICAO airport code",
                crate::error::quote(input.trim())
            ))
        }
    }
}

/// The client's own identifier of a flight, unique within the organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalReference(String);

impl ExternalReference {
    pub fn parse(input: &str) -> Result<Self, String> {
        let reference = crate::units::parse_text(input, 200, false)?;
        if reference.is_empty() {
            return Err("must not be empty".into());
        }
        Ok(ExternalReference(reference))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub enum EmissionSource {
    Estimate(EstimateId),
    Flight(FlightRequest),
}

async fn compute_flight(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    flight: &FlightRequest,
) -> Result<FlightFigures> {
    let aircraft = crate::fleet::find_by_tail(db, organization, &flight.tail_number)
        .await?
        .ok_or_else(|| Error::not_found(format!("Aircraft {}", flight.tail_number)))?;
    let model = crate::catalog::find(db, &aircraft.model_code)
        .await?
        .ok_or_else(|| Error::not_found("AircraftModel"))?;
    let fuel = flight.fuel.unwrap_or(aircraft.fuel_type);
    let figures = methodology::compute(methodology::Flight {
        fuel_burn: model.fuel_burn,
        duration: flight.duration,
        fuel,
        saf: flight.saf,
    });
    Ok(FlightFigures {
        aircraft_id: aircraft.id,
        model_code: model.code,
        duration: flight.duration,
        fuel,
        saf: flight.saf,
        figures,
    })
}

/// Estimates a flight without recording it, pricing offsets from the default listing.
pub async fn estimate(
    db: &impl ConnectionTrait,
    config: &Config,
    organization: OrganizationId,
    flight: FlightRequest,
) -> Result<Estimate> {
    let figures = compute_flight(db, organization, &flight).await?;
    let listing = crate::credits::default_listing(db).await?.ok_or_else(|| {
        Error::insufficient_supply("no credit listing is available to price offsets")
    })?;
    let now = Utc::now();
    let mut row = estimate::ActiveModel {
        created_at: Set(now),
        listing_id: Set(listing.id),
        unit_price_minor: Set(listing.unit_price.minor),
        currency: Set(listing.unit_price.currency),
        fee_bps: Set(config.fee.get() as i32),
        expires_at: Set(now + config.estimate_validity),
        ..Default::default()
    };
    super::set_flight_columns!(row, organization, figures);
    Ok(row.insert(db).await?.try_into()?)
}

/// Records a flight, from an unexpired estimate or from its raw data.
pub async fn create_emission(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    source: EmissionSource,
    details: FlightDetails,
) -> Result<Emission> {
    let (flight, estimate_id) = match source {
        EmissionSource::Estimate(id) => {
            let estimate = find_estimate(db, organization, id)
                .await?
                .ok_or_else(|| Error::not_found("EmissionEstimate"))?;
            if estimate.expires_at <= Utc::now() {
                return Err(Error::Expired(format!(
                    "the estimate expired at {}; estimate the flight again",
                    estimate.expires_at.to_rfc3339()
                )));
            }
            let recorded = emission::Entity::find()
                .filter(emission::Column::OrganizationId.eq(organization))
                .filter(emission::Column::EstimateId.eq(id))
                .count(db)
                .await?;
            if recorded > 0 {
                return Err(estimate_recorded());
            }
            (estimate.flight, Some(id))
        }
        EmissionSource::Flight(request) => {
            (compute_flight(db, organization, &request).await?, None)
        }
    };
    if let Some(reference) = &details.external_reference {
        let taken = emission::Entity::find()
            .filter(emission::Column::OrganizationId.eq(organization))
            .filter(emission::Column::ExternalReference.eq(reference.as_str()))
            .count(db)
            .await?;
        if taken > 0 {
            return Err(reference_taken(reference));
        }
    }
    let aircraft = crate::fleet::find(db, organization, flight.aircraft_id)
        .await?
        .ok_or_else(|| Error::not_found("Aircraft"))?;
    let mut row = emission::ActiveModel {
        created_at: Set(Utc::now()),
        estimate_id: Set(estimate_id),
        tail_number: Set(aircraft.tail_number),
        departed_at: Set(details.departed_at),
        origin: Set(details.origin.map(|code| code.0)),
        destination: Set(details.destination.map(|code| code.0)),
        external_reference: Set(details
            .external_reference
            .as_ref()
            .map(|reference| reference.0.clone())),
        ..Default::default()
    };
    super::set_flight_columns!(row, organization, flight);
    let row = row.insert(db).await.map_err(|error| {
        // A concurrent request recorded the same flight between the checks and the insert.
        if !crate::db::is_unique_violation(&error) {
            error.into()
        } else if let Some(reference) = &details.external_reference {
            reference_taken(reference)
        } else {
            estimate_recorded()
        }
    })?;
    Ok(row.try_into()?)
}

fn estimate_recorded() -> Error {
    Error::conflict("this estimate has already been recorded as an emission")
}

fn reference_taken(reference: &ExternalReference) -> Error {
    Error::conflict(format!(
        "an emission with external reference {} already exists",
        crate::error::quote(&reference.0)
    ))
}
