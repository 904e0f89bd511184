use async_graphql::{Context, Object};
use rust_decimal::Decimal;

use super::money::MoneyObject;
use super::provision::ProvisionNode;
use crate::accounting::invoices::{self, Invoice};
use crate::api::context::ContextExt;
use crate::api::errors::ApiResult;
use crate::api::pagination::{Paginated, page};
use crate::api::queries::provisions::page_of_provisions;

/// A month of provisions billed to the organization.
pub struct InvoiceObject(pub Invoice);

#[Object(name = "Invoice")]
impl InvoiceObject {
    async fn month(&self) -> &str {
        self.0.month.as_str()
    }

    /// The month's confirmed and retired provisions billed by invoice (cancelled ones are not
    /// billed).
    async fn provisions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Paginated<ProvisionNode>> {
        let organization = ctx.organization()?;
        let page = page(first, after).await?;
        let select = invoices::select_invoiced(organization, &self.0.month);
        page_of_provisions(ctx, select, page).await
    }

    async fn total_tonnes(&self) -> Decimal {
        self.0.quantity.tonnes()
    }

    /// The amount due, fee included; null when the month mixes currencies (see `totals`).
    async fn total(&self) -> Option<MoneyObject> {
        self.0.total.map(Into::into)
    }

    /// The amount due in each currency.
    async fn totals(&self) -> Vec<MoneyObject> {
        self.0.totals.iter().map(|total| (*total).into()).collect()
    }
}
