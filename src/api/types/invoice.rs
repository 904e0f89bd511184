use async_graphql::{Context, ID, Object};
use rust_decimal::Decimal;

use super::money::MoneyObject;
use super::provision::ProvisionNode;
use crate::accounting::invoices::{self, Invoice, InvoiceMonth};
use crate::api::context::ContextExt;
use crate::api::errors::ApiResult;
use crate::api::id::{NodeKind, encode};
use crate::api::pagination::{PageArgs, Paginated, page};
use crate::api::queries::provisions::page_of_provisions;
use crate::ids::OrganizationId;

/// A month of provisions billed to the organization.
pub struct InvoiceObject(pub Invoice);

impl InvoiceObject {
    /// The global ID's key: an invoice is an organization's month.
    pub fn key(organization: OrganizationId, month: &InvoiceMonth) -> String {
        format!("{}:{}", organization.0, month.as_str())
    }
}

/// A month of provisions billed to the organization's invoice (those paid through the hosted
/// checkout are not on it).
#[Object(name = "Invoice")]
impl InvoiceObject {
    /// Global ID (for `node(id:)`).
    pub async fn id(&self) -> ID {
        encode(
            NodeKind::Invoice,
            Self::key(self.0.organization, &self.0.month),
        )
    }

    /// The month, `YYYY-MM` (provisions are billed on their month of creation, UTC).
    async fn month(&self) -> &str {
        self.0.month.as_str()
    }

    /// The month's confirmed and retired provisions billed by invoice (cancelled ones are not
    /// billed).
    async fn provisions(
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
    ) -> ApiResult<Paginated<ProvisionNode>> {
        let organization = ctx.organization()?;
        let page = page(PageArgs {
            first,
            after,
            last,
            before,
        })
        .await?;
        let select = invoices::select_invoiced(organization, &self.0.month);
        page_of_provisions(ctx, select, page).await
    }

    /// Tonnes of CO2 removal billed (6 decimals).
    async fn total_tonnes(&self) -> Decimal {
        self.0.quantity.tonnes()
    }

    /// The amount due, fee included; null when the month mixes currencies (see `totals`). A
    /// month without provisions is zero in the default listing's currency.
    async fn total(&self) -> Option<MoneyObject> {
        self.0.total.map(Into::into)
    }

    /// The amount due in each currency, fee included (empty for a month without provisions).
    async fn totals(&self) -> Vec<MoneyObject> {
        self.0.totals.iter().map(|total| (*total).into()).collect()
    }
}
