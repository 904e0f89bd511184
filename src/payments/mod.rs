//! Payments through a hosted checkout (SPEC §6, §7): quotes that hold a price, checkouts that
//! hold the credits they sell, and the state machine that learns each payment's outcome from
//! the provider (signed webhooks, or reconciliation when a webhook was lost) and fulfils it
//! exactly once: provision confirmed, credits retired, certificate issued, e-mail sent.

pub mod checkout;
mod email;
pub mod entity;
pub mod fulfilment;
pub mod gateway;
pub mod quotes;
pub mod reconciliation;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DeriveActiveEnum, EntityTrait, EnumIter,
    QueryFilter, QueryOrder, Select, Set,
};

use crate::error::Result;
use crate::ids::{OrganizationId, PaymentId, ProvisionId};
use crate::units::Money;
use entity::{payment, payment_event};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum PaymentStatus {
    /// The checkout is open, or an asynchronous payment has not settled.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "SUCCEEDED")]
    Succeeded,
    #[sea_orm(string_value = "FAILED")]
    Failed,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
    #[sea_orm(string_value = "EXPIRED")]
    Expired,
    #[sea_orm(string_value = "REFUNDED")]
    Refunded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum RetirementStatus {
    #[sea_orm(string_value = "NOT_STARTED")]
    NotStarted,
    /// Paid: the credits are allocated and being retired.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "RETIRED")]
    Retired,
    /// Paid but not served (no credits left, or refunded before retirement).
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

/// Which mutation opened the checkout, which decides where the customer goes afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum PaymentKind {
    /// `createCheckout`: to `successUrl/{paymentId}`, or to `cancelUrl`.
    #[sea_orm(string_value = "CHECKOUT")]
    Checkout,
    /// `createProvisionCheckout`: to `redirectUrl`, or to the thank-you page.
    #[sea_orm(string_value = "PROVISION_CHECKOUT")]
    ProvisionCheckout,
}

pub type Payment = payment::Model;
pub type PaymentEvent = payment_event::Model;

impl payment::Model {
    pub fn amount(&self) -> Money {
        Money::new(self.amount_minor, self.currency)
    }

    /// Whether nothing more will change: subscribers stop following it.
    pub fn is_settled(&self) -> bool {
        match self.status {
            PaymentStatus::Pending => false,
            PaymentStatus::Succeeded => self.retirement_status != RetirementStatus::Pending,
            PaymentStatus::Refunded => self.retirement_status != RetirementStatus::Pending,
            PaymentStatus::Failed | PaymentStatus::Cancelled | PaymentStatus::Expired => true,
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct PaymentFilter {
    pub status: Option<PaymentStatus>,
    pub retirement_status: Option<RetirementStatus>,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_to: Option<DateTime<Utc>>,
    pub external_reference: Option<crate::retries::ExternalReference>,
}

pub fn select_payments(
    organization: OrganizationId,
    filter: &PaymentFilter,
) -> Select<payment::Entity> {
    let mut select =
        payment::Entity::find().filter(payment::Column::OrganizationId.eq(organization));
    if let Some(status) = filter.status {
        select = select.filter(payment::Column::Status.eq(status));
    }
    if let Some(status) = filter.retirement_status {
        select = select.filter(payment::Column::RetirementStatus.eq(status));
    }
    if let Some(from) = filter.created_from {
        select = select.filter(payment::Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.created_to {
        select = select.filter(payment::Column::CreatedAt.lt(to));
    }
    if let Some(reference) = &filter.external_reference {
        select = select.filter(payment::Column::ExternalReference.eq(reference.as_str()));
    }
    select
}

pub async fn find(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    id: PaymentId,
) -> Result<Option<Payment>> {
    Ok(payment::Entity::find_by_id(id)
        .filter(payment::Column::OrganizationId.eq(organization))
        .one(db)
        .await?)
}

pub async fn find_many(db: &impl ConnectionTrait, ids: &[PaymentId]) -> Result<Vec<Payment>> {
    Ok(payment::Entity::find()
        .filter(payment::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// The payment behind a public page, by its unguessable id.
pub async fn find_by_public_id(
    db: &impl ConnectionTrait,
    public_id: &str,
) -> Result<Option<Payment>> {
    if public_id.len() > 64 {
        return Ok(None);
    }
    Ok(payment::Entity::find()
        .filter(payment::Column::PublicId.eq(public_id))
        .one(db)
        .await?)
}

/// The payments of several provisions (a provision has at most one).
pub async fn for_provisions(
    db: &impl ConnectionTrait,
    provisions: &[ProvisionId],
) -> Result<HashMap<ProvisionId, Payment>> {
    let rows = payment::Entity::find()
        .filter(payment::Column::ProvisionId.is_in(provisions.iter().copied()))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.provision_id, row))
        .collect())
}

/// The timelines of several payments, oldest step first.
pub async fn timelines(
    db: &impl ConnectionTrait,
    payments: &[PaymentId],
) -> Result<HashMap<PaymentId, Vec<PaymentEvent>>> {
    let rows = payment_event::Entity::find()
        .filter(payment_event::Column::PaymentId.is_in(payments.iter().copied()))
        .order_by_asc(payment_event::Column::Id)
        .all(db)
        .await?;
    let mut timelines: HashMap<PaymentId, Vec<PaymentEvent>> = HashMap::new();
    for row in rows {
        timelines.entry(row.payment_id).or_default().push(row);
    }
    Ok(timelines)
}

/// Appends the payment's current state to its timeline.
async fn record(db: &impl ConnectionTrait, payment: &Payment, reason: &str) -> Result<()> {
    payment_event::ActiveModel {
        payment_id: Set(payment.id),
        at: Set(payment.updated_at),
        status: Set(payment.status),
        retirement_status: Set(payment.retirement_status),
        reason: Set(reason.to_owned()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
