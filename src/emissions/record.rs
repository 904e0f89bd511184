//! Estimating a flight and recording one.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Order, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, Iterable,
    PaginatorTrait, QueryFilter, Set,
};

use super::entity::{emission, estimate};
use super::{Emission, Estimate, FlightFigures, find_estimate, methodology};
use crate::config::Config;
use crate::credits::entity::listing;
use crate::error::{Error, Existing, Result};
use crate::fleet::TailNumber;
use crate::fuel::{FuelType, SafBlend};
use crate::ids::{EstimateId, OrganizationId};
use crate::retries::{Created, ExternalReference, Fingerprint, same_request};
use crate::units::DurationMinutes;

/// A flight to estimate or record, as a client describes it.
#[derive(Debug)]
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

#[derive(Debug)]
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
    let model = crate::catalog::find(&aircraft.model_code)
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
        model_code: model.code.clone(),
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
    let now = Utc::now();
    let mut row = estimate::ActiveModel {
        created_at: Set(now),
        fee_bps: Set(config.fee.get() as i32),
        expires_at: Set(now + config.estimate_validity),
        ..Default::default()
    };
    super::set_flight_columns!(row, organization, figures);
    // The price is copied from the default listing by the insert itself: one statement, and
    // never a price older than the estimate, whichever instance changed it.
    let mut columns = Vec::new();
    let mut pricing = Query::select();
    for column in estimate::Column::iter() {
        if let ActiveValue::Set(value) = row.get(column) {
            columns.push(column);
            pricing.expr(Expr::val(value));
        }
    }
    columns.extend([
        estimate::Column::ListingId,
        estimate::Column::UnitPriceMinor,
        estimate::Column::Currency,
    ]);
    pricing
        .columns([
            listing::Column::Id,
            listing::Column::UnitPriceMinor,
            listing::Column::Currency,
        ])
        .from(listing::Entity)
        .and_where(listing::Column::IsDefault.eq(true))
        .order_by(listing::Column::Id, Order::Asc)
        .limit(1);
    let insert = Query::insert()
        .into_table(estimate::Entity)
        .columns(columns)
        .select_from(pricing)
        .map_err(|error| DbErr::Custom(error.to_string()))?
        .returning_all()
        .to_owned();
    let inserted = estimate::Entity::find()
        .from_raw_sql(db.get_database_backend().build(&insert))
        .one(db)
        .await?
        .ok_or_else(|| {
            Error::insufficient_supply("no credit listing is available to price offsets")
        })?;
    Ok(inserted.try_into()?)
}

impl FlightDetails {
    /// The request a reference was first used with, to tell a retry from another request.
    fn fingerprint(&self, source: &EmissionSource) -> Fingerprint {
        Fingerprint::of(&[
            ("source", source),
            ("departed_at", &self.departed_at),
            ("origin", &self.origin),
            ("destination", &self.destination),
        ])
    }
}

/// Records a flight, from an unexpired estimate or from its raw data. With an external
/// reference, the same request sent again answers the flight recorded the first time.
pub async fn create_emission(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    source: EmissionSource,
    details: FlightDetails,
) -> Result<Created<Emission>> {
    let fingerprint = details.fingerprint(&source);
    if let Some(reference) = &details.external_reference
        && let Some(existing) = by_reference(db, organization, reference, &fingerprint).await?
    {
        return Ok(Created::Replayed(existing));
    }
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
            .map(|reference| reference.as_str().to_owned())),
        request_fingerprint: Set(Some(fingerprint.as_str().to_owned())),
        ..Default::default()
    };
    super::set_flight_columns!(row, organization, flight);
    match row.insert(db).await {
        Ok(row) => Ok(Created::New(row.try_into()?)),
        // A concurrent request recorded the same flight between the checks and the insert.
        Err(error) if crate::db::is_unique_violation(&error) => match &details.external_reference {
            Some(reference) => by_reference(db, organization, reference, &fingerprint)
                .await?
                .map(Created::Replayed)
                .ok_or_else(estimate_recorded),
            None => Err(estimate_recorded()),
        },
        Err(error) => Err(error.into()),
    }
}

/// The emission recorded with `reference`: the same request's (a retry), or a conflict.
async fn by_reference(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    reference: &ExternalReference,
    fingerprint: &Fingerprint,
) -> Result<Option<Emission>> {
    let Some(row) = emission::Entity::find()
        .filter(emission::Column::OrganizationId.eq(organization))
        .filter(emission::Column::ExternalReference.eq(reference.as_str()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if !same_request(row.request_fingerprint.as_deref(), fingerprint) {
        return Err(Error::reference_taken(
            reference,
            Existing::Emission(row.id),
        ));
    }
    Ok(Some(row.try_into()?))
}

fn estimate_recorded() -> Error {
    Error::conflict("this estimate has already been recorded as an emission")
}
