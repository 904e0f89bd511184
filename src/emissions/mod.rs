//! Flight emissions: estimates before purchase (kept with their prices until they expire) and
//! recorded emissions, each with the methodology and factors that produced its figures.

pub mod entity;
pub mod graphql;
pub mod methodology;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, Select, Set,
};

use crate::config::Config;
use crate::credits::ListingId;
use crate::error::{Error, Result};
use crate::fleet::{AircraftId, TailNumber};
use crate::graphql::pagination::Page;
use crate::organizations::OrganizationId;
use crate::units::{Currency, DurationMinutes, FeeBps, Grams, Money};
use entity::{emission, estimate};
use methodology::{Factors, Figures, FuelBurn, FuelType, SafBlend, SafPathway};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EstimateId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EmissionId(pub i64);

/// A flight and its computed figures: what an estimate and an emission have in common.
#[derive(Debug, Clone)]
pub struct FlightFigures {
    pub aircraft_id: AircraftId,
    pub model_code: String,
    pub duration: DurationMinutes,
    pub fuel: FuelType,
    pub saf: Option<SafBlend>,
    pub figures: Figures,
}

/// The price an estimate was quoted at, kept with it.
#[derive(Debug, Clone, Copy)]
pub struct Pricing {
    pub listing: ListingId,
    pub unit_price: Money,
    pub fee: FeeBps,
}

impl Pricing {
    /// `None` when the amount would not fit a price.
    pub fn price(self, quantity: Grams) -> Option<Money> {
        self.unit_price.per_tonne_times(quantity, self.fee)
    }
}

#[derive(Debug, Clone)]
pub struct Estimate {
    pub id: EstimateId,
    pub flight: FlightFigures,
    pub pricing: Pricing,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Emission {
    pub id: EmissionId,
    pub flight: FlightFigures,
    pub estimate_id: Option<EstimateId>,
    pub tail_number: TailNumber,
    pub departed_at: Option<DateTime<Utc>>,
    pub origin: Option<String>,
    pub destination: Option<String>,
    pub external_reference: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Rebuilds the shared flight columns of an estimate or emission row.
macro_rules! flight_from_row {
    ($row:expr) => {{
        let row = &$row;
        let corrupt = |what: &str| DbErr::Custom(format!("flight {}: bad {what}", row.id));
        let saf_pathway = row
            .saf_pathway
            .as_deref()
            .map(str::parse::<SafPathway>)
            .transpose()
            .map_err(|_| corrupt("SAF pathway"))?;
        FlightFigures {
            aircraft_id: AircraftId(row.aircraft_id),
            model_code: row.model_code.clone(),
            duration: DurationMinutes::parse(row.duration_minutes)
                .map_err(|_| corrupt("duration"))?,
            fuel: row.fuel_type.parse().map_err(|_| corrupt("fuel type"))?,
            saf: SafBlend::from_stored(row.saf_blend_bps, saf_pathway),
            figures: Figures {
                fuel_burned: Grams::new(row.fuel_burned_grams),
                co2: Grams::new(row.co2_grams),
                saf_reduction: Grams::new(row.saf_reduction_grams),
                net_co2: Grams::new(row.net_co2_grams),
                factors: Factors {
                    version: stored_version(&row.methodology_version)
                        .ok_or_else(|| corrupt("methodology"))?,
                    fuel_burn: FuelBurn(row.fuel_burn_milli_us_gal_per_hour),
                    emission_factor_milli: row.emission_factor_milli,
                    saf_lifecycle_deci: row.saf_lifecycle_deci_grams,
                },
            },
        }
    }};
}

/// Sets the shared flight columns of an estimate or emission active model.
macro_rules! set_flight_columns {
    ($row:ident, $organization:expr, $flight:expr) => {{
        let flight = &$flight;
        $row.organization_id = Set($organization.0);
        $row.aircraft_id = Set(flight.aircraft_id.0);
        $row.model_code = Set(flight.model_code.clone());
        $row.duration_minutes = Set(i32::from(flight.duration.get()));
        $row.fuel_type = Set(flight.fuel.as_str().to_owned());
        $row.saf_blend_bps = Set(flight.saf.map_or(0, |saf| saf.bps() as i32));
        $row.saf_pathway = Set(flight.saf.map(|saf| saf.pathway.as_str().to_owned()));
        $row.methodology_version = Set(flight.figures.factors.version.to_owned());
        $row.fuel_burn_milli_us_gal_per_hour = Set(flight.figures.factors.fuel_burn.0);
        $row.emission_factor_milli = Set(flight.figures.factors.emission_factor_milli);
        $row.saf_lifecycle_deci_grams = Set(flight.figures.factors.saf_lifecycle_deci);
        $row.fuel_burned_grams = Set(flight.figures.fuel_burned.get());
        $row.co2_grams = Set(flight.figures.co2.get());
        $row.saf_reduction_grams = Set(flight.figures.saf_reduction.get());
        $row.net_co2_grams = Set(flight.figures.net_co2.get());
    }};
}

/// Stored versions this build can explain.
fn stored_version(version: &str) -> Option<&'static str> {
    (version == methodology::METHODOLOGY_VERSION).then_some(methodology::METHODOLOGY_VERSION)
}

impl Estimate {
    fn from_row(row: estimate::Model) -> Result<Self, DbErr> {
        let flight = flight_from_row!(row);
        let currency: Currency = row
            .currency
            .parse()
            .map_err(|_| DbErr::Custom("estimate: bad currency".into()))?;
        Ok(Estimate {
            id: EstimateId(row.id),
            flight,
            pricing: Pricing {
                listing: ListingId(row.listing_id),
                unit_price: Money::new(row.unit_price_minor, currency),
                fee: FeeBps::new(row.fee_bps as u32).map_err(DbErr::Custom)?,
            },
            created_at: row.created_at,
            expires_at: row.expires_at,
        })
    }
}

impl Emission {
    fn from_row(row: emission::Model) -> Result<Self, DbErr> {
        let flight = flight_from_row!(row);
        Ok(Emission {
            id: EmissionId(row.id),
            flight,
            estimate_id: row.estimate_id.map(EstimateId),
            tail_number: TailNumber::from_stored(row.tail_number),
            departed_at: row.departed_at,
            origin: row.origin,
            destination: row.destination,
            external_reference: row.external_reference,
            created_at: row.created_at,
        })
    }
}

pub fn rows_to_emissions(rows: Vec<emission::Model>) -> Result<Vec<Emission>> {
    Ok(rows
        .into_iter()
        .map(Emission::from_row)
        .collect::<Result<_, _>>()?)
}

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
    let expires_at = now + config.estimate_validity;
    let mut row = estimate::ActiveModel {
        created_at: Set(now),
        listing_id: Set(listing.id.0),
        unit_price_minor: Set(listing.unit_price.minor),
        currency: Set(listing.unit_price.currency.code().to_owned()),
        fee_bps: Set(config.fee.get() as i32),
        expires_at: Set(expires_at),
        ..Default::default()
    };
    set_flight_columns!(row, organization, figures);
    let row = row.insert(db).await?;
    Ok(Estimate::from_row(row)?)
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
                return Err(Error::QuoteExpired(format!(
                    "the estimate expired at {}; estimate the flight again",
                    estimate.expires_at.to_rfc3339()
                )));
            }
            if select_emissions(organization, &EmissionFilter::default())
                .filter(emission::Column::EstimateId.eq(id.0))
                .count(db)
                .await?
                > 0
            {
                return Err(estimate_recorded());
            }
            (estimate.flight, Some(id))
        }
        EmissionSource::Flight(request) => {
            (compute_flight(db, organization, &request).await?, None)
        }
    };
    if let Some(reference) = &details.external_reference {
        let taken = select_emissions(organization, &EmissionFilter::default())
            .filter(emission::Column::ExternalReference.eq(reference.0.as_str()))
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
        estimate_id: Set(estimate_id.map(|id| id.0)),
        tail_number: Set(aircraft.tail_number.as_str().to_owned()),
        departed_at: Set(details.departed_at),
        origin: Set(details.origin.map(|code| code.0)),
        destination: Set(details.destination.map(|code| code.0)),
        external_reference: Set(details
            .external_reference
            .as_ref()
            .map(|reference| reference.0.clone())),
        ..Default::default()
    };
    set_flight_columns!(row, organization, flight);
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
    Ok(Emission::from_row(row)?)
}

fn estimate_recorded() -> Error {
    Error::conflict("this estimate has already been recorded as an emission")
}

fn reference_taken(reference: &ExternalReference) -> Error {
    Error::conflict(format!(
        "an emission with externalReference {} already exists",
        crate::error::quote(&reference.0)
    ))
}

pub async fn find_estimate(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    id: EstimateId,
) -> Result<Option<Estimate>> {
    let row = estimate::Entity::find_by_id(id.0)
        .filter(estimate::Column::OrganizationId.eq(organization.0))
        .one(db)
        .await?;
    Ok(row.map(Estimate::from_row).transpose()?)
}

pub async fn find_emission(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    id: EmissionId,
) -> Result<Option<Emission>> {
    let row = emission::Entity::find_by_id(id.0)
        .filter(emission::Column::OrganizationId.eq(organization.0))
        .one(db)
        .await?;
    Ok(row.map(Emission::from_row).transpose()?)
}

pub async fn find_many(db: &impl ConnectionTrait, ids: &[EmissionId]) -> Result<Vec<Emission>> {
    let rows = emission::Entity::find()
        .filter(emission::Column::Id.is_in(ids.iter().map(|id| id.0)))
        .all(db)
        .await?;
    rows_to_emissions(rows)
}

#[derive(Debug, Default, Clone)]
pub struct EmissionFilter {
    pub tail_number: Option<TailNumber>,
    /// Departed at or after.
    pub departed_from: Option<DateTime<Utc>>,
    /// Departed before.
    pub departed_to: Option<DateTime<Utc>>,
    pub offset_status: Option<crate::provisions::OffsetStatus>,
}

pub fn select_emissions(
    organization: OrganizationId,
    filter: &EmissionFilter,
) -> Select<emission::Entity> {
    let mut select =
        emission::Entity::find().filter(emission::Column::OrganizationId.eq(organization.0));
    if let Some(tail) = &filter.tail_number {
        select = select.filter(emission::Column::TailNumber.eq(tail.as_str()));
    }
    if let Some(from) = filter.departed_from {
        select = select.filter(emission::Column::DepartedAt.gte(from));
    }
    if let Some(to) = filter.departed_to {
        select = select.filter(emission::Column::DepartedAt.lt(to));
    }
    if let Some(status) = filter.offset_status {
        select = select.filter(crate::provisions::offset_status_condition(status));
    }
    select
}

pub fn select_for_aircraft(aircraft: AircraftId) -> Select<emission::Entity> {
    emission::Entity::find().filter(emission::Column::AircraftId.eq(aircraft.0))
}

/// Whether anything recorded refers to the aircraft, so it must be archived, not deleted.
pub async fn aircraft_has_history(db: &impl ConnectionTrait, aircraft: AircraftId) -> Result<bool> {
    let emissions = select_for_aircraft(aircraft).count(db).await?;
    let estimates = estimate::Entity::find()
        .filter(estimate::Column::AircraftId.eq(aircraft.0))
        .count(db)
        .await?;
    Ok(emissions + estimates > 0)
}

/// One page of emissions for each of several aircraft, in one statement: rows are numbered
/// per aircraft and cut at the page's fetch limit.
pub async fn pages_for_aircraft(
    db: &impl ConnectionTrait,
    aircraft: &[AircraftId],
    page: Page,
) -> Result<Vec<Emission>> {
    let mut ranked = Query::select();
    ranked
        .column(Asterisk)
        .expr_as(
            Expr::cust("ROW_NUMBER() OVER (PARTITION BY aircraft_id ORDER BY id)"),
            Alias::new("page_rank"),
        )
        .from(emission::Entity)
        .and_where(Expr::col(emission::Column::AircraftId).is_in(aircraft.iter().map(|id| id.0)));
    if let Some(after) = page.after {
        ranked.and_where(Expr::col(emission::Column::Id).gt(after));
    }
    let query = Query::select()
        .column(Asterisk)
        .from_subquery(ranked.to_owned(), Alias::new("ranked"))
        .and_where(Expr::col(Alias::new("page_rank")).lte(page.fetch_limit() as i64))
        .order_by(emission::Column::Id, sea_orm::Order::Asc)
        .to_owned();
    let statement = db.get_database_backend().build(&query);
    let rows = emission::Entity::find()
        .from_raw_sql(statement)
        .all(db)
        .await?;
    rows_to_emissions(rows)
}
