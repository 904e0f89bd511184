//! A flight's figures, computed leg by leg, and recording a flight.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};

use super::entity::emission;
use super::learning::Learner;
use super::methodology::{NonCo2Method, Passengers};
use super::route::{self, DurationSource, Leg, LegRequest, great_circle_km};
use super::{Emission, FlightFigures, find_estimate, methodology};
use crate::airports::Airport;
use crate::catalog::AircraftModel;
use crate::error::{Error, Existing, Input, Result};
use crate::fleet::{Aircraft, TailNumber};
use crate::fuel::{FuelType, SafBlend};
use crate::ids::{AircraftId, EstimateId, OrganizationId};
use crate::retries::{Created, ExternalReference, Fingerprint, same_request};
use crate::units::DurationMinutes;

/// A flight to estimate or record, as a client describes it.
#[derive(Debug)]
pub struct FlightRequest {
    pub aircraft: AircraftChoice,
    pub route: Route,
    /// Defaults to the aircraft's fuel (the type's default for an estimate by type).
    pub fuel: Option<FuelType>,
    pub saf: Option<SafBlend>,
    pub passengers: Option<Passengers>,
    pub non_co2: Option<NonCo2Method>,
}

/// What flies: a registered aircraft, or a catalog type (estimates only).
#[derive(Debug)]
pub enum AircraftChoice {
    Registered(TailNumber),
    Type(&'static AircraftModel),
}

/// How far: a block time, or 1 to 20 legs between airports.
#[derive(Debug)]
pub enum Route {
    Duration(DurationMinutes),
    Legs(Vec<LegRequest>),
}

/// What only a flight that happened has.
#[derive(Default)]
pub struct FlightDetails {
    pub departed_at: Option<DateTime<Utc>>,
    /// An airport given without a route (with an estimate, or on its own).
    pub origin: Option<&'static Airport>,
    pub destination: Option<&'static Airport>,
    pub external_reference: Option<ExternalReference>,
}

#[derive(Debug)]
pub enum EmissionSource {
    Estimate(EstimateId),
    Flight(FlightRequest),
}

/// Computes a flight's figures leg by leg, learning the durations not given. Returns the
/// registered aircraft it flies, if any.
/// A registered aircraft is looked up by its tail number unless `known` says what it is.
pub(super) async fn compute_flight(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    flight: &FlightRequest,
    known: Option<Aircraft>,
) -> Result<(Option<Aircraft>, FlightFigures)> {
    let (aircraft, model) = match &flight.aircraft {
        AircraftChoice::Registered(tail) => {
            let aircraft = match known {
                Some(aircraft) => aircraft,
                None => crate::fleet::find_by_tail(db, organization, tail)
                    .await?
                    .ok_or_else(|| Error::not_found(format!("Aircraft {tail}")))?,
            };
            let model = crate::catalog::find(&aircraft.model_code)
                .ok_or_else(|| Error::not_found("AircraftModel"))?;
            (Some(aircraft), model)
        }
        AircraftChoice::Type(model) => (None, *model),
    };
    let fuel = flight
        .fuel
        .or(aircraft.as_ref().map(|aircraft| aircraft.fuel_type))
        .unwrap_or(model.default_fuel_type);
    let compute = |duration| {
        methodology::compute(methodology::Flight {
            fuel_burn: model.fuel_burn,
            duration,
            fuel,
            saf: flight.saf,
        })
    };
    let (duration, figures, legs) = match &flight.route {
        Route::Duration(duration) => (*duration, compute(*duration), Vec::new()),
        Route::Legs(requests) => {
            let aircraft_id = aircraft.as_ref().map(|aircraft| aircraft.id);
            let trip = Trip {
                organization,
                aircraft: aircraft_id,
                model,
            };
            trip.legs(db, requests, compute).await?
        }
    };
    let flight = FlightFigures {
        model_code: model.code.clone(),
        duration,
        fuel,
        saf: flight.saf,
        figures,
        legs,
        passengers: flight.passengers,
        non_co2: flight.non_co2,
    };
    Ok((aircraft, flight))
}

/// A trip's legs, for one aircraft (or type) of one organization.
struct Trip<'a> {
    organization: OrganizationId,
    aircraft: Option<AircraftId>,
    model: &'a AircraftModel,
}

impl Trip<'_> {
    /// Each leg's distances, duration (given, or learned from the organization's flights) and
    /// figures; with the trip's block time and figures, its legs' summed.
    async fn legs(
        &self,
        db: &impl ConnectionTrait,
        requests: &[LegRequest],
        compute: impl Fn(DurationMinutes) -> methodology::Figures,
    ) -> Result<(DurationMinutes, methodology::Figures, Vec<Leg>)> {
        // Loaded once, and only when a leg has no duration.
        let learner = if requests.iter().any(|request| request.duration.is_none()) {
            Some(Learner::load(db, self.organization, self.aircraft, &self.model.code).await?)
        } else {
            None
        };
        let mut legs = Vec::with_capacity(requests.len());
        let mut total: Option<methodology::Figures> = None;
        let mut minutes = 0_i32;
        for (index, request) in requests.iter().enumerate() {
            let great_circle_km = great_circle_km(request.origin, request.destination);
            let (great_circle, distance) = route::distances(great_circle_km);
            let (duration, source, flights) = match (request.duration, &learner) {
                (Some(duration), _) => (duration, DurationSource::Given, None),
                (None, Some(learner)) => {
                    let leg = (requests.len() > 1).then_some(index);
                    let learned = learner.learn(great_circle_km, leg)?;
                    (learned.duration, learned.source, Some(learned.flights))
                }
                (None, None) => unreachable!("loaded when a leg has no duration"),
            };
            let figures = compute(duration);
            minutes += i32::from(duration.get());
            legs.push(Leg {
                origin: request.origin.icao.clone(),
                destination: request.destination.icao.clone(),
                great_circle_m: great_circle.0,
                distance_m: distance.0,
                duration_minutes: duration.get(),
                duration_source: source,
                positioning: request.positioning,
                fuel_burned_g: figures.fuel_burned.get(),
                co2_g: figures.co2.get(),
                saf_reduction_g: figures.saf_reduction.get(),
                net_co2_g: figures.net_co2.get(),
                learned_from_flights: flights,
            });
            total = Some(match total {
                Some(total) => total.plus(&figures),
                None => figures,
            });
        }
        let duration = DurationMinutes::parse(minutes).map_err(|_| {
            Error::invalid(
                Input::Legs,
                format!(
                    "the trip's legs last {minutes} minutes together; a trip is at most {} minutes",
                    DurationMinutes::MAX
                ),
            )
        })?;
        let total =
            total.ok_or_else(|| Error::invalid(Input::Legs, "a trip has at least one leg"))?;
        Ok((duration, total, legs))
    }
}

impl FlightDetails {
    /// The request a reference was first used with, to tell a retry from another request.
    fn fingerprint(&self, source: &EmissionSource) -> Fingerprint {
        Fingerprint::of(&[
            ("source", source),
            ("departed_at", &self.departed_at),
            ("origin", &self.origin.map(|airport| &airport.icao)),
            (
                "destination",
                &self.destination.map(|airport| &airport.icao),
            ),
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
    let (aircraft_id, flight, estimate_id) = match source {
        EmissionSource::Estimate(id) => {
            let estimate = find_estimate(db, organization, id)
                .await?
                .ok_or_else(|| Error::not_found("EmissionEstimate"))?;
            let aircraft_id = estimate.aircraft_id.ok_or_else(|| {
                Error::invalid(
                    Input::Estimate,
                    "an estimate made by aircraft type cannot be recorded: register the \
                     aircraft, then record the flight with its tail number",
                )
            })?;
            if estimate.expires_at <= Utc::now() {
                return Err(Error::Expired(format!(
                    "the estimate expired at {}; estimate the flight again",
                    estimate.expires_at.to_rfc3339()
                )));
            }
            if !estimate.flight.legs.is_empty()
                && (details.origin.is_some() || details.destination.is_some())
            {
                return Err(Error::invalid(
                    Input::Route,
                    "the estimate's route is recorded with it; leave `origin` and \
                     `destination` out",
                ));
            }
            let recorded = emission::Entity::find()
                .filter(emission::Column::OrganizationId.eq(organization))
                .filter(emission::Column::EstimateId.eq(id))
                .count(db)
                .await?;
            if recorded > 0 {
                return Err(estimate_recorded());
            }
            (aircraft_id, estimate.flight, Some(id))
        }
        EmissionSource::Flight(request) => {
            let (aircraft, flight) = compute_flight(db, organization, &request, None).await?;
            let aircraft = aircraft.ok_or_else(|| {
                Error::invalid(
                    Input::Estimate,
                    "a flight is recorded for a registered aircraft, not a type",
                )
            })?;
            (aircraft.id, flight, None)
        }
    };
    let aircraft = crate::fleet::find(db, organization, aircraft_id)
        .await?
        .ok_or_else(|| Error::not_found("Aircraft"))?;
    // A route names its own ends; otherwise the airports given alone are kept as they were.
    let (origin, destination) = match (flight.legs.first(), flight.legs.last()) {
        (Some(first), Some(last)) => (Some(first.origin.clone()), Some(last.destination.clone())),
        _ => (
            details.origin.map(|airport| airport.icao.clone()),
            details.destination.map(|airport| airport.icao.clone()),
        ),
    };
    let mut row = emission::ActiveModel {
        created_at: Set(Utc::now()),
        aircraft_id: Set(aircraft.id),
        estimate_id: Set(estimate_id),
        tail_number: Set(aircraft.tail_number),
        departed_at: Set(details.departed_at),
        origin: Set(origin),
        destination: Set(destination),
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
