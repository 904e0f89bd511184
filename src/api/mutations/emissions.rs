use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::airports::Airport;
use crate::api::context::ContextExt;
use crate::api::errors::{ApiError, ApiResult};
use crate::api::id::parse;
use crate::api::inputs;
use crate::api::types::emission::EmissionNode;
use crate::api::types::enums::{FuelType, NonCo2Method, SafPathway};
use crate::api::types::estimate::EmissionEstimateNode;
use crate::catalog::AircraftModel;
use crate::emissions::methodology::Passengers;
use crate::emissions::route::{LegRequest, MAX_LEGS};
use crate::emissions::{self, AircraftChoice, EmissionSource, FlightDetails, FlightRequest, Route};
use crate::fuel::{SafBlend, SafBlendError};
use crate::retries::ExternalReference;
use crate::units::DurationMinutes;

/// A flight to estimate: an aircraft (`tailNumber` or `aircraftType`) and how far it flies
/// (`durationMinutes`; `origin` and `destination`, with or without `durationMinutes`; or
/// `legs`).
#[derive(InputObject)]
pub struct EstimateEmissionInput {
    /// Tail number of an active aircraft of your fleet; or give `aircraftType`.
    pub tail_number: Option<String>,
    /// ICAO type designator of a catalog type (e.g. `E55P`), for a quote before an aircraft is
    /// chosen; such an estimate cannot be recorded as an emission.
    pub aircraft_type: Option<String>,
    /// Block time, whole minutes (1 to 2880). With `origin` and `destination` it is that
    /// leg's; without it, the duration is learned from your recorded flights.
    pub duration_minutes: Option<i32>,
    /// Departure airport: a 4-character ICAO or 3-letter IATA code (see `airports`).
    pub origin: Option<String>,
    /// Arrival airport: a 4-character ICAO or 3-letter IATA code.
    pub destination: Option<String>,
    /// A trip of 1 to 20 legs, instead of `origin`, `destination` and `durationMinutes`.
    pub legs: Option<Vec<FlightLegInput>>,
    /// People on board (1 to 500): every CO2 figure is also given per passenger.
    pub passengers: Option<i32>,
    /// Show aviation's non-CO2 effects as a separate figure (default `NONE`).
    pub non_co2: Option<NonCo2Method>,
    /// Defaults to the aircraft's fuel (the type's default for `aircraftType`).
    pub fuel_type: Option<FuelType>,
    /// Share of neat SAF by mass, percent, 0 to 50 with at most 2 decimals (default 0).
    pub saf_blend_percent: Option<Decimal>,
    /// Required when `safBlendPercent` is above 0.
    pub saf_pathway: Option<SafPathway>,
}

/// One leg of a trip.
#[derive(InputObject)]
pub struct FlightLegInput {
    /// Departure airport: a 4-character ICAO or 3-letter IATA code.
    pub origin: String,
    /// Arrival airport: a 4-character ICAO or 3-letter IATA code.
    pub destination: String,
    /// Block time, whole minutes (1 to 2880); learned from your recorded flights when left
    /// out.
    pub duration_minutes: Option<i32>,
    /// An empty leg flown to position the aircraft: it counts in the trip (ISO 14083).
    #[graphql(default = false)]
    pub positioning: bool,
}

/// A flight that happened: an estimate's (`estimateId`), or its data (`tailNumber` with
/// `durationMinutes`, `origin` and `destination`, or `legs`), not both.
#[derive(InputObject)]
pub struct CreateEmissionInput {
    /// Record an estimate's flight; or give the flight's data below instead.
    pub estimate_id: Option<ID>,
    /// Tail number of an active aircraft of your fleet (required without `estimateId`).
    pub tail_number: Option<String>,
    /// Block time, whole minutes, 1 to 2880. Without `estimateId` it is required unless
    /// `origin` and `destination` are given (the duration is then learned).
    pub duration_minutes: Option<i32>,
    /// A trip of 1 to 20 legs, instead of `origin`, `destination` and `durationMinutes`.
    pub legs: Option<Vec<FlightLegInput>>,
    /// People on board (1 to 500): every CO2 figure is also given per passenger.
    pub passengers: Option<i32>,
    /// Show aviation's non-CO2 effects as a separate figure (default `NONE`).
    pub non_co2: Option<NonCo2Method>,
    /// Defaults to the aircraft's fuel.
    pub fuel_type: Option<FuelType>,
    /// Share of neat SAF by mass, percent, 0 to 50 with at most 2 decimals (default 0).
    pub saf_blend_percent: Option<Decimal>,
    /// Required when `safBlendPercent` is above 0.
    pub saf_pathway: Option<SafPathway>,
    /// Departure time.
    pub departed_at: Option<DateTime<Utc>>,
    /// Departure airport: a 4-character ICAO or 3-letter IATA code. With `destination` (and
    /// without `estimateId`), the flight's route.
    pub origin: Option<String>,
    /// Arrival airport: a 4-character ICAO or 3-letter IATA code.
    pub destination: Option<String>,
    /// Your own identifier of the flight (at most 200 characters, one line), unique in your
    /// organization: the same request sent again answers the emission it recorded
    /// (`replayed: true`); another request with the same reference is a `CONFLICT` naming it
    /// in `extensions.existingId`.
    pub external_reference: Option<String>,
}

/// The result of `estimateEmission`.
#[derive(SimpleObject)]
pub struct EstimateEmissionPayload {
    /// The estimate, with its offset prices.
    pub estimate: EmissionEstimateNode,
}

/// The result of `createEmission`.
#[derive(SimpleObject)]
pub struct CreateEmissionPayload {
    /// The recorded emission.
    pub emission: EmissionNode,
    /// True when this request was made before with the same `externalReference`: the
    /// emission is the one it recorded, and nothing was written now.
    pub replayed: bool,
}

/// What both inputs describe of a flight, before the aircraft is chosen.
struct FlightParts {
    duration_minutes: Option<i32>,
    origin: Option<String>,
    destination: Option<String>,
    legs: Option<Vec<FlightLegInput>>,
    passengers: Option<i32>,
    non_co2: Option<NonCo2Method>,
    fuel_type: Option<FuelType>,
    saf_blend_percent: Option<Decimal>,
    saf_pathway: Option<SafPathway>,
}

impl FlightParts {
    /// The flight, with the route its fields describe. `None` as the route when only one
    /// airport is given (kept as a detail of a recorded flight).
    fn parse(self, aircraft: AircraftChoice) -> ApiResult<FlightRequest> {
        let saf = SafBlend::parse(
            self.saf_blend_percent.unwrap_or_default(),
            self.saf_pathway.map(Into::into),
        )
        .map_err(|error| match error {
            SafBlendError::Percent => ApiError::bad_input("safBlendPercent", error),
            SafBlendError::MissingPathway => ApiError::bad_input(
                "safPathway",
                "is required when `safBlendPercent` is above 0",
            ),
        })?;
        let duration = self
            .duration_minutes
            .map(|minutes| {
                DurationMinutes::parse(minutes)
                    .map_err(|message| ApiError::bad_input("durationMinutes", message))
            })
            .transpose()?;
        let route = match (self.legs, self.origin, self.destination) {
            (Some(_), _, _) if duration.is_some() => {
                return Err(ApiError::bad_input(
                    "legs",
                    "give `durationMinutes` or `legs`, not both: each leg has its own duration",
                ));
            }
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return Err(ApiError::bad_input(
                    "legs",
                    "give `origin` and `destination` or `legs`, not both",
                ));
            }
            (Some(legs), None, None) => Route::Legs(parse_legs(legs)?),
            (None, Some(origin), Some(destination)) => {
                let (origin, destination) = (
                    airport(&origin, "origin".into())?,
                    airport(&destination, "destination".into())?,
                );
                if origin.icao == destination.icao {
                    return Err(ApiError::bad_input(
                        "destination",
                        "is the same airport as `origin`",
                    ));
                }
                Route::Legs(vec![LegRequest {
                    origin,
                    destination,
                    duration,
                    positioning: false,
                }])
            }
            (None, Some(_), None) => {
                return Err(ApiError::bad_input(
                    "destination",
                    "is required with `origin`: give both airports, or neither",
                ));
            }
            (None, None, Some(_)) => {
                return Err(ApiError::bad_input(
                    "origin",
                    "is required with `destination`: give both airports, or neither",
                ));
            }
            (None, None, None) => Route::Duration(duration.ok_or_else(|| {
                ApiError::bad_input(
                    "durationMinutes",
                    "is required without `origin` and `destination` or `legs`",
                )
            })?),
        };
        Ok(FlightRequest {
            aircraft,
            route,
            fuel: self.fuel_type.map(Into::into),
            saf,
            passengers: self
                .passengers
                .map(|count| {
                    Passengers::parse(count)
                        .map_err(|message| ApiError::bad_input("passengers", message))
                })
                .transpose()?,
            non_co2: self.non_co2.and_then(NonCo2Method::into_domain),
        })
    }
}

fn airport(code: &str, field: String) -> ApiResult<&'static Airport> {
    crate::airports::resolve(code).map_err(|message| ApiError::bad_input_at(field, message))
}

fn parse_legs(legs: Vec<FlightLegInput>) -> ApiResult<Vec<LegRequest>> {
    if legs.is_empty() || legs.len() > MAX_LEGS {
        return Err(ApiError::bad_input(
            "legs",
            format!("a trip has 1 to {MAX_LEGS} legs, not {}", legs.len()),
        ));
    }
    legs.into_iter()
        .enumerate()
        .map(|(index, leg)| {
            let at = |field: &str| format!("legs.{index}.{field}");
            let origin = airport(&leg.origin, at("origin"))?;
            let destination = airport(&leg.destination, at("destination"))?;
            if origin.icao == destination.icao {
                return Err(ApiError::bad_input_at(
                    at("destination"),
                    "is the same airport as the leg's `origin`",
                ));
            }
            let duration = leg
                .duration_minutes
                .map(|minutes| {
                    DurationMinutes::parse(minutes)
                        .map_err(|message| ApiError::bad_input_at(at("durationMinutes"), message))
                })
                .transpose()?;
            Ok(LegRequest {
                origin,
                destination,
                duration,
                positioning: leg.positioning,
            })
        })
        .collect()
}

impl EstimateEmissionInput {
    pub fn parse(self) -> ApiResult<FlightRequest> {
        let aircraft = match (self.tail_number, self.aircraft_type) {
            (Some(_), Some(_)) => {
                return Err(ApiError::bad_input(
                    "aircraftType",
                    "give `tailNumber` or `aircraftType`, not both",
                ));
            }
            (Some(tail), None) => {
                AircraftChoice::Registered(inputs::tail_number(&tail, "tailNumber")?)
            }
            (None, Some(code)) => AircraftChoice::Type(aircraft_type(&code)?),
            (None, None) => {
                return Err(ApiError::bad_input(
                    "tailNumber",
                    "give the aircraft: `tailNumber` of your fleet, or `aircraftType`",
                ));
            }
        };
        FlightParts {
            duration_minutes: self.duration_minutes,
            origin: self.origin,
            destination: self.destination,
            legs: self.legs,
            passengers: self.passengers,
            non_co2: self.non_co2,
            fuel_type: self.fuel_type,
            saf_blend_percent: self.saf_blend_percent,
            saf_pathway: self.saf_pathway,
        }
        .parse(aircraft)
    }
}

fn aircraft_type(code: &str) -> ApiResult<&'static AircraftModel> {
    let code = crate::catalog::parse_code(code)
        .map_err(|message| ApiError::bad_input("aircraftType", message))?;
    crate::catalog::find(&code).ok_or_else(|| {
        ApiError::bad_input(
            "aircraftType",
            format!(
                "{} is not a type of the catalog (see `aircraftModels`)",
                crate::error::quote(&code)
            ),
        )
    })
}

impl CreateEmissionInput {
    pub fn parse(self) -> ApiResult<(EmissionSource, FlightDetails)> {
        let airport_alone = |code: Option<&str>, field: &'static str| {
            code.map(|code| airport(code, field.into())).transpose()
        };
        let mut details = FlightDetails {
            departed_at: self.departed_at,
            origin: airport_alone(self.origin.as_deref(), "origin")?,
            destination: airport_alone(self.destination.as_deref(), "destination")?,
            external_reference: inputs::optional(
                self.external_reference.as_deref(),
                "externalReference",
                ExternalReference::parse,
            )?,
        };
        let flight_given = self.tail_number.is_some()
            || self.duration_minutes.is_some()
            || self.legs.is_some()
            || self.passengers.is_some()
            || self.non_co2.is_some()
            || self.fuel_type.is_some()
            || self.saf_blend_percent.is_some()
            || self.saf_pathway.is_some();
        let source = match self.estimate_id {
            Some(_) if flight_given => {
                return Err(ApiError::bad_input(
                    "estimateId",
                    "give either an estimate or the flight's data (`tailNumber`, `durationMinutes`, …), not both",
                ));
            }
            Some(id) => EmissionSource::Estimate(parse(&id, "estimateId")?),
            None => {
                let tail = self.tail_number.ok_or_else(|| {
                    ApiError::bad_input("tailNumber", "is required without `estimateId`")
                })?;
                let aircraft =
                    AircraftChoice::Registered(inputs::tail_number(&tail, "tailNumber")?);
                // Both airports make a route; one alone is only a detail of the flight.
                let route_given = self.origin.is_some() && self.destination.is_some();
                let flight = FlightParts {
                    duration_minutes: self.duration_minutes,
                    origin: self.origin.filter(|_| route_given),
                    destination: self.destination.filter(|_| route_given),
                    legs: self.legs,
                    passengers: self.passengers,
                    non_co2: self.non_co2,
                    fuel_type: self.fuel_type,
                    saf_blend_percent: self.saf_blend_percent,
                    saf_pathway: self.saf_pathway,
                }
                .parse(aircraft)?;
                if route_given {
                    details.origin = None;
                    details.destination = None;
                }
                EmissionSource::Flight(flight)
            }
        };
        Ok((source, details))
    }
}

#[derive(Default)]
pub struct EmissionsMutation;

#[Object]
impl EmissionsMutation {
    /// Estimates a flight's CO2 and prices offsetting it at the default listing, recording no
    /// emission. Errors: `UNAUTHENTICATED`; `BAD_USER_INPUT` (among them a duration neither
    /// given nor learnable: `DURATION_REQUIRED` in the message, on the duration's field);
    /// `NOT_FOUND` (no active aircraft with this tail number); `INSUFFICIENT_SUPPLY` (no
    /// listing to price offsets).
    async fn estimate_emission(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The flight to estimate.")] input: EstimateEmissionInput,
    ) -> ApiResult<EstimateEmissionPayload> {
        let organization = ctx.organization()?;
        let flight = input.parse()?;
        let app = ctx.app();
        let hints = &app.aircraft_hints;
        let estimate =
            emissions::estimate(&app.db, &app.config, hints, organization, flight).await?;
        Ok(EstimateEmissionPayload {
            estimate: EmissionEstimateNode(estimate),
        })
    }

    /// Records a flight that happened, from an estimate or from its data. Errors:
    /// `UNAUTHENTICATED`; `BAD_USER_INPUT`; `NOT_FOUND` (the estimate, or no active aircraft
    /// with this tail number); `QUOTE_EXPIRED` (the estimate expired); `CONFLICT` (the
    /// estimate is already recorded, or `externalReference` names another request's emission).
    async fn create_emission(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The flight to record.")] input: CreateEmissionInput,
    ) -> ApiResult<CreateEmissionPayload> {
        let organization = ctx.organization()?;
        let (source, details) = input.parse()?;
        let created = emissions::create_emission(ctx.db(), organization, source, details).await?;
        Ok(CreateEmissionPayload {
            replayed: created.replayed(),
            emission: EmissionNode::from(created.into_inner()),
        })
    }
}
