use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::aircraft::AircraftNode;
use super::enums::OffsetStatus;
use super::flight::{FlightFields, Methodology};
use super::provision::ProvisionNode;
use crate::accounting::offsets::Coverage;
use crate::api::context::ContextExt;
use crate::api::errors::ApiResult;
use crate::api::id::GlobalId;
use crate::api::loaders::{CoverageOf, load_now};
use crate::emissions::Emission;
use crate::fleet::Aircraft;
use crate::ids::AircraftId;

pub struct EmissionNode {
    emission: Emission,
    /// Its relations as [`preload`] loaded them for its page, so that its fields need not ask
    /// the loader again (hundreds of lookups on a page of 100); the loader's otherwise.
    aircraft: Option<Aircraft>,
    coverage: Option<Arc<Coverage>>,
}

impl From<Emission> for EmissionNode {
    fn from(emission: Emission) -> Self {
        EmissionNode {
            emission,
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
        self.emission.id.to_id()
    }

    /// The aircraft that flew (it may since have been archived).
    async fn aircraft(&self, ctx: &Context<'_>) -> ApiResult<AircraftNode> {
        match &self.aircraft {
            Some(aircraft) => Ok(AircraftNode(aircraft.clone())),
            None => super::flight::aircraft(ctx, self.emission.aircraft_id).await,
        }
    }

    /// The tail number the flight was recorded under.
    async fn tail_number(&self) -> &str {
        self.emission.tail_number.as_str()
    }

    /// Global ID of the estimate it was recorded from; null when recorded from flight data.
    async fn estimate_id(&self) -> Option<ID> {
        self.emission.estimate_id.map(GlobalId::to_id)
    }

    #[graphql(flatten)]
    async fn flight(&self) -> FlightFields<'_> {
        FlightFields(&self.emission.flight)
    }

    /// Departure time; null when it was not given.
    async fn departed_at(&self) -> Option<DateTime<Utc>> {
        self.emission.departed_at
    }

    /// Departure airport (ICAO code; as given, upper case, for flights recorded before
    /// `contrail-2026.2`); null when it was not given.
    async fn origin(&self) -> Option<&str> {
        self.emission.origin.as_deref()
    }

    /// Arrival airport (ICAO code; as given, upper case, for flights recorded before
    /// `contrail-2026.2`); null when it was not given.
    async fn destination(&self) -> Option<&str> {
        self.emission.destination.as_deref()
    }

    /// Your own identifier of the flight; null without one.
    async fn external_reference(&self) -> Option<&str> {
        self.emission.external_reference.as_deref()
    }

    /// CO2 offset by the confirmed and retired provisions covering this emission, kilograms
    /// (3 decimals): each covers its emissions in proportion to their net CO2.
    async fn offset_kg(&self, ctx: &Context<'_>) -> ApiResult<Decimal> {
        Ok(self.coverage(ctx).await?.offset().kg())
    }

    /// `offsetKg` as a percentage of `netCo2Kg` (2 decimals at most; 150 when offset 150 %).
    async fn offset_percentage(&self, ctx: &Context<'_>) -> ApiResult<Decimal> {
        let net = self.emission.flight.figures.net_co2;
        Ok(self.coverage(ctx).await?.percentage_of(net))
    }

    /// Whether its net CO2 is offset: none, partly, or fully.
    async fn offset_status(&self, ctx: &Context<'_>) -> ApiResult<OffsetStatus> {
        let net = self.emission.flight.figures.net_co2;
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
    async fn methodology(&self) -> Methodology {
        FlightFields(&self.emission.flight).methodology()
    }

    /// When it was recorded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.emission.created_at
    }
}

impl EmissionNode {
    async fn coverage(&self, ctx: &Context<'_>) -> ApiResult<Arc<Coverage>> {
        if let Some(coverage) = &self.coverage {
            return Ok(coverage.clone());
        }
        Ok(ctx
            .loader()
            .load_one(CoverageOf(self.emission.id))
            .await?
            .unwrap_or_default())
    }
}

/// Fields of an emission read from its coverage.
const COVERAGE_FIELDS: [&str; 4] = ["provisions", "offsetKg", "offsetPercentage", "offsetStatus"];

/// What [`preload`] loaded for a page of emissions.
#[derive(Default)]
pub struct Preloaded {
    aircraft: HashMap<AircraftId, Aircraft>,
    coverage: HashMap<CoverageOf, Arc<Coverage>>,
}

impl Preloaded {
    /// An emission of the page, with what was loaded for it.
    pub fn node(&self, emission: Emission) -> EmissionNode {
        EmissionNode {
            aircraft: self.aircraft.get(&emission.aircraft_id).cloned(),
            coverage: self.coverage.get(&CoverageOf(emission.id)).cloned(),
            emission,
        }
    }
}

/// Loads what a page of emissions relates to, in one statement per relation the query selects
/// (their aircraft, their coverage), so the count of statements depends neither on the page's
/// size nor on how the executor schedules its resolvers.
pub async fn preload(ctx: &Context<'_>, emissions: &[Emission]) -> ApiResult<Preloaded> {
    let selection = ctx.look_ahead();
    let nodes = [
        selection.field("edges").field("node"),
        selection.field("nodes"),
    ];
    let selects = |field: &str| nodes.iter().any(|node| node.field(field).exists());
    let aircraft = async {
        if !selects("aircraft") {
            return Ok(HashMap::new());
        }
        let ids = emissions.iter().map(|emission| emission.aircraft_id);
        load_now(ctx.loader(), ids).await
    };
    let coverage = async {
        if !COVERAGE_FIELDS.iter().any(|field| selects(field)) {
            return Ok(HashMap::new());
        }
        let ids = emissions.iter().map(|emission| CoverageOf(emission.id));
        load_now(ctx.loader(), ids).await
    };
    let (aircraft, coverage) = tokio::try_join!(aircraft, coverage)?;
    Ok(Preloaded { aircraft, coverage })
}
