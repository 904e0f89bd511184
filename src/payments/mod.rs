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
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DeriveActiveEnum,
    EntityTrait, EnumIter, QueryFilter, QueryOrder, QuerySelect, Select, Set,
};

use crate::error::Result;
use crate::events::{Change, Events};
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
            // Retiring, or (no credits left) about to be refunded.
            PaymentStatus::Succeeded => self.retirement_status == RetirementStatus::Retired,
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
        .filter(crate::db::any_of(
            db.get_database_backend(),
            payment::Column::Id,
            ids.iter().map(|id| id.0),
        ))
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
        .filter(crate::db::any_of(
            db.get_database_backend(),
            payment::Column::ProvisionId,
            provisions.iter().map(|id| id.0),
        ))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.provision_id, row))
        .collect())
}

/// The payment a customer's browser follows with its client secret.
pub async fn find_by_client_secret(
    db: &impl ConnectionTrait,
    client_secret: &str,
) -> Result<Option<Payment>> {
    Ok(payment::Entity::find()
        .filter(payment::Column::ClientSecret.eq(client_secret))
        .one(db)
        .await?)
}

/// The organization's payments changed at or after `since`, oldest change first (at most
/// `limit`).
pub async fn changed_since(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    since: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Payment>> {
    Ok(payment::Entity::find()
        .filter(payment::Column::OrganizationId.eq(organization))
        .filter(payment::Column::UpdatedAt.gte(since))
        .order_by_asc(payment::Column::UpdatedAt)
        .order_by_asc(payment::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// The steps of a payment's timeline after the step `after` (all of them without it), oldest
/// first. A payment's changes are made under its row lock, so its steps commit in order.
pub async fn steps_after(
    db: &impl ConnectionTrait,
    payment: PaymentId,
    after: Option<i64>,
) -> Result<Vec<PaymentEvent>> {
    let mut steps =
        payment_event::Entity::find().filter(payment_event::Column::PaymentId.eq(payment));
    if let Some(after) = after {
        steps = steps.filter(payment_event::Column::Id.gt(after));
    }
    Ok(steps
        .order_by_asc(payment_event::Column::Id)
        .all(db)
        .await?)
}

/// The latest step of any payment's timeline, if any: the steps after it are changes yet to
/// come.
pub async fn latest_step(db: &impl ConnectionTrait) -> Result<Option<i64>> {
    Ok(payment_event::Entity::find()
        .select_only()
        .column_as(payment_event::Column::Id.max(), "latest")
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten())
}

/// The payment as it was at one step of its timeline.
pub fn as_of(current: &Payment, step: &PaymentEvent) -> Payment {
    Payment {
        status: step.status,
        retirement_status: step.retirement_status,
        updated_at: step.at,
        ..current.clone()
    }
}

/// The timelines of several payments, oldest step first.
pub async fn timelines(
    db: &impl ConnectionTrait,
    payments: &[PaymentId],
) -> Result<HashMap<PaymentId, Vec<PaymentEvent>>> {
    let rows = payment_event::Entity::find()
        .filter(crate::db::any_of(
            db.get_database_backend(),
            payment_event::Column::PaymentId,
            payments.iter().map(|id| id.0),
        ))
        .order_by_asc(payment_event::Column::Id)
        .all(db)
        .await?;
    let mut timelines: HashMap<PaymentId, Vec<PaymentEvent>> = HashMap::new();
    for row in rows {
        timelines.entry(row.payment_id).or_default().push(row);
    }
    Ok(timelines)
}

/// Appends the payment's current state to its timeline and announces the change (when the
/// transaction commits).
async fn record(
    txn: &DatabaseTransaction,
    events: &Events,
    payment: &Payment,
    reason: &str,
) -> Result<()> {
    payment_event::ActiveModel {
        payment_id: Set(payment.id),
        at: Set(payment.updated_at),
        status: Set(payment.status),
        retirement_status: Set(payment.retirement_status),
        reason: Set(reason.to_owned()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let change = Change {
        organization: payment.organization_id,
        payment: payment.id,
    };
    events.publish(txn, change).await
}
