//! The monthly invoice of provisions billed to an organization.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect, Select};

use crate::error::Result;
use crate::ids::OrganizationId;
use crate::provisions::entity::provision;
use crate::provisions::{Billing, ProvisionStatus, select_provisions};
use crate::units::{Currency, Grams, Money};

/// An invoice month `YYYY-MM`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InvoiceMonth(String);

impl InvoiceMonth {
    pub fn parse(input: &str) -> Result<Self, String> {
        let valid = input.len() == 7
            && chrono::NaiveDate::parse_from_str(&format!("{input}-01"), "%Y-%m-%d").is_ok()
            && input.as_bytes()[4] == b'-';
        if valid {
            Ok(InvoiceMonth(input.to_owned()))
        } else {
            Err(format!(
                "{} is not a month (YYYY-MM)",
                crate::error::quote(input)
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A month of provisions billed to the organization, totalled exactly in the database.
pub struct Invoice {
    pub organization: OrganizationId,
    pub month: InvoiceMonth,
    pub quantity: Grams,
    /// The amount due in each currency the month was billed in.
    pub totals: Vec<Money>,
    /// The amount due when the month has one currency (zero, in the default listing's
    /// currency, for a month without provisions); `None` when it mixes currencies.
    pub total: Option<Money>,
}

/// The organization's provisions billed on the month's invoice (cancelled ones excluded).
pub fn select_invoiced(
    organization: OrganizationId,
    month: &InvoiceMonth,
) -> Select<provision::Entity> {
    select_provisions(organization)
        .filter(provision::Column::Billing.eq(Billing::Invoice))
        .filter(provision::Column::InvoiceMonth.eq(month.as_str()))
        .filter(provision::Column::Status.is_in(ProvisionStatus::OFFSETTING))
}

pub async fn invoice(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    month: InvoiceMonth,
) -> Result<Invoice> {
    let rows: Vec<(Currency, i64, i64)> = select_invoiced(organization, &month)
        .select_only()
        .column(provision::Column::Currency)
        .column_as(
            Expr::cust("CAST(SUM(quantity_grams) AS BIGINT)"),
            "quantity",
        )
        .column_as(Expr::cust("CAST(SUM(price_minor) AS BIGINT)"), "price")
        .group_by(provision::Column::Currency)
        .order_by_asc(provision::Column::Currency)
        .into_tuple()
        .all(db)
        .await?;
    let quantity = rows.iter().map(|(_, grams, _)| Grams::new(*grams)).sum();
    let totals: Vec<Money> = rows
        .into_iter()
        .map(|(currency, _, price)| Money::new(price, currency))
        .collect();
    let total = match totals.as_slice() {
        [] => {
            let currency = crate::credits::default_listing(db)
                .await?
                .map_or(Currency::Usd, |listing| listing.unit_price.currency);
            Some(Money::new(0, currency))
        }
        [total] => Some(*total),
        _ => None,
    };
    Ok(Invoice {
        organization,
        month,
        quantity,
        totals,
        total,
    })
}
