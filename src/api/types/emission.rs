use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Context, ID, Lookahead, Object};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::Select;
use tokio::sync::OnceCell;

use super::aircraft::AircraftNode;
use super::enums::OffsetStatus;
use super::flight::{FlightFields, Methodology};
use super::provision::ProvisionNode;
use crate::accounting::offsets::Coverage;
use crate::api::context::ContextExt;
use crate::api::errors::{ApiError, ApiResult};
use crate::api::id::GlobalId;
use crate::api::loaders::{CoverageOf, load_now};
use crate::emissions::entity::emission;
use crate::emissions::{Emission, EmissionSummary, FlightFigures};
use crate::fleet::Aircraft;
use crate::ids::AircraftId;

pub struct EmissionNode {
    summary: EmissionSummary,
    /// Its flight's details: read with it, or at the first field that needs them when a list
    /// read only its summary.
    details: OnceCell<FlightFigures>,
    /// Its relations as [`preload`] loaded them for its page, so that its fields need not ask
    /// the loader again (hundreds of lookups on a page of 100); the loader's otherwise.
    aircraft: Option<Aircraft>,
    coverage: Option<Arc<Coverage>>,
}

impl From<Emission> for EmissionNode {
    fn from(emission: Emission) -> Self {
        let (summary, details) = emission.into_parts();
        EmissionNode {
            summary,
            details: OnceCell::new_with(Some(details)),
            aircraft: None,
            coverage: None,
        }
    }
}

/// A recorded flight and its emissions.
#[Object(name = "Emission")]
impl EmissionNode {
    /// Global ID (for `node(id:)`).
    pub async fn id(&self) -> ID {
        self.summary.id.to_id()
    }

    /// The aircraft that flew (it may since have been archived).
    async fn aircraft(&self, ctx: &Context<'_>) -> ApiResult<AircraftNode> {
        match &self.aircraft {
            Some(aircraft) => Ok(AircraftNode(aircraft.clone())),
            None => super::flight::aircraft(ctx, self.summary.aircraft_id).await,
        }
    }

    /// The tail number the flight was recorded under.
    async fn tail_number(&self) -> &str {
        self.summary.tail_number.as_str()
    }

    /// Global ID of the estimate it was recorded from; null when recorded from flight data.
    async fn estimate_id(&self) -> Option<ID> {
        self.summary.estimate_id.map(GlobalId::to_id)
    }

    #[graphql(flatten)]
    async fn flight(&self) -> FlightFields<'_> {
        FlightFields::Emission(self)
    }

    /// Departure time; null when it was not given.
    async fn departed_at(&self) -> Option<DateTime<Utc>> {
        self.summary.departed_at
    }

    /// Departure airport (ICAO code; as given, upper case, for flights recorded before
    /// `contrail-2026.2`); null when it was not given.
    async fn origin(&self) -> Option<&str> {
        self.summary.origin.as_deref()
    }

    /// Arrival airport (ICAO code; as given, upper case, for flights recorded before
    /// `contrail-2026.2`); null when it was not given.
    async fn destination(&self) -> Option<&str> {
        self.summary.destination.as_deref()
    }

    /// Your own identifier of the flight; null without one.
    async fn external_reference(&self) -> Option<&str> {
        self.summary.external_reference.as_deref()
    }

    /// CO2 offset by the confirmed and retired provisions covering this emission, kilograms
    /// (3 decimals): each covers its emissions in proportion to their net CO2.
    async fn offset_kg(&self, ctx: &Context<'_>) -> ApiResult<Decimal> {
        Ok(self.coverage(ctx).await?.offset().kg())
    }

    /// `offsetKg` as a percentage of `netCo2Kg` (2 decimals at most; 150 when offset 150 %).
    async fn offset_percentage(&self, ctx: &Context<'_>) -> ApiResult<Decimal> {
        let net = self.summary.net_co2;
        Ok(self.coverage(ctx).await?.percentage_of(net))
    }

    /// Whether its net CO2 is offset: none, partly, or fully.
    async fn offset_status(&self, ctx: &Context<'_>) -> ApiResult<OffsetStatus> {
        let net = self.summary.net_co2;
        Ok(self.coverage(ctx).await?.status(net).into())
    }

    /// Provisions linked to this emission, newest first.
    async fn provisions(&self, ctx: &Context<'_>) -> ApiResult<Vec<ProvisionNode>> {
        Ok(self
            .coverage(ctx)
            .await?
            .provisions
            .iter()
            .cloned()
            .map(ProvisionNode)
            .collect())
    }

    /// The methodology version and factors its figures were computed with.
    async fn methodology(&self, ctx: &Context<'_>) -> ApiResult<Methodology> {
        let details = self.details(ctx).await?;
        Ok(Methodology(details.figures.factors.clone()))
    }

    /// When it was recorded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.summary.created_at
    }
}

impl EmissionNode {
    pub(super) fn summary(&self) -> &EmissionSummary {
        &self.summary
    }

    /// Its flight's details, read through the request's loader (in one statement for all the
    /// emissions of a list) when it was listed without them.
    pub(super) async fn details(&self, ctx: &Context<'_>) -> ApiResult<&FlightFigures> {
        self.details
            .get_or_try_init(|| async {
                let emission: Emission = ctx
                    .loader()
                    .load_one(self.summary.id)
                    .await?
                    .ok_or_else(|| ApiError::not_found("Emission"))?;
                Ok(emission.flight)
            })
            .await
    }

    async fn coverage(&self, ctx: &Context<'_>) -> ApiResult<Arc<Coverage>> {
        if let Some(coverage) = &self.coverage {
            return Ok(coverage.clone());
        }
        Ok(ctx
            .loader()
            .load_one(CoverageOf(self.summary.id))
            .await?
            .unwrap_or_default())
    }
}

/// Fields of an emission read from its coverage.
const COVERAGE_FIELDS: [&str; 4] = ["provisions", "offsetKg", "offsetPercentage", "offsetStatus"];

/// Fields of an emission its summary and relations serve; any other reads its flight's
/// details. A field missing here costs a list one statement more, never a wrong answer.
const SUMMARY_FIELDS: [&str; 16] = [
    "__typename",
    "id",
    "aircraft",
    "tailNumber",
    "estimateId",
    "co2Kg",
    "netCo2Kg",
    "departedAt",
    "origin",
    "destination",
    "externalReference",
    "offsetKg",
    "offsetPercentage",
    "offsetStatus",
    "provisions",
    "createdAt",
];

/// An emission of a list: its summary, and its flight's details when they were read.
pub type Listed = (EmissionSummary, Option<FlightFigures>);

/// An emission read whole, for a list.
pub fn listed_whole(emission: Emission) -> Listed {
    let (summary, details) = emission.into_parts();
    (summary, Some(details))
}

/// Reads the emissions of `select` for a list: only their summaries, unless the query selects
/// a field of theirs that needs more.
pub async fn read_page(
    ctx: &Context<'_>,
    select: Select<emission::Entity>,
) -> ApiResult<Vec<Listed>> {
    let reads_details = selected_nodes(ctx).iter().any(|node| {
        node.selection_fields().iter().any(|field| {
            field
                .selection_set()
                .any(|field| !SUMMARY_FIELDS.contains(&field.name()))
        })
    });
    if reads_details {
        let rows = select.all(ctx.db()).await?;
        let emissions = crate::emissions::rows_to_emissions(rows)?;
        return Ok(emissions.into_iter().map(listed_whole).collect());
    }
    let summaries = crate::emissions::summaries(ctx.db(), select).await?;
    Ok(summaries
        .into_iter()
        .map(|summary| (summary, None))
        .collect())
}

/// The emissions of a list as the query selects them: its edges' nodes and its nodes.
fn selected_nodes<'a>(ctx: &'a Context<'a>) -> [Lookahead<'a>; 2] {
    let selection = ctx.look_ahead();
    [
        selection.field("edges").field("node"),
        selection.field("nodes"),
    ]
}

/// What [`preload`] loaded for a page of emissions.
#[derive(Default)]
pub struct Preloaded {
    aircraft: HashMap<AircraftId, Aircraft>,
    coverage: HashMap<CoverageOf, Arc<Coverage>>,
}

impl Preloaded {
    /// An emission of the page, with what was loaded for it.
    pub fn node(&self, (summary, details): Listed) -> EmissionNode {
        EmissionNode {
            aircraft: self.aircraft.get(&summary.aircraft_id).cloned(),
            coverage: self.coverage.get(&CoverageOf(summary.id)).cloned(),
            details: OnceCell::new_with(details),
            summary,
        }
    }
}

/// Loads what a page of emissions relates to, in one statement per relation the query selects
/// (their aircraft, their coverage), so the count of statements depends neither on the page's
/// size nor on how the executor schedules its resolvers.
pub async fn preload(ctx: &Context<'_>, emissions: &[Listed]) -> ApiResult<Preloaded> {
    let nodes = selected_nodes(ctx);
    let selects = |field: &str| nodes.iter().any(|node| node.field(field).exists());
    let aircraft = async {
        if !selects("aircraft") {
            return Ok(HashMap::new());
        }
        let ids = emissions.iter().map(|(emission, _)| emission.aircraft_id);
        load_now(ctx.loader(), ids).await
    };
    let coverage = async {
        if !COVERAGE_FIELDS.iter().any(|field| selects(field)) {
            return Ok(HashMap::new());
        }
        let ids = emissions
            .iter()
            .map(|(emission, _)| CoverageOf(emission.id));
        load_now(ctx.loader(), ids).await
    };
    let (aircraft, coverage) = tokio::try_join!(aircraft, coverage)?;
    Ok(Preloaded { aircraft, coverage })
}
