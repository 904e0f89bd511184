use std::collections::HashSet;

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use crate::api::context::ContextExt;
use crate::api::errors::{ApiError, ApiResult};
use crate::api::id::parse;
use crate::api::loaders::{CertificateOf, TimelineOf};
use crate::api::pagination::{Paginated, TotalCount, connection, page};
use crate::api::types::enums::{PaymentStatus, RetirementStatus};
use crate::api::types::payment::PaymentNode;
use crate::api::types::quote::QuoteNode;
use crate::ids::{ProvisionId, QuoteId};
use crate::payments::{self, Payment, PaymentFilter, entity::payment};

#[derive(InputObject, Default)]
pub struct PaymentFilterInput {
    pub status: Option<PaymentStatus>,
    pub retirement_status: Option<RetirementStatus>,
    /// Created at or after this instant.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before this instant.
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
        ctx.loader().load_many(provisions.iter().copied()).await?;
    }
    if selects("certificate") {
        ctx.loader()
            .load_many(provisions.iter().copied().map(CertificateOf))
            .await?;
    }
    if selects("quote") {
        let quotes: HashSet<QuoteId> = payments.iter().filter_map(|p| p.quote_id).collect();
        ctx.loader().load_many(quotes).await?;
    }
    if selects("events") {
        ctx.loader()
            .load_many(payments.iter().map(|p| TimelineOf(p.id)))
            .await?;
    }
    Ok(())
}

#[derive(Default)]
pub struct PaymentsQuery;

#[Object]
impl PaymentsQuery {
    /// The organization's payments through the hosted checkout, oldest first.
    async fn payments(
        &self,
        ctx: &Context<'_>,
        filter: Option<PaymentFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Paginated<PaymentNode>> {
        let organization = ctx.organization()?;
        let filter = filter.unwrap_or_default();
        if let (Some(from), Some(to)) = (filter.created_from, filter.created_to)
            && from >= to
        {
            return Err(ApiError::bad_input(
                "createdTo",
                "must be after createdFrom",
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
        let page = page(first, after).await?;
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

    async fn payment(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<PaymentNode>> {
        let organization = ctx.organization()?;
        let id = parse(&id, "id")?;
        payments::find(ctx.db(), organization, id)
            .await?
            .map(|payment| Some(PaymentNode(payment)))
            .ok_or_else(|| ApiError::not_found("Payment"))
    }

    async fn quote(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<QuoteNode>> {
        let organization = ctx.organization()?;
        let id = parse(&id, "id")?;
        payments::quotes::find(ctx.db(), organization, id)
            .await?
            .map(|quote| Some(QuoteNode(quote)))
            .ok_or_else(|| ApiError::not_found("Quote"))
    }
}
