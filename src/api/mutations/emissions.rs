use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::api::context::ContextExt;
use crate::api::errors::{ApiError, ApiResult};
use crate::api::id::parse;
use crate::api::inputs;
use crate::api::types::emission::EmissionNode;
use crate::api::types::enums::{FuelType, SafPathway};
use crate::api::types::estimate::EmissionEstimateNode;
use crate::emissions::{self, AirportCode, EmissionSource, FlightDetails, FlightRequest};
use crate::fuel::{SafBlend, SafBlendError};
use crate::retries::ExternalReference;
use crate::units::DurationMinutes;

/// A flight to estimate.
#[derive(InputObject)]
pub struct EstimateEmissionInput {
    /// Tail number of an active aircraft of your fleet.
    pub tail_number: String,
    /// Block time, whole minutes (1 to 2880).
    pub duration_minutes: i32,
    /// Defaults to the aircraft's fuel.
    pub fuel_type: Option<FuelType>,
    /// Share of neat SAF by mass, percent, 0 to 50 with at most 2 decimals (default 0).
    pub saf_blend_percent: Option<Decimal>,
    /// Required when `safBlendPercent` is above 0.
    pub saf_pathway: Option<SafPathway>,
}

/// A flight that happened: an estimate's (`estimateId`), or its data (`tailNumber`,
/// `durationMinutes` and optionally fuel and SAF), not both.
#[derive(InputObject)]
pub struct CreateEmissionInput {
    /// Record an estimate's flight; or give the flight's data below instead.
    pub estimate_id: Option<ID>,
    /// Tail number of an active aircraft of your fleet (required without `estimateId`).
    pub tail_number: Option<String>,
    /// Block time, whole minutes, 1 to 2880 (required without `estimateId`).
    pub duration_minutes: Option<i32>,
    /// Defaults to the aircraft's fuel.
    pub fuel_type: Option<FuelType>,
    /// Share of neat SAF by mass, percent, 0 to 50 with at most 2 decimals (default 0).
    pub saf_blend_percent: Option<Decimal>,
    /// Required when `safBlendPercent` is above 0.
    pub saf_pathway: Option<SafPathway>,
    /// Departure time.
    pub departed_at: Option<DateTime<Utc>>,
    /// IATA (3 characters) or ICAO (4) code of the departure airport.
    pub origin: Option<String>,
    /// IATA (3 characters) or ICAO (4) code of the arrival airport.
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

fn flight(
    tail_number: &str,
    duration_minutes: i32,
    fuel_type: Option<FuelType>,
    saf_blend_percent: Option<Decimal>,
    saf_pathway: Option<SafPathway>,
) -> ApiResult<FlightRequest> {
    let saf = SafBlend::parse(
        saf_blend_percent.unwrap_or_default(),
        saf_pathway.map(Into::into),
    )
    .map_err(|error| match error {
        SafBlendError::Percent => ApiError::bad_input("safBlendPercent", error),
        SafBlendError::MissingPathway => ApiError::bad_input(
            "safPathway",
            "is required when `safBlendPercent` is above 0",
        ),
    })?;
    Ok(FlightRequest {
        tail_number: inputs::tail_number(tail_number, "tailNumber")?,
        duration: DurationMinutes::parse(duration_minutes)
            .map_err(|message| ApiError::bad_input("durationMinutes", message))?,
        fuel: fuel_type.map(Into::into),
        saf,
    })
}

impl EstimateEmissionInput {
    pub fn parse(self) -> ApiResult<FlightRequest> {
        flight(
            &self.tail_number,
            self.duration_minutes,
            self.fuel_type,
            self.saf_blend_percent,
            self.saf_pathway,
        )
    }
}

impl CreateEmissionInput {
    pub fn parse(self) -> ApiResult<(EmissionSource, FlightDetails)> {
        let details = FlightDetails {
            departed_at: self.departed_at,
            origin: inputs::optional(self.origin.as_deref(), "origin", AirportCode::parse)?,
            destination: inputs::optional(
                self.destination.as_deref(),
                "destination",
                AirportCode::parse,
            )?,
            external_reference: inputs::optional(
                self.external_reference.as_deref(),
                "externalReference",
                ExternalReference::parse,
            )?,
        };
        let flight_given = self.tail_number.is_some()
            || self.duration_minutes.is_some()
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
                let duration = self.duration_minutes.ok_or_else(|| {
                    ApiError::bad_input("durationMinutes", "is required without `estimateId`")
                })?;
                EmissionSource::Flight(flight(
                    &tail,
                    duration,
                    self.fuel_type,
                    self.saf_blend_percent,
                    self.saf_pathway,
                )?)
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
    /// emission. Errors: `UNAUTHENTICATED`; `BAD_USER_INPUT`; `NOT_FOUND` (no active aircraft
    /// with this tail number); `INSUFFICIENT_SUPPLY` (no listing to price offsets).
    async fn estimate_emission(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The flight to estimate.")] input: EstimateEmissionInput,
    ) -> ApiResult<EstimateEmissionPayload> {
        let organization = ctx.organization()?;
        let flight = input.parse()?;
        let estimate = emissions::estimate(ctx.db(), ctx.config(), organization, flight).await?;
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
            emission: EmissionNode(created.into_inner()),
        })
    }
}
