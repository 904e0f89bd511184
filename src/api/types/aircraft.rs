use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use super::aircraft_model::AircraftModelNode;
use super::emission::{EmissionNode, Listed, listed_whole, preload};
use super::enums::FuelType;
use crate::api::context::ContextExt;
use crate::api::errors::{ApiError, ApiResult};
use crate::api::id::GlobalId;
use crate::api::loaders::AircraftEmissions;
use crate::api::pagination::{PageArgs, Paginated, TotalCount, connection, page};
use crate::fleet::Aircraft;

pub struct AircraftNode(pub Aircraft);

/// An aircraft of the organization's fleet.
#[Object(name = "Aircraft")]
impl AircraftNode {
    /// Global ID (for `node(id:)`).
    pub async fn id(&self) -> ID {
        self.0.id.to_id()
    }

    /// Civil registration, normalised (upper case, no spaces).
    async fn tail_number(&self) -> &str {
        self.0.tail_number.as_str()
    }

    /// Its aircraft type in the catalog, which gives the fuel burn of its estimates.
    async fn model(&self) -> ApiResult<AircraftModelNode> {
        crate::catalog::find(&self.0.model_code)
            .map(AircraftModelNode)
            .ok_or_else(|| ApiError::not_found("AircraftModel"))
    }

    /// The fuel this aircraft usually burns; estimates default to it.
    async fn fuel_type(&self) -> FuelType {
        self.0.fuel_type.into()
    }

    /// When it was registered.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it was last changed (registered, updated or archived).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// When it was removed from the fleet but kept for its recorded history; null while it is
    /// active.
    async fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.0.archived_at
    }

    /// Emissions recorded for this aircraft, oldest first.
    async fn emissions(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Page forward: at most this many items (1 to 100) from the start, or after `after`. When neither `first` nor `last` is given: the first 20."
        )]
        first: Option<i32>,
        #[graphql(desc = "Only items after this cursor (an edge's `cursor` of this same list).")]
        after: Option<String>,
        #[graphql(
            desc = "Page backward: at most this many items (1 to 100) from the end, or before `before`. Give `first` or `last`, not both."
        )]
        last: Option<i32>,
        #[graphql(desc = "Only items before this cursor (an edge's `cursor` of this same list).")]
        before: Option<String>,
    ) -> ApiResult<Paginated<EmissionNode>> {
        let page = page(PageArgs {
            first,
            after,
            last,
            before,
        })
        .await?;
        let key = AircraftEmissions {
            aircraft: self.0.id,
            page,
        };
        let rows = ctx.loader().load_one(key).await?.unwrap_or_default();
        let listed: Vec<Listed> = rows.into_iter().map(listed_whole).collect();
        let preloaded = preload(ctx, &listed).await?;
        let total = TotalCount::of(&crate::emissions::select_for_aircraft(self.0.id));
        Ok(connection(
            listed,
            page,
            total,
            |(emission, _)| emission.id.0,
            |listed| preloaded.node(listed),
        ))
    }
}
