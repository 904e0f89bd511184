use std::collections::HashSet;

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use crate::api::context::ContextExt;
use crate::api::errors::{ApiError, ApiResult};
use crate::api::id::parse;
use crate::api::loaders::{CertificateOf, TimelineOf, load_now};
use crate::api::pagination::{PageArgs, Paginated, TotalCount, connection, page};
use crate::api::types::enums::{PaymentStatus, RetirementStatus};
use crate::api::types::payment::PaymentNode;
use crate::api::types::quote::QuoteNode;
use crate::ids::{ProvisionId, QuoteId};
use crate::payments::{self, Payment, PaymentFilter, entity::payment};

/// Which payments to list; every field given must match.
#[derive(InputObject, Default)]
pub struct PaymentFilterInput {
    /// In this status.
    pub status: Option<PaymentStatus>,
    /// In this retirement status.
    pub retirement_status: Option<RetirementStatus>,
    /// Created at or after this instant.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before this instant (must be after `createdFrom`).
    pub created_to: Option<DateTime<Utc>>,
    /// The checkout opened with this reference.
    pub external_reference: Option<String>,
}

/// Loads what a page of payments selects of its relations in one batch each.
async fn preload(ctx: &Context<'_>, payments: &[Payment]) -> ApiResult<()> {
    let selection = ctx.look_ahead();
    let nodes = [
        selection.field("edges").field("node"),
        selection.field("nodes"),
    ];
    let selects = |field: &str| nodes.iter().any(|node| node.field(field).exists());
    let provisions: HashSet<ProvisionId> = payments.iter().map(|p| p.provision_id).collect();
    if ["provision", "beneficiaryName", "retirementMessage"]
        .iter()
        .any(|field| selects(field))
    {
        load_now(ctx.loader(), provisions.iter().copied()).await?;
    }
    if selects("certificate") {
        load_now(ctx.loader(), provisions.iter().copied().map(CertificateOf)).await?;
    }
    if selects("quote") {
        let quotes: HashSet<QuoteId> = payments.iter().filter_map(|p| p.quote_id).collect();
        load_now(ctx.loader(), quotes).await?;
    }
    if selects("events") {
        load_now(ctx.loader(), payments.iter().map(|p| TimelineOf(p.id))).await?;
    }
    Ok(())
}

#[derive(Default)]
pub struct PaymentsQuery;

#[Object]
impl PaymentsQuery {
    /// The organization's payments through the hosted checkout, oldest first. Needs your API
    /// key.
    async fn payments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the payments that match; all when null.")] filter: Option<
            PaymentFilterInput,
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
    ) -> ApiResult<Paginated<PaymentNode>> {
        let organization = ctx.organization()?;
        let filter = filter.unwrap_or_default();
        if let (Some(from), Some(to)) = (filter.created_from, filter.created_to)
            && from >= to
        {
            return Err(ApiError::bad_input(
                "createdTo",
                "must be after `createdFrom`",
            ));
        }
        let filter = PaymentFilter {
            status: filter.status.map(Into::into),
            retirement_status: filter.retirement_status.map(Into::into),
            created_from: filter.created_from,
            created_to: filter.created_to,
            external_reference: filter
                .external_reference
                .map(|input| {
                    crate::retries::ExternalReference::parse(&input)
                        .map_err(|message| ApiError::bad_input("externalReference", message))
                })
                .transpose()?,
        };
        let page = page(PageArgs {
            first,
            after,
            last,
            before,
        })
        .await?;
        let select = payments::select_payments(organization, &filter);
        let total = TotalCount::of(&select);
        let rows = page
            .apply(select, payment::Column::Id)
            .all(ctx.db())
            .await?;
        preload(ctx, &rows).await?;
        Ok(connection(
            rows,
            page,
            total,
            |payment| payment.id.0,
            PaymentNode,
        ))
    }

    /// One of your payments; `NOT_FOUND` when the ID names none of them.
    async fn payment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The payment's global ID.")] id: ID,
    ) -> ApiResult<Option<PaymentNode>> {
        let organization = ctx.organization()?;
        let id = parse(&id, "id")?;
        payments::find(ctx.db(), organization, id)
            .await?
            .map(|payment| Some(PaymentNode(payment)))
            .ok_or_else(|| ApiError::not_found("Payment"))
    }

    /// One of your quotes; `NOT_FOUND` when the ID names none of them.
    async fn quote(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The quote's global ID.")] id: ID,
    ) -> ApiResult<Option<QuoteNode>> {
        let organization = ctx.organization()?;
        let id = parse(&id, "id")?;
        payments::quotes::find(ctx.db(), organization, id)
            .await?
            .map(|quote| Some(QuoteNode(quote)))
            .ok_or_else(|| ApiError::not_found("Quote"))
    }
}
