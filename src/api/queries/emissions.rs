use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use crate::accounting::offsets;
use crate::api::context::ContextExt;
use crate::api::errors::{ApiError, ApiResult};
use crate::api::id::parse;
use crate::api::inputs;
use crate::api::pagination::{PageArgs, Paginated, TotalCount, connection, page};
use crate::api::types::emission::{EmissionNode, preload, read_page};
use crate::api::types::enums::OffsetStatus;
use crate::emissions::{self, EmissionFilter};

/// Which emissions to list; every field given must match.
#[derive(InputObject, Default)]
pub struct EmissionFilterInput {
    /// Recorded under this tail number.
    pub tail_number: Option<String>,
    /// Departed at or after this instant.
    pub departed_from: Option<DateTime<Utc>>,
    /// Departed before this instant (must be after `departedFrom`).
    pub departed_to: Option<DateTime<Utc>>,
    /// Offset this far.
    pub offset_status: Option<OffsetStatus>,
    /// The emission recorded with this reference.
    pub external_reference: Option<String>,
}

impl EmissionFilterInput {
    fn parse(self) -> ApiResult<(EmissionFilter, Option<offsets::OffsetStatus>)> {
        if let (Some(from), Some(to)) = (self.departed_from, self.departed_to)
            && from >= to
        {
            return Err(ApiError::bad_input(
                "departedTo",
                "must be after `departedFrom`",
            ));
        }
        let filter = EmissionFilter {
            tail_number: self
                .tail_number
                .as_deref()
                .map(|tail| inputs::tail_number(tail, "tailNumber"))
                .transpose()?,
            departed_from: self.departed_from,
            departed_to: self.departed_to,
            external_reference: inputs::optional(
                self.external_reference.as_deref(),
                "externalReference",
                crate::retries::ExternalReference::parse,
            )?,
        };
        Ok((filter, self.offset_status.map(Into::into)))
    }
}

#[derive(Default)]
pub struct EmissionsQuery;

#[Object]
impl EmissionsQuery {
    /// The organization's recorded emissions, oldest first. Needs your API key.
    async fn emissions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the emissions that match; all when null.")] filter: Option<
            EmissionFilterInput,
        >,
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
        let organization = ctx.organization()?;
        let (filter, offset_status) = filter.unwrap_or_default().parse()?;
        let page = page(PageArgs {
            first,
            after,
            last,
            before,
        })
        .await?;
        let mut select = emissions::select_emissions(organization, &filter);
        if let Some(status) = offset_status {
            select = offsets::with_status(select, status);
        }
        let total = TotalCount::of(&select);
        let listed = read_page(
            ctx,
            page.apply(select, emissions::entity::emission::Column::Id),
        )
        .await?;
        let preloaded = preload(ctx, &listed).await?;
        Ok(connection(
            listed,
            page,
            total,
            |(emission, _)| emission.id.0,
            |listed| preloaded.node(listed),
        ))
    }

    /// One of your emissions; `NOT_FOUND` when the ID names none of them.
    async fn emission(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The emission's global ID.")] id: ID,
    ) -> ApiResult<Option<EmissionNode>> {
        let organization = ctx.organization()?;
        let id = parse(&id, "id")?;
        emissions::find_emission(ctx.db(), organization, id)
            .await?
            .map(|emission| Some(EmissionNode::from(emission)))
            .ok_or_else(|| ApiError::not_found("Emission"))
    }
}
