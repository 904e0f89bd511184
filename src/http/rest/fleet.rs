//! `POST /api/fleet` and `GET /api/fleet`: an organization's aircraft.

use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;

use super::enums::FuelType;
use super::openapi::{IdempotencyKey, ListErrors, PageParams, WriteErrors};
use super::views::{AircraftView, FleetPage};
use super::wire;
use crate::api::mutations::fleet::RegisterAircraftInput;
use crate::http::HttpState;

/// An aircraft to add to the fleet.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterAircraft {
    /// Civil registration, e.g. `N123AB` or `G-ABCD`; stored upper case without spaces,
    /// unique among your active aircraft.
    #[schema(example = "N123AB")]
    pub tail_number: String,
    /// ICAO type designator of a model of the catalog (GraphQL `aircraftModels`), e.g.
    /// `E55P`.
    #[schema(example = "E55P")]
    pub model_code: String,
    /// The fuel it usually burns; defaults to the model's (Jet A).
    pub fuel_type: Option<FuelType>,
}

/// Adds an aircraft to your fleet (GraphQL `registerAircraft`).
#[utoipa::path(
    post,
    path = "/api/fleet",
    tag = "Fleet",
    operation_id = "registerAircraft",
    params(IdempotencyKey),
    request_body = RegisterAircraft,
    responses(
        (status = 201, description = "The registered aircraft.", body = AircraftView),
        WriteErrors,
    ),
    security(("api_key" = []))
)]
pub async fn register(State(state): State<HttpState>, request: Request) -> Response {
    wire::write(
        &state,
        request,
        async |organization, body: RegisterAircraft| {
            let new = RegisterAircraftInput {
                tail_number: body.tail_number,
                model_code: body.model_code,
                fuel_type: body.fuel_type.map(|fuel| fuel.0.into()),
            }
            .parse()?;
            let aircraft = crate::fleet::register(&state.app.db, organization, new).await?;
            Ok(wire::json(
                StatusCode::CREATED,
                &AircraftView::from(aircraft),
            ))
        },
    )
    .await
}

/// Your active aircraft in registration order, a page at a time (GraphQL `fleet`).
#[utoipa::path(
    get,
    path = "/api/fleet",
    tag = "Fleet",
    operation_id = "listFleet",
    params(PageParams),
    responses(
        (status = 200, description = "A page of aircraft.", body = FleetPage),
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
        let select = crate::fleet::select_fleet(organization, false);
        let rows = page
            .apply(select, crate::fleet::entity::Column::Id)
            .all(&state.app.db)
            .await
            .map_err(crate::error::Error::from)?;
        let (rows, next_cursor) = wire::paged(rows, page, |aircraft| aircraft.id.0);
        let data = rows.into_iter().map(AircraftView::from).collect();
        Ok(wire::json(StatusCode::OK, &FleetPage { data, next_cursor }))
    })
    .await
}
