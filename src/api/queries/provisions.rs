use async_graphql::{Context, ID, InputObject, Object};
use sea_orm::{ColumnTrait, QueryFilter, Select};

use crate::accounting::invoices::{self, InvoiceMonth};
use crate::api::context::ContextExt;
use crate::api::errors::{ApiError, ApiResult};
use crate::api::id::parse;
use crate::api::pagination::{PageArgs, Paginated, TotalCount, connection, page};
use crate::api::types::enums::ProvisionStatus;
use crate::api::types::invoice::InvoiceObject;
use crate::api::types::provision::{ProvisionNode, preload};
use crate::paging::Page;
use crate::provisions::{self, entity::provision};
use crate::retries::ExternalReference;

/// Which provisions to list; every field given must match.
#[derive(InputObject, Default)]
pub struct ProvisionFilterInput {
    /// In this status.
    pub status: Option<ProvisionStatus>,
    /// `YYYY-MM` of creation (UTC).
    pub month: Option<String>,
    /// The provision made with this reference.
    pub external_reference: Option<String>,
}

fn month(input: &str) -> ApiResult<InvoiceMonth> {
    InvoiceMonth::parse(input).map_err(|message| ApiError::bad_input("month", message))
}

/// A page of provisions, with what the query selects of them preloaded.
pub async fn page_of_provisions(
    ctx: &Context<'_>,
    select: Select<provision::Entity>,
    page: Page,
) -> ApiResult<Paginated<ProvisionNode>> {
    let total = TotalCount::of(&select);
    let rows = page
        .apply(select, provision::Column::Id)
        .all(ctx.db())
        .await?;
    let provisions = provisions::rows_to_provisions(rows)?;
    preload(ctx, &provisions).await?;
    Ok(connection(
        provisions,
        page,
        total,
        |provision| provision.id.0,
        ProvisionNode,
    ))
}

#[derive(Default)]
pub struct ProvisionsQuery;

#[Object]
impl ProvisionsQuery {
    /// The organization's provisions, oldest first. Needs your API key.
    async fn provisions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the provisions that match; all when null.")] filter: Option<
            ProvisionFilterInput,
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
    ) -> ApiResult<Paginated<ProvisionNode>> {
        let organization = ctx.organization()?;
        let filter = filter.unwrap_or_default();
        let page = page(PageArgs {
            first,
            after,
            last,
            before,
        })
        .await?;
        let mut select = provisions::select_provisions(organization);
        if let Some(status) = filter.status {
            select = select
                .filter(provision::Column::Status.eq(provisions::ProvisionStatus::from(status)));
        }
        if let Some(input) = filter.month {
            select = select.filter(provision::Column::InvoiceMonth.eq(month(&input)?.as_str()));
        }
        if let Some(input) = filter.external_reference {
            let reference = ExternalReference::parse(&input)
                .map_err(|message| ApiError::bad_input("externalReference", message))?;
            select = select.filter(provision::Column::ExternalReference.eq(reference.as_str()));
        }
        page_of_provisions(ctx, select, page).await
    }

    /// One of your provisions; `NOT_FOUND` when the ID names none of them.
    async fn provision(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The provision's global ID.")] id: ID,
    ) -> ApiResult<Option<ProvisionNode>> {
        let organization = ctx.organization()?;
        let id = parse(&id, "id")?;
        provisions::find(ctx.db(), organization, id)
            .await?
            .map(|provision| Some(ProvisionNode(provision)))
            .ok_or_else(|| ApiError::not_found("Provision"))
    }

    /// The organization's invoice for a month (`YYYY-MM`), so far for the current month.
    async fn invoice(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "`YYYY-MM`, e.g. `2026-11` (else `BAD_USER_INPUT`).")] month: String,
    ) -> ApiResult<InvoiceObject> {
        let organization = ctx.organization()?;
        let month = self::month(&month)?;
        let invoice = invoices::invoice(ctx.db(), organization, month).await?;
        Ok(InvoiceObject(invoice))
    }
}
