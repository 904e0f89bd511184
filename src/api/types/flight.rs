//! What an estimate and an emission have in common: the flight's figures, resolved once and
//! flattened into both types.

use async_graphql::{Context, Object};
use rust_decimal::Decimal;

use super::aircraft::AircraftNode;
use super::emission::EmissionNode;
use super::enums::{DurationSource, FuelType, NonCo2Method, SafPathway};
use crate::api::context::ContextExt;
use crate::api::errors::{ApiError, ApiResult};
use crate::emissions::methodology::{self, Factors};
use crate::emissions::route::Leg;
use crate::emissions::{FlightFigures, uncertainty};
use crate::fuel::SafBlend;
use crate::ids::AircraftId;
use crate::units::Grams;

/// The methodology version and the factors a figure was computed with.
pub struct Methodology(pub Factors);

/// The methodology version and the factors a flight's figures were computed with, stored
/// with them so a figure can always be explained.
#[Object]
impl Methodology {
    /// e.g. `contrail-2026.2` (figures stored under `contrail-2026.1` keep that version).
    async fn version(&self) -> &str {
        &self.0.version
    }

    /// Block fuel burn of the aircraft type, US gallons per hour, as published.
    async fn fuel_burn_us_gallons_per_hour(&self) -> Decimal {
        self.0.fuel_burn.us_gallons_per_hour()
    }

    /// The same at 0.8 kg/L, kilograms per hour (3 decimals).
    async fn fuel_burn_kg_per_hour(&self) -> Decimal {
        self.0.fuel_burn_kg_per_hour()
    }

    /// kg CO2 per kg fuel (CORSIA fuel conversion factor), e.g. `3.16`.
    async fn emission_factor(&self) -> Decimal {
        self.0.emission_factor()
    }

    /// Life-cycle value of the SAF pathway, gCO2e/MJ (CORSIA default); null without a blend.
    async fn saf_lifecycle_grams_per_megajoule(&self) -> Option<Decimal> {
        self.0.saf_lifecycle_grams_per_megajoule()
    }
}

/// The aircraft with this id, through the request's loader.
pub async fn aircraft(ctx: &Context<'_>, id: AircraftId) -> ApiResult<AircraftNode> {
    ctx.loader()
        .load_one(id)
        .await?
        .map(AircraftNode)
        .ok_or_else(|| ApiError::not_found("Aircraft"))
}

/// The flight fields of `EmissionEstimate` and `Emission`, flattened into each.
#[derive(Clone, Copy)]
pub enum FlightFields<'a> {
    /// A flight read whole.
    Read(&'a FlightFigures),
    /// An emission's flight, read when a field first needs more than its CO2 (a list of
    /// emissions reads only their summaries when it can).
    Emission(&'a EmissionNode),
}

impl<'a> FlightFields<'a> {
    async fn flight(&self, ctx: &Context<'_>) -> ApiResult<&'a FlightFigures> {
        match *self {
            FlightFields::Read(flight) => Ok(flight),
            FlightFields::Emission(emission) => emission.details(ctx).await,
        }
    }

    fn co2(&self) -> Grams {
        match self {
            FlightFields::Read(flight) => flight.figures.co2,
            FlightFields::Emission(emission) => emission.summary().co2,
        }
    }

    fn net_co2(&self) -> Grams {
        match self {
            FlightFields::Read(flight) => flight.figures.net_co2,
            FlightFields::Emission(emission) => emission.summary().net_co2,
        }
    }
}

#[Object(name = "FlightFields")]
impl FlightFields<'_> {
    /// Block time, whole minutes (1 to 2880).
    async fn duration_minutes(&self, ctx: &Context<'_>) -> ApiResult<u16> {
        let flight = self.flight(ctx).await?;
        Ok(flight.duration.get())
    }

    /// The fuel burned.
    async fn fuel_type(&self, ctx: &Context<'_>) -> ApiResult<FuelType> {
        let flight = self.flight(ctx).await?;
        Ok(flight.fuel.into())
    }

    /// Share of neat SAF in the fuel by mass, percent (0 to 50); `0` without a blend.
    async fn saf_blend_percent(&self, ctx: &Context<'_>) -> ApiResult<Decimal> {
        let flight = self.flight(ctx).await?;
        Ok(flight.saf.map_or(Decimal::ZERO, SafBlend::percent))
    }

    /// How the SAF was produced; null without a blend.
    async fn saf_pathway(&self, ctx: &Context<'_>) -> ApiResult<Option<SafPathway>> {
        let flight = self.flight(ctx).await?;
        Ok(flight.saf.map(|saf| saf.pathway.into()))
    }

    /// Fuel burned, kilograms (3 decimals): fuel burn per hour × block time.
    async fn fuel_burned_kg(&self, ctx: &Context<'_>) -> ApiResult<Decimal> {
        let flight = self.flight(ctx).await?;
        Ok(flight.figures.fuel_burned.kg())
    }

    /// CO2 of the fuel burned, kilograms (3 decimals): fuel × emission factor.
    async fn co2_kg(&self) -> Decimal {
        self.co2().kg()
    }

    /// CO2 saved by the SAF blend, kilograms (3 decimals); `0.000` without a blend.
    async fn saf_reduction_kg(&self, ctx: &Context<'_>) -> ApiResult<Decimal> {
        let flight = self.flight(ctx).await?;
        Ok(flight.figures.saf_reduction.kg())
    }

    /// CO2 after the SAF reduction, kilograms (3 decimals): the basis of offsets.
    async fn net_co2_kg(&self) -> Decimal {
        self.net_co2().kg()
    }

    /// ICAO type designator of the aircraft type the figures were computed for.
    async fn aircraft_type(&self, ctx: &Context<'_>) -> ApiResult<&str> {
        let flight = self.flight(ctx).await?;
        Ok(&flight.model_code)
    }

    /// Distance of the trip, kilometres (3 decimals): each leg's great circle plus the ICAO
    /// correction, summed; null for a flight given by duration only.
    async fn distance_km(&self, ctx: &Context<'_>) -> ApiResult<Option<Decimal>> {
        let flight = self.flight(ctx).await?;
        Ok(flight.distance().map(|distance| distance.km()))
    }

    /// The trip's legs in order, each with its distance, duration and figures (which sum to
    /// the trip's); empty for a flight given by duration only.
    async fn legs(&self, ctx: &Context<'_>) -> ApiResult<Vec<FlightLeg<'_>>> {
        let flight = self.flight(ctx).await?;
        Ok(flight.legs.iter().map(FlightLeg).collect())
    }

    /// People on board, when given.
    async fn passengers(&self, ctx: &Context<'_>) -> ApiResult<Option<u16>> {
        let flight = self.flight(ctx).await?;
        Ok(flight.passengers.map(|count| count.get()))
    }

    /// One passenger's equal share of `co2Kg` (whole trip, positioning legs included),
    /// rounded to the gram; null without `passengers`.
    async fn co2_kg_per_passenger(&self, ctx: &Context<'_>) -> ApiResult<Option<Decimal>> {
        let flight = self.flight(ctx).await?;
        Ok(flight
            .passengers
            .map(|count| count.share(flight.figures.co2).kg()))
    }

    /// One passenger's equal share of `netCo2Kg`, rounded to the gram; null without
    /// `passengers`.
    async fn net_co2_kg_per_passenger(&self, ctx: &Context<'_>) -> ApiResult<Option<Decimal>> {
        let flight = self.flight(ctx).await?;
        Ok(flight
            .passengers
            .map(|count| count.share(flight.figures.net_co2).kg()))
    }

    /// Aviation's non-CO2 effects, apart from and never added to the CO2 figures; null unless
    /// asked for with `nonCo2`.
    async fn non_co2(&self, ctx: &Context<'_>) -> ApiResult<Option<NonCo2Effect>> {
        let flight = self.flight(ctx).await?;
        Ok(flight
            .non_co2_effect()
            .map(|(method, effect)| NonCo2Effect { method, effect }))
    }

    /// The range the true CO2 likely lies in, given the fuel-burn data behind the figure.
    async fn uncertainty(&self, ctx: &Context<'_>) -> ApiResult<Uncertainty> {
        self.flight(ctx)
            .await?
            .uncertainty()
            .map(Uncertainty)
            .ok_or_else(|| ApiError::not_found("AircraftModel"))
    }
}

/// One leg of a trip.
pub struct FlightLeg<'a>(&'a Leg);

/// One leg of a trip, with its distance, duration and figures.
#[Object]
impl FlightLeg<'_> {
    /// ICAO code of the departure airport.
    async fn origin(&self) -> &str {
        &self.0.origin
    }

    /// ICAO code of the arrival airport.
    async fn destination(&self) -> &str {
        &self.0.destination
    }

    /// Great-circle distance between the airports, kilometres (3 decimals).
    async fn great_circle_km(&self) -> Decimal {
        self.0.great_circle().km()
    }

    /// Great circle plus the ICAO correction (+50 km below 550 km, +100 km to 5,500 km,
    /// +125 km above), kilometres (3 decimals).
    async fn distance_km(&self) -> Decimal {
        self.0.distance().km()
    }

    /// Block time, whole minutes.
    async fn duration_minutes(&self) -> u16 {
        self.0.duration_minutes
    }

    /// Whether the duration was given or learned, and from which flights.
    async fn duration_source(&self) -> DurationSource {
        self.0.duration_source.into()
    }

    /// How many recorded flights the learned duration's line was fitted to; null when given.
    async fn learned_from_flights(&self) -> Option<u32> {
        self.0.learned_from_flights
    }

    /// An empty leg flown to position the aircraft (counted in the trip).
    async fn positioning(&self) -> bool {
        self.0.positioning
    }

    /// Fuel burned on the leg, kilograms (3 decimals).
    async fn fuel_burned_kg(&self) -> Decimal {
        Grams::new(self.0.fuel_burned_g).kg()
    }

    /// CO2 of the leg, kilograms (3 decimals).
    async fn co2_kg(&self) -> Decimal {
        self.0.co2().kg()
    }

    /// CO2 saved by the SAF blend on the leg, kilograms (3 decimals).
    async fn saf_reduction_kg(&self) -> Decimal {
        Grams::new(self.0.saf_reduction_g).kg()
    }

    /// CO2 of the leg after the SAF reduction, kilograms (3 decimals).
    async fn net_co2_kg(&self) -> Decimal {
        Grams::new(self.0.net_co2_g).kg()
    }
}

/// Aviation's non-CO2 effects on a flight, by a published multiplier.
pub struct NonCo2Effect {
    method: methodology::NonCo2Method,
    effect: Grams,
}

/// Aviation's non-CO2 effects (contrail cirrus, NOx, water vapour) on a flight, as CO2
/// equivalent by a published multiplier: a separate figure, never part of `co2Kg`.
#[Object]
impl NonCo2Effect {
    /// The method.
    async fn method(&self) -> NonCo2Method {
        self.method.into()
    }

    /// What the method multiplies CO2 by, all effects included (e.g. `1.7`).
    async fn multiplier(&self) -> Decimal {
        self.method.multiplier()
    }

    /// The non-CO2 effect, kg CO2 equivalent (3 decimals): `co2Kg × (multiplier − 1)`.
    async fn kg(&self) -> Decimal {
        self.effect.kg()
    }

    /// Where the multiplier comes from.
    async fn source(&self) -> &'static str {
        self.method.source()
    }
}

/// The band around a flight's CO2.
pub struct Uncertainty(uncertainty::Band);

/// The range a flight's CO2 likely lies in: ± the type's half-width, from its brochure spread
/// and the model error of its category (derivation in `data/README.md`). The same relative
/// width for one leg or twenty: the model error is systematic per type.
#[Object]
impl Uncertainty {
    /// Low end of the CO2 range, kilograms (3 decimals).
    async fn low_co2_kg(&self) -> Decimal {
        self.0.low.kg()
    }

    /// High end of the CO2 range, kilograms (3 decimals).
    async fn high_co2_kg(&self) -> Decimal {
        self.0.high.kg()
    }

    /// Half the width of the range relative to `co2Kg`, percent (1 decimal).
    async fn half_width_percent(&self) -> Decimal {
        self.0.half_width_percent()
    }

    /// The model error of the type's category, percent (1 decimal).
    async fn model_error_percent(&self) -> Decimal {
        Decimal::new(i64::from(self.0.model_error_permille), 1)
    }

    /// The spread of the type's published fuel-burn figures, (max − min) / mean, percent
    /// (1 decimal); the catalog's median for a type with one figure.
    async fn brochure_spread_percent(&self) -> Decimal {
        Decimal::new(i64::from(self.0.brochure_spread_permille), 1)
    }

    /// How the band is made.
    async fn method(&self) -> &'static str {
        uncertainty::METHOD
    }
}
