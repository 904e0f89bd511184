//! `POST /api/emissions/estimate`, `POST /api/emissions`, `GET /api/emissions` and
//! `GET /api/emissions/{id}`: a flight's CO2 before purchase, and flights that happened.

use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::decimal::DecimalString;
use super::enums::{FuelType, SafPathway};
use super::openapi::{EmissionWriteErrors, IdempotencyKey, ListErrors, PageParams, ReadErrors};
use super::views::{EmissionPage, EmissionView, EstimateView};
use super::wire::{self, RestError};
use crate::api::errors::ApiError;
use crate::api::mutations::emissions::{CreateEmissionInput, EstimateEmissionInput};
use crate::emissions::{self, AircraftChoice, entity::emission};
use crate::http::HttpState;
use crate::ids::EmissionId;
use crate::units::Percentage;

/// A flight to estimate.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EstimateEmission {
    /// Tail number of an active aircraft of your fleet.
    #[schema(example = "N123AB")]
    pub tail_number: String,
    /// Block time, whole minutes (1 to 2880).
    #[schema(example = 90)]
    pub duration_minutes: i32,
    /// Defaults to the aircraft's fuel.
    pub fuel_type: Option<FuelType>,
    /// Share of neat SAF by mass, percent, 0 to 50 with at most 2 decimals (default 0).
    pub saf_blend_percent: Option<DecimalString>,
    /// How the SAF was produced; required when `saf_blend_percent` is above 0.
    pub saf_pathway: Option<SafPathway>,
    /// The shares of the net CO2 to price, whole percent, each 1 to 300 (default 50, 100,
    /// 150).
    #[schema(min_items = 1, max_items = 20, example = json!([50, 100, 150]))]
    pub offset_percentages: Option<Vec<i32>>,
}

/// Most shares one estimate prices.
const MAX_OPTIONS: usize = 20;
const DEFAULT_OPTIONS: [i32; 3] = [50, 100, 150];

/// Estimates a flight's CO2 and prices offsetting shares of it, recording no emission
/// (GraphQL `estimateEmission`).
#[utoipa::path(
    post,
    path = "/api/emissions/estimate",
    tag = "Emissions",
    operation_id = "estimateEmission",
    params(IdempotencyKey),
    request_body = EstimateEmission,
    responses(
        (status = 200, description = "The estimate, with its offset options.", body = EstimateView),
        EmissionWriteErrors,
    ),
    security(("api_key" = []))
)]
pub async fn estimate(State(state): State<HttpState>, request: Request) -> Response {
    wire::write(
        &state,
        request,
        async |organization, body: EstimateEmission| {
            let requested = body.offset_percentages.unwrap_or(DEFAULT_OPTIONS.to_vec());
            if requested.is_empty() || requested.len() > MAX_OPTIONS {
                return Err(
                    ApiError::bad_input("offsetPercentages", "must list 1 to 20 shares").into(),
                );
            }
            let percentages = requested
                .into_iter()
                .map(Percentage::parse)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|message| ApiError::bad_input("offsetPercentages", message))?;
            let flight = EstimateEmissionInput {
                tail_number: Some(body.tail_number),
                aircraft_type: None,
                duration_minutes: Some(body.duration_minutes),
                origin: None,
                destination: None,
                legs: None,
                passengers: None,
                non_co2: None,
                fuel_type: body.fuel_type.map(|fuel| fuel.0.into()),
                saf_blend_percent: body.saf_blend_percent.map(|percent| percent.0),
                saf_pathway: body.saf_pathway.map(|pathway| pathway.0.into()),
            }
            .parse()?;
            // A REST estimate always names a registered aircraft.
            let tail_number = match &flight.aircraft {
                AircraftChoice::Registered(tail) => tail.as_str().to_owned(),
                AircraftChoice::Type(model) => model.code.clone(),
            };
            let app = &state.app;
            let hints = &app.aircraft_hints;
            let estimate =
                emissions::estimate(&app.db, &app.config, hints, organization, flight).await?;
            let aircraft_id = estimate
                .aircraft_id
                .ok_or_else(|| ApiError::not_found("Aircraft"))?;
            let view = EstimateView::new(estimate, aircraft_id, tail_number, &percentages)
                .ok_or_else(|| {
                    ApiError::bad_input(
                        "offsetPercentages",
                        "the price would be too large to express",
                    )
                })?;
            Ok(wire::json(StatusCode::OK, &view))
        },
    )
    .await
}

/// A flight that happened: an estimate's (`estimate_id`), or its data (`tail_number`,
/// `duration_minutes`, and optionally fuel and SAF), not both.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEmission {
    /// Record an estimate's flight; or give the flight's data instead.
    pub estimate_id: Option<String>,
    /// Tail number of an active aircraft of your fleet (required without `estimate_id`).
    pub tail_number: Option<String>,
    /// Block time, whole minutes, 1 to 2880 (required without `estimate_id`).
    pub duration_minutes: Option<i32>,
    /// Defaults to the aircraft's fuel.
    pub fuel_type: Option<FuelType>,
    /// Share of neat SAF by mass, percent, 0 to 50 with at most 2 decimals.
    pub saf_blend_percent: Option<DecimalString>,
    /// Required when `saf_blend_percent` is above 0.
    pub saf_pathway: Option<SafPathway>,
    /// Departure time (RFC 3339).
    pub departed_at: Option<DateTime<Utc>>,
    /// Departure airport: a 4-character ICAO or 3-letter IATA code (an unknown code is an
    /// error). With `destination` and no `estimate_id`, the flight's route: its distance is
    /// stored, and without `duration_minutes` the duration is learned from your recorded
    /// flights.
    pub origin: Option<String>,
    /// Arrival airport: a 4-character ICAO or 3-letter IATA code.
    pub destination: Option<String>,
    /// Your own identifier of the flight (at most 200 characters, one line), unique in your
    /// organization: the same request sent again answers the emission it recorded (200);
    /// another request with the same reference is a `CONFLICT` naming it in `existing_id`.
    pub external_reference: Option<String>,
}

/// Records a flight that happened, from an estimate or from its data (GraphQL
/// `createEmission`). An estimate is recorded once; an expired one is `QUOTE_EXPIRED` (410).
#[utoipa::path(
    post,
    path = "/api/emissions",
    tag = "Emissions",
    operation_id = "createEmission",
    params(IdempotencyKey),
    request_body = CreateEmission,
    responses(
        (status = 201, description = "The recorded emission.", body = EmissionView),
        (status = 200, description = "Sent again with the same `external_reference`: the emission recorded the first time; nothing was written.", body = EmissionView),
        EmissionWriteErrors,
    ),
    security(("api_key" = []))
)]
pub async fn create(State(state): State<HttpState>, request: Request) -> Response {
    wire::write(
        &state,
        request,
        async |organization, body: CreateEmission| {
            let (source, details) = CreateEmissionInput {
                estimate_id: body.estimate_id.map(Into::into),
                tail_number: body.tail_number,
                duration_minutes: body.duration_minutes,
                legs: None,
                passengers: None,
                non_co2: None,
                fuel_type: body.fuel_type.map(|fuel| fuel.0.into()),
                saf_blend_percent: body.saf_blend_percent.map(|percent| percent.0),
                saf_pathway: body.saf_pathway.map(|pathway| pathway.0.into()),
                departed_at: body.departed_at,
                origin: body.origin,
                destination: body.destination,
                external_reference: body.external_reference,
            }
            .parse()?;
            let db = &state.app.db;
            let created = emissions::create_emission(db, organization, source, details).await?;
            let status = if created.replayed() {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            let view = EmissionView::many(db, vec![created.into_inner()]).await?;
            Ok(wire::json(status, &view[0]))
        },
    )
    .await
}

/// Your recorded emissions, oldest first, a page at a time (GraphQL `emissions`).
#[utoipa::path(
    get,
    path = "/api/emissions",
    tag = "Emissions",
    operation_id = "listEmissions",
    params(PageParams),
    responses(
        (status = 200, description = "A page of emissions.", body = EmissionPage),
        ListErrors,
    ),
    security(("api_key" = []))
)]
pub async fn list(
    State(state): State<HttpState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    wire::read(&state, &headers, async |organization| {
        let page = wire::page(query.as_deref())?;
        let db = &state.app.db;
        let select = emissions::select_emissions(organization, &Default::default());
        let rows = page
            .apply(select, emission::Column::Id)
            .all(db)
            .await
            .map_err(crate::error::Error::from)?;
        let (rows, next_cursor) = wire::paged(rows, page, |row| row.id.0);
        let data = EmissionView::many(db, emissions::rows_to_emissions(rows)?).await?;
        Ok(wire::json(
            StatusCode::OK,
            &EmissionPage { data, next_cursor },
        ))
    })
    .await
}

/// One of your emissions (GraphQL `emission(id)`).
#[utoipa::path(
    get,
    path = "/api/emissions/{id}",
    tag = "Emissions",
    operation_id = "getEmission",
    params(("id" = String, Path, description = "The emission's id.")),
    responses(
        (status = 200, description = "The emission.", body = EmissionView),
        ReadErrors,
    ),
    security(("api_key" = []))
)]
pub async fn show(
    State(state): State<HttpState>,
    headers: HeaderMap,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Response {
    wire::read(&state, &headers, async |organization| {
        let Ok(Path(id)) = id else {
            return Err(RestError::not_found("Emission"));
        };
        let id: EmissionId = wire::path_id(&id, "Emission")?;
        let db = &state.app.db;
        let emission = emissions::find_emission(db, organization, id)
            .await?
            .ok_or_else(|| RestError::not_found("Emission"))?;
        let view = EmissionView::many(db, vec![emission]).await?;
        Ok(wire::json(StatusCode::OK, &view[0]))
    })
    .await
}
