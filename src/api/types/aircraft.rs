use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use super::aircraft_model::AircraftModelNode;
use super::emission::{EmissionNode, preload_aircraft};
use super::enums::FuelType;
use crate::api::context::ContextExt;
use crate::api::errors::{ApiError, ApiResult};
use crate::api::id::GlobalId;
use crate::api::loaders::{AircraftEmissions, ModelCode};
use crate::api::pagination::{Paginated, TotalCount, connection, page};
use crate::fleet::Aircraft;

pub struct AircraftNode(pub Aircraft);

/// An aircraft of the organization's fleet.
#[Object(name = "Aircraft")]
impl AircraftNode {
    pub async fn id(&self) -> ID {
        self.0.id.to_id()
    }

    /// Civil registration, normalised (upper case, no spaces).
    async fn tail_number(&self) -> &str {
        self.0.tail_number.as_str()
    }

    async fn model(&self, ctx: &Context<'_>) -> ApiResult<AircraftModelNode> {
        ctx.loader()
            .load_one(ModelCode(self.0.model_code.clone()))
            .await?
            .map(AircraftModelNode)
            .ok_or_else(|| ApiError::not_found("AircraftModel"))
    }

    /// The fuel this aircraft usually burns; estimates default to it.
    async fn fuel_type(&self) -> FuelType {
        self.0.fuel_type.into()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// Set when the aircraft was removed from the fleet but keeps its emission history.
    async fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.0.archived_at
    }

    /// Emissions recorded for this aircraft, oldest first.
    async fn emissions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Paginated<EmissionNode>> {
        let page = page(first, after).await?;
        let key = AircraftEmissions {
            aircraft: self.0.id,
            page,
        };
        let rows = ctx.loader().load_one(key).await?.unwrap_or_default();
        preload_aircraft(ctx, &rows).await?;
        let total = TotalCount::of(&crate::emissions::select_for_aircraft(self.0.id));
        Ok(connection(
            rows,
            page,
            total,
            |emission| emission.id.0,
            EmissionNode,
        ))
    }
}
