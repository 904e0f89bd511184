//! Flight emissions: estimates before purchase (kept with their prices until they expire) and
//! recorded emissions, each with the methodology and factors that produced its figures.

pub mod entity;
mod estimating;
mod learning;
pub mod methodology;
mod record;
pub mod route;
mod summary;
pub mod uncertainty;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Select};

use crate::error::Result;
use crate::fleet::TailNumber;
use crate::fuel::{FuelBurn, FuelType, SafBlend};
use crate::ids::{AircraftId, EmissionId, EstimateId, ListingId, OrganizationId};
use crate::paging::Page;
use crate::units::{DurationMinutes, FeeBps, Grams, Money, Percentage};
use entity::{emission, estimate};
pub use estimating::estimate;
use methodology::{Factors, Figures, NonCo2Method, Passengers};
pub use record::{
    AircraftChoice, EmissionSource, FlightDetails, FlightRequest, Route, create_emission,
};
use route::Leg;
pub use summary::{EmissionSummary, summaries};

/// A flight and its computed figures: what an estimate and an emission have in common.
#[derive(Debug, Clone)]
pub struct FlightFigures {
    pub model_code: String,
    /// The trip's block time: its legs' together.
    pub duration: DurationMinutes,
    pub fuel: FuelType,
    pub saf: Option<SafBlend>,
    /// The trip's figures: its legs' summed.
    pub figures: Figures,
    /// Empty for a flight given by duration only.
    pub legs: Vec<Leg>,
    pub passengers: Option<Passengers>,
    pub non_co2: Option<NonCo2Method>,
}

impl FlightFigures {
    /// The aircraft type, from the catalog shipped with this release.
    pub fn model(&self) -> Option<&'static crate::catalog::AircraftModel> {
        crate::catalog::find(&self.model_code)
    }

    /// The band around the trip's CO2; `None` only for a type no longer in the catalog.
    pub fn uncertainty(&self) -> Option<uncertainty::Band> {
        Some(uncertainty::band(self.model()?, self.figures.co2))
    }

    /// The trip's non-CO2 effect, when it was asked for.
    pub fn non_co2_effect(&self) -> Option<(NonCo2Method, Grams)> {
        self.non_co2
            .map(|method| (method, method.effect(self.figures.co2)))
    }

    /// What offsets of this flight cover at 100 %: its net CO2, and its non-CO2 effect too
    /// when asked for.
    pub fn offset_basis(&self, include_non_co2: bool) -> Grams {
        let non_co2 = match self.non_co2_effect() {
            Some((_, effect)) if include_non_co2 => effect,
            _ => Grams::ZERO,
        };
        self.figures.net_co2 + non_co2
    }

    /// Total distance flown (corrected), when the flight has a route.
    pub fn distance(&self) -> Option<route::Metres> {
        (!self.legs.is_empty())
            .then(|| route::Metres(self.legs.iter().map(|leg| leg.distance_m).sum()))
    }
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
    /// `None` for an estimate by aircraft type.
    pub aircraft_id: Option<AircraftId>,
    pub flight: FlightFigures,
    pub pricing: Pricing,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Estimate {
    /// Offsetting `percentage` of the net CO2 (and of the non-CO2 effect with
    /// `include_non_co2`): the quantity and its price at the estimate's listing, fee included;
    /// `None` when the price would not fit.
    pub fn offset(&self, percentage: Percentage, include_non_co2: bool) -> Option<(Grams, Money)> {
        let quantity = self
            .flight
            .offset_basis(include_non_co2)
            .percent(percentage);
        Some((quantity, self.pricing.price(quantity)?))
    }
}

#[derive(Debug, Clone)]
pub struct Emission {
    pub id: EmissionId,
    pub aircraft_id: AircraftId,
    pub flight: FlightFigures,
    pub estimate_id: Option<EstimateId>,
    pub tail_number: TailNumber,
    pub departed_at: Option<DateTime<Utc>>,
    pub origin: Option<String>,
    pub destination: Option<String>,
    pub external_reference: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Rebuilds the flight columns an estimate row and an emission row share.
macro_rules! flight_of_row {
    ($row:expr) => {{
        let row = &$row;
        FlightFigures {
            model_code: row.model_code.clone(),
            duration: DurationMinutes::parse(row.duration_minutes).map_err(DbErr::Custom)?,
            fuel: row.fuel_type,
            saf: SafBlend::from_stored(row.saf_blend_bps, row.saf_pathway),
            figures: Figures {
                fuel_burned: Grams::new(row.fuel_burned_grams),
                co2: Grams::new(row.co2_grams),
                saf_reduction: Grams::new(row.saf_reduction_grams),
                net_co2: Grams::new(row.net_co2_grams),
                factors: Factors {
                    version: row.methodology_version.clone(),
                    fuel_burn: FuelBurn(row.fuel_burn_milli_us_gal_per_hour),
                    emission_factor_milli: row.emission_factor_milli,
                    saf_lifecycle_deci: row.saf_lifecycle_deci_grams,
                },
            },
            legs: match &row.legs {
                Some(json) => serde_json::from_str(json)
                    .map_err(|error| DbErr::Custom(format!("stored legs: {error}")))?,
                None => Vec::new(),
            },
            passengers: row
                .passengers
                .map(Passengers::parse)
                .transpose()
                .map_err(DbErr::Custom)?,
            non_co2: row.non_co2,
        }
    }};
}

/// Sets the flight columns an estimate row and an emission row share.
macro_rules! set_flight_columns {
    ($row:ident, $organization:expr, $flight:expr) => {{
        let flight = &$flight;
        $row.organization_id = Set($organization);
        $row.model_code = Set(flight.model_code.clone());
        $row.duration_minutes = Set(i32::from(flight.duration.get()));
        $row.fuel_type = Set(flight.fuel);
        $row.saf_blend_bps = Set(flight.saf.map_or(0, |saf| saf.bps() as i32));
        $row.saf_pathway = Set(flight.saf.map(|saf| saf.pathway));
        $row.methodology_version = Set(flight.figures.factors.version.clone());
        $row.fuel_burn_milli_us_gal_per_hour = Set(flight.figures.factors.fuel_burn.0);
        $row.emission_factor_milli = Set(flight.figures.factors.emission_factor_milli);
        $row.saf_lifecycle_deci_grams = Set(flight.figures.factors.saf_lifecycle_deci);
        $row.fuel_burned_grams = Set(flight.figures.fuel_burned.get());
        $row.co2_grams = Set(flight.figures.co2.get());
        $row.saf_reduction_grams = Set(flight.figures.saf_reduction.get());
        $row.net_co2_grams = Set(flight.figures.net_co2.get());
        $row.legs = Set((!flight.legs.is_empty())
            .then(|| serde_json::to_string(&flight.legs).expect("legs serialize")));
        $row.passengers = Set(flight.passengers.map(|count| i32::from(count.get())));
        $row.non_co2 = Set(flight.non_co2);
    }};
}
pub(crate) use set_flight_columns;

impl TryFrom<estimate::Model> for Estimate {
    type Error = DbErr;

    fn try_from(row: estimate::Model) -> Result<Self, DbErr> {
        let flight = flight_of_row!(row);
        Ok(Estimate {
            id: row.id,
            aircraft_id: row.aircraft_id,
            flight,
            pricing: Pricing {
                listing: row.listing_id,
                unit_price: Money::new(row.unit_price_minor, row.currency),
                fee: FeeBps::new(row.fee_bps as u32).map_err(DbErr::Custom)?,
            },
            created_at: row.created_at,
            expires_at: row.expires_at,
        })
    }
}

impl TryFrom<emission::Model> for Emission {
    type Error = DbErr;

    fn try_from(row: emission::Model) -> Result<Self, DbErr> {
        let flight = flight_of_row!(row);
        Ok(Emission {
            id: row.id,
            aircraft_id: row.aircraft_id,
            flight,
            estimate_id: row.estimate_id,
            tail_number: row.tail_number,
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
        .map(Emission::try_from)
        .collect::<Result<_, _>>()?)
}

pub async fn find_estimate(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    id: EstimateId,
) -> Result<Option<Estimate>> {
    let row = estimate::Entity::find_by_id(id)
        .filter(estimate::Column::OrganizationId.eq(organization))
        .one(db)
        .await?;
    Ok(row.map(Estimate::try_from).transpose()?)
}

pub async fn find_emission(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    id: EmissionId,
) -> Result<Option<Emission>> {
    let row = emission::Entity::find_by_id(id)
        .filter(emission::Column::OrganizationId.eq(organization))
        .one(db)
        .await?;
    Ok(row.map(Emission::try_from).transpose()?)
}

pub async fn find_many(db: &impl ConnectionTrait, ids: &[EmissionId]) -> Result<Vec<Emission>> {
    let rows = emission::Entity::find()
        .filter(crate::db::any_of(
            db.get_database_backend(),
            emission::Column::Id,
            ids.iter().map(|id| id.0),
        ))
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
    pub external_reference: Option<crate::retries::ExternalReference>,
}

pub fn select_emissions(
    organization: OrganizationId,
    filter: &EmissionFilter,
) -> Select<emission::Entity> {
    let mut select =
        emission::Entity::find().filter(emission::Column::OrganizationId.eq(organization));
    if let Some(tail) = &filter.tail_number {
        select = select.filter(emission::Column::TailNumber.eq(tail.clone()));
    }
    if let Some(from) = filter.departed_from {
        select = select.filter(emission::Column::DepartedAt.gte(from));
    }
    if let Some(to) = filter.departed_to {
        select = select.filter(emission::Column::DepartedAt.lt(to));
    }
    if let Some(reference) = &filter.external_reference {
        select = select.filter(emission::Column::ExternalReference.eq(reference.as_str()));
    }
    select
}

pub fn select_for_aircraft(aircraft: AircraftId) -> Select<emission::Entity> {
    emission::Entity::find().filter(emission::Column::AircraftId.eq(aircraft))
}

pub fn select_estimates_for_aircraft(aircraft: AircraftId) -> Select<estimate::Entity> {
    estimate::Entity::find().filter(estimate::Column::AircraftId.eq(aircraft))
}

/// One page of emissions for each of several aircraft, in one statement: rows are numbered
/// per aircraft and cut at the page's fetch limit.
pub async fn pages_for_aircraft(
    db: &impl ConnectionTrait,
    aircraft: &[AircraftId],
    page: Page,
) -> Result<Vec<Emission>> {
    // Counted from the end for a backward page: rows come newest first, as `Page::apply`.
    let (rank_order, order) = if page.is_backward() {
        ("DESC", sea_orm::Order::Desc)
    } else {
        ("ASC", sea_orm::Order::Asc)
    };
    let mut ranked = Query::select();
    ranked
        .column(Asterisk)
        .expr_as(
            Expr::cust(format!(
                "ROW_NUMBER() OVER (PARTITION BY aircraft_id ORDER BY id {rank_order})"
            )),
            Alias::new("page_rank"),
        )
        .from(emission::Entity)
        .and_where(crate::db::any_of(
            db.get_database_backend(),
            emission::Column::AircraftId,
            aircraft.iter().map(|id| id.0),
        ));
    if let Some(after) = page.after {
        ranked.and_where(Expr::col(emission::Column::Id).gt(after));
    }
    if let Some(before) = page.before {
        ranked.and_where(Expr::col(emission::Column::Id).lt(before));
    }
    let query = Query::select()
        .column(Asterisk)
        .from_subquery(ranked.to_owned(), Alias::new("ranked"))
        .and_where(Expr::col(Alias::new("page_rank")).lte(page.fetch_limit() as i64))
        .order_by(emission::Column::Id, order)
        .to_owned();
    let statement = db.get_database_backend().build(&query);
    let rows = emission::Entity::find()
        .from_raw_sql(statement)
        .all(db)
        .await?;
    rows_to_emissions(rows)
}
