use async_graphql::{Context, Object};

use crate::api::context::ContextExt;
use crate::api::errors::{ApiError, ApiResult};
use crate::api::inputs;
use crate::api::loaders::AircraftEmissions;
use crate::api::pagination::{PageArgs, Paginated, TotalCount, connection, page};
use crate::api::types::aircraft::AircraftNode;
use crate::fleet::{self, Aircraft};

#[derive(Default)]
pub struct FleetQuery;

#[Object]
impl FleetQuery {
    /// The organization's aircraft in registration order. Needs your API key.
    async fn fleet(
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
        #[graphql(
            default = false,
            desc = "Also list aircraft removed from the fleet but kept for their history."
        )]
        include_archived: bool,
    ) -> ApiResult<Paginated<AircraftNode>> {
        let organization = ctx.organization()?;
        let page = page(PageArgs {
            first,
            after,
            last,
            before,
        })
        .await?;
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

    /// The active aircraft with this tail number; `NOT_FOUND` when there is none in your
    /// fleet.
    async fn aircraft(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A civil registration, e.g. `N123AB` (case and spaces do not matter).")]
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

/// Loads each page of emissions the query asks of a page of aircraft in one batch (one per
/// distinct `first`/`after`).
async fn preload(ctx: &Context<'_>, aircraft: &[Aircraft]) -> ApiResult<()> {
    let selection = ctx.look_ahead();
    let nodes = [
        selection.field("edges").field("node"),
        selection.field("nodes"),
    ];
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
        let last = argument("last").and_then(|value| match value {
            async_graphql::Value::Number(number) => {
                number.as_i64().and_then(|n| i32::try_from(n).ok())
            }
            _ => None,
        });
        let cursor = |name| {
            argument(name).and_then(|value| match value {
                async_graphql::Value::String(cursor) => Some(cursor.clone()),
                _ => None,
            })
        };
        let args = PageArgs {
            first,
            after: cursor("after"),
            last,
            before: cursor("before"),
        };
        if let Ok(page) = page(args).await {
            let keys = aircraft.iter().map(|aircraft| AircraftEmissions {
                aircraft: aircraft.id,
                page,
            });
            ctx.loader().load_many(keys).await?;
        }
    }
    Ok(())
}
