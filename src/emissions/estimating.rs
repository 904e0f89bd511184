//! Estimating a flight: its figures, priced from the default listing, in one statement when the
//! aircraft is one the instance has just seen.

use chrono::Utc;
use sea_orm::sea_query::{Expr, Order, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, Iterable, Set,
};

use super::entity::estimate;
use super::record::{AircraftChoice, FlightRequest, compute_flight};
use super::{Estimate, FlightFigures};
use crate::config::Config;
use crate::credits::entity::listing;
use crate::error::{Error, Result};
use crate::fleet::{Aircraft, AircraftHints, still_as_remembered};
use crate::ids::OrganizationId;

/// Estimates a flight without recording it, pricing offsets from the default listing. An
/// aircraft `hints` knows by its tail number is not looked up: the estimate's one statement
/// checks it is still as remembered, and only if not is it looked up.
pub async fn estimate(
    db: &impl ConnectionTrait,
    config: &Config,
    hints: &AircraftHints,
    organization: OrganizationId,
    flight: FlightRequest,
) -> Result<Estimate> {
    let hint = match &flight.aircraft {
        AircraftChoice::Registered(tail) => hints.get(organization, tail),
        AircraftChoice::Type(_) => None,
    };
    if let Some(hint) = hint {
        let (aircraft, figures) = compute_flight(db, organization, &flight, Some(hint)).await?;
        let flown_by = aircraft
            .as_ref()
            .map_or(FlownBy::LookedUp(None), FlownBy::Hint);
        if let Some(estimate) = insert_estimate(db, config, organization, flown_by, figures).await?
        {
            return Ok(estimate);
        }
        if let AircraftChoice::Registered(tail) = &flight.aircraft {
            hints.forget(organization, tail);
        }
    }
    let (aircraft, figures) = compute_flight(db, organization, &flight, None).await?;
    if let Some(aircraft) = &aircraft {
        hints.remember(aircraft);
    }
    let flown_by = FlownBy::LookedUp(aircraft.as_ref());
    insert_estimate(db, config, organization, flown_by, figures)
        .await?
        .ok_or_else(|| {
            Error::insufficient_supply("no credit listing is available to price offsets")
        })
}

/// The registered aircraft an estimate flies, if any, and where it was learned.
#[derive(Clone, Copy)]
enum FlownBy<'a> {
    /// From [`AircraftHints`]: the insert checks it is still as remembered.
    Hint(&'a Aircraft),
    LookedUp(Option<&'a Aircraft>),
}

/// Inserts an estimate priced from the default listing; none when there is no default
/// listing, or when the aircraft came from a hint and is no longer as remembered.
async fn insert_estimate(
    db: &impl ConnectionTrait,
    config: &Config,
    organization: OrganizationId,
    flown_by: FlownBy<'_>,
    figures: FlightFigures,
) -> Result<Option<Estimate>> {
    let aircraft = match flown_by {
        FlownBy::Hint(aircraft) => Some(aircraft),
        FlownBy::LookedUp(aircraft) => aircraft,
    };
    let now = Utc::now();
    let mut row = estimate::ActiveModel {
        created_at: Set(now),
        fee_bps: Set(config.fee.get() as i32),
        expires_at: Set(now + config.estimate_validity),
        aircraft_id: Set(aircraft.map(|aircraft| aircraft.id)),
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
    if let FlownBy::Hint(aircraft) = flown_by {
        pricing.and_where(still_as_remembered(aircraft));
    }
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
        .await?;
    Ok(inserted.map(Estimate::try_from).transpose()?)
}
