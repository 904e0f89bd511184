use std::collections::HashSet;

use async_graphql::{Context, Object};

use crate::api::context::ContextExt;
use crate::api::errors::{ApiError, ApiResult};
use crate::api::inputs;
use crate::api::loaders::{AircraftEmissions, ModelCode};
use crate::api::pagination::{Paginated, TotalCount, connection, page};
use crate::api::types::aircraft::AircraftNode;
use crate::fleet::{self, Aircraft};

#[derive(Default)]
pub struct FleetQuery;

#[Object]
impl FleetQuery {
    /// The organization's aircraft in registration order.
    async fn fleet(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(default = false)] include_archived: bool,
    ) -> ApiResult<Paginated<AircraftNode>> {
        let organization = ctx.organization()?;
        let page = page(first, after).await?;
        let select = fleet::select_fleet(organization, include_archived);
        let total = TotalCount::of(&select);
        let aircraft = page
            .apply(select, fleet::entity::Column::Id)
            .all(ctx.db())
            .await?;
        preload(ctx, &aircraft).await?;
        Ok(connection(
            aircraft,
            page,
            total,
            |aircraft| aircraft.id.0,
            AircraftNode,
        ))
    }

    /// The active aircraft with this tail number.
    async fn aircraft(
        &self,
        ctx: &Context<'_>,
        tail_number: String,
    ) -> ApiResult<Option<AircraftNode>> {
        let organization = ctx.organization()?;
        let tail = inputs::tail_number(&tail_number, "tailNumber")?;
        fleet::find_by_tail(ctx.db(), organization, &tail)
            .await?
            .map(|aircraft| Some(AircraftNode(aircraft)))
            .ok_or_else(|| ApiError::not_found(format!("Aircraft {tail}")))
    }
}

/// Loads what a page of aircraft needs in one batch per relation: their models, and each
/// page of emissions the query asks of them (one batch per distinct `first`/`after`).
async fn preload(ctx: &Context<'_>, aircraft: &[Aircraft]) -> ApiResult<()> {
    let selection = ctx.look_ahead();
    let nodes = [
        selection.field("edges").field("node"),
        selection.field("nodes"),
    ];
    if nodes.iter().any(|node| node.field("model").exists()) {
        let codes: HashSet<ModelCode> = aircraft
            .iter()
            .map(|aircraft| ModelCode(aircraft.model_code.clone()))
            .collect();
        ctx.loader().load_many(codes).await?;
    }
    for field in nodes
        .iter()
        .flat_map(|node| node.field("emissions").selection_fields())
    {
        // Arguments the field cannot use are reported by the field itself.
        let Ok(arguments) = field.arguments() else {
            continue;
        };
        let argument = |name: &str| {
            arguments
                .iter()
                .find(|(key, _)| key.as_str() == name)
                .map(|(_, value)| value)
        };
        let first = argument("first").and_then(|value| match value {
            async_graphql::Value::Number(number) => {
                number.as_i64().and_then(|n| i32::try_from(n).ok())
            }
            _ => None,
        });
        let after = argument("after").and_then(|value| match value {
            async_graphql::Value::String(cursor) => Some(cursor.clone()),
            _ => None,
        });
        if let Ok(page) = page(first, after).await {
            let keys = aircraft.iter().map(|aircraft| AircraftEmissions {
                aircraft: aircraft.id,
                page,
            });
            ctx.loader().load_many(keys).await?;
        }
    }
    Ok(())
}
