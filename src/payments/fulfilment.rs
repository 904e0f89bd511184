//! The payment state machine: what the provider says (a verified webhook event, or a session
//! reconciliation retrieved) moves a payment, in one transaction with everything it implies.
//! Each event is recorded once, and each payment is locked while it changes, so a redelivered,
//! concurrent or out-of-order event never fulfils twice; a transition that is not allowed
//! (an expiry after a success) changes nothing.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QuerySelect, Set,
};

use super::entity::{payment, provider_event};
use super::gateway::{Notification, PaymentGateway, ProviderEvent, Session, SessionState};
use super::{Payment, PaymentStatus, RetirementStatus, email, record};
use crate::error::{Error, Result};
use crate::events::Events;
use crate::ids::{PaymentId, ProvisionId};
use crate::jobs::Wake;
use crate::provisions::lifecycle;
use crate::provisions::retirement::{self, RetirementListener, Retirements};
use crate::provisions::{self, ProvisionStatus};

/// What fulfilling a payment needs.
pub struct Fulfilment<'a> {
    pub db: &'a DatabaseConnection,
    pub gateway: &'a dyn PaymentGateway,
    pub retirements: &'a Retirements,
    pub retirement_delay: Duration,
    /// Base of the certificate links in e-mails.
    pub public_url: &'a str,
    /// Wakes the mail worker once a message is in the outbox.
    pub mail: &'a Wake,
    pub events: &'a Events,
}

/// What the provider said about a payment.
#[derive(Debug, Clone)]
pub enum Seen {
    Paid(Session),
    /// Completed with an asynchronous method that has not settled.
    AwaitingSettlement(Session),
    Failed,
    Expired,
    Refunded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// The event was handled before: acknowledged, nothing done.
    Duplicate,
    /// About no payment of ours, or a transition not allowed: nothing changed.
    Ignored,
    Changed(PaymentId),
}

/// What to do once the transaction committed.
#[derive(Debug, Default)]
struct AfterCommit {
    retire: Option<ProvisionId>,
    mail: bool,
    refund: Option<Payment>,
    /// How the checkout ended, when this ended it (counted once committed).
    outcome: Option<&'static str>,
}

/// Handles a verified provider event exactly once.
pub async fn handle(ctx: &Fulfilment<'_>, event: ProviderEvent) -> Result<Handled> {
    let txn = crate::db::begin_write(ctx.db).await?;
    let seen = provider_event::ActiveModel {
        id: Set(event.id.clone()),
        r#type: Set(event.kind.clone()),
        payment_id: Set(None),
        received_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await;
    match seen {
        Err(error) if crate::db::is_unique_violation(&error) => return Ok(Handled::Duplicate),
        other => other?,
    };
    let (payment, seen) = match event.notification {
        Notification::SessionCompleted(session) => {
            let seen = match session.state {
                SessionState::Complete { paid: true } => Seen::Paid(session.clone()),
                _ => Seen::AwaitingSettlement(session.clone()),
            };
            (
                lock_by(&txn, payment::Column::SessionId, &session.id).await?,
                seen,
            )
        }
        Notification::AsyncPaymentSucceeded(session) => (
            lock_by(&txn, payment::Column::SessionId, &session.id).await?,
            Seen::Paid(session),
        ),
        Notification::AsyncPaymentFailed(session) => (
            lock_by(&txn, payment::Column::SessionId, &session.id).await?,
            Seen::Failed,
        ),
        Notification::SessionExpired(session) => (
            lock_by(&txn, payment::Column::SessionId, &session.id).await?,
            Seen::Expired,
        ),
        Notification::ChargeRefunded { payment_intent } => (
            lock_by(&txn, payment::Column::PaymentIntent, &payment_intent).await?,
            Seen::Refunded,
        ),
        Notification::Other => {
            txn.commit().await?;
            return Ok(Handled::Ignored);
        }
    };
    let Some(payment) = payment else {
        txn.commit().await?;
        return Ok(Handled::Ignored);
    };
    let id = payment.id;
    provider_event::Entity::update_many()
        .col_expr(
            provider_event::Column::PaymentId,
            sea_orm::sea_query::Expr::value(id),
        )
        .filter(provider_event::Column::Id.eq(event.id))
        .exec(&txn)
        .await?;
    let after = apply(ctx, &txn, payment, seen, &event.kind).await?;
    txn.commit().await?;
    let changed = after.is_some();
    finish(ctx, after.unwrap_or_default()).await?;
    Ok(if changed {
        Handled::Changed(id)
    } else {
        Handled::Ignored
    })
}

/// Applies a session retrieved from the provider (reconciliation); whether anything changed.
pub(super) async fn apply_session(
    ctx: &Fulfilment<'_>,
    id: PaymentId,
    session: Session,
) -> Result<bool> {
    let seen = match session.state {
        SessionState::Complete { paid: true } => Seen::Paid(session),
        SessionState::Complete { paid: false } => Seen::AwaitingSettlement(session),
        SessionState::Expired => Seen::Expired,
        SessionState::Open => return Ok(false),
    };
    let txn = crate::db::begin_write(ctx.db).await?;
    let Some(payment) = lock(&txn, id).await? else {
        return Ok(false);
    };
    let after = apply(ctx, &txn, payment, seen, "reconciliation").await?;
    txn.commit().await?;
    let changed = after.is_some();
    finish(ctx, after.unwrap_or_default()).await?;
    Ok(changed)
}

async fn lock(txn: &DatabaseTransaction, id: PaymentId) -> Result<Option<Payment>> {
    Ok(payment::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?)
}

async fn lock_by(
    txn: &DatabaseTransaction,
    column: payment::Column,
    value: &str,
) -> Result<Option<Payment>> {
    Ok(payment::Entity::find()
        .filter(column.eq(value))
        .lock_exclusive()
        .one(txn)
        .await?)
}

/// The transition `seen` causes, if allowed; `None` when nothing changes.
async fn apply(
    ctx: &Fulfilment<'_>,
    txn: &DatabaseTransaction,
    payment: Payment,
    seen: Seen,
    reason: &str,
) -> Result<Option<AfterCommit>> {
    use PaymentStatus::*;
    let outcome = match &seen {
        Seen::Paid(_) => Some("paid"),
        Seen::Failed => Some("failed"),
        Seen::Expired => Some("expired"),
        Seen::AwaitingSettlement(_) | Seen::Refunded => None,
    };
    let after = match (payment.status, seen) {
        (Pending | Expired | Cancelled | Failed, Seen::Paid(session)) => {
            Some(succeed(ctx, txn, payment, &session, reason).await?)
        }
        (Pending, Seen::AwaitingSettlement(session)) => {
            let customer_email = session.customer_email.or(payment.customer_email.clone());
            let mut row = payment.into_active_model();
            row.customer_email = Set(customer_email);
            row.payment_intent = Set(session.payment_intent);
            row.updated_at = Set(Utc::now());
            // Bank debits settle in days: ask the provider now and then in case a word is lost.
            row.reconcile_after = Set(Some(Utc::now() + chrono::Duration::hours(1)));
            let payment = row.update(txn).await?;
            record(
                txn,
                ctx.events,
                &payment,
                "paid with an asynchronous method; awaiting settlement",
            )
            .await?;
            Some(AfterCommit::default())
        }
        (Pending, Seen::Failed) => Some(end(ctx, txn, payment, Failed, reason).await?),
        (Pending, Seen::Expired) => Some(end(ctx, txn, payment, Expired, reason).await?),
        (Succeeded, Seen::Refunded) => Some(refunded(ctx, txn, payment).await?),
        _ => None,
    };
    Ok(after.map(|after| AfterCommit { outcome, ..after }))
}

/// Paid: the held credits (or fresh ones, if the hold was released) are allocated, the
/// certificate created, retirement scheduled and the verification e-mail written.
async fn succeed(
    ctx: &Fulfilment<'_>,
    txn: &DatabaseTransaction,
    payment: Payment,
    session: &Session,
    reason: &str,
) -> Result<AfterCommit> {
    let provision = provisions::lock(txn, payment.provision_id).await?;
    let held = match provision.status {
        ProvisionStatus::PendingPayment => Ok(provision),
        ProvisionStatus::Expired | ProvisionStatus::Cancelled | ProvisionStatus::Failed => {
            lifecycle::hold_again(txn, provision).await
        }
        // Confirmed already (by an earlier event): nothing more to allocate.
        ProvisionStatus::Confirmed | ProvisionStatus::Retired => {
            return Err(Error::internal(std::io::Error::other(format!(
                "payment {} is {:?} but its provision is confirmed",
                payment.id.0, payment.status
            ))));
        }
    };
    let now = Utc::now();
    let customer_email = session
        .customer_email
        .clone()
        .or(payment.customer_email.clone());
    let mut row = payment.into_active_model();
    row.status = Set(PaymentStatus::Succeeded);
    row.paid_at = Set(Some(now));
    row.updated_at = Set(now);
    row.payment_intent = Set(session.payment_intent.clone());
    row.customer_email = Set(customer_email);
    match held {
        Ok(held) => {
            let confirmed = lifecycle::confirm(txn, held, ctx.retirement_delay).await?;
            row.retirement_status = Set(RetirementStatus::Pending);
            row.reconcile_after = Set(None);
            let payment = row.update(txn).await?;
            record(txn, ctx.events, &payment, &format!("paid ({reason})")).await?;
            let mail = email::enqueue_verification(txn, &payment, ctx.public_url).await?;
            Ok(AfterCommit {
                retire: Some(confirmed.id),
                mail,
                ..Default::default()
            })
        }
        Err(Error::InsufficientSupply(_)) => {
            // Paid after the hold was released and no credits are left: never paid and
            // unserved, the payment is refunded.
            row.retirement_status = Set(RetirementStatus::Failed);
            row.refund_due = Set(true);
            row.reconcile_after = Set(Some(now + chrono::Duration::minutes(1)));
            let payment = row.update(txn).await?;
            record(
                txn,
                ctx.events,
                &payment,
                "paid after the checkout closed; no credits left: refunding",
            )
            .await?;
            Ok(AfterCommit {
                refund: Some(payment),
                ..AfterCommit::default()
            })
        }
        Err(error) => Err(error),
    }
}

/// Not paid: the hold goes back to supply and the provision ends with the payment.
async fn end(
    ctx: &Fulfilment<'_>,
    txn: &DatabaseTransaction,
    payment: Payment,
    status: PaymentStatus,
    reason: &str,
) -> Result<AfterCommit> {
    let provision = provisions::lock(txn, payment.provision_id).await?;
    if provision.status == ProvisionStatus::PendingPayment {
        let ends_as = match status {
            PaymentStatus::Cancelled => ProvisionStatus::Cancelled,
            PaymentStatus::Expired => ProvisionStatus::Expired,
            _ => ProvisionStatus::Failed,
        };
        lifecycle::release(txn, provision, ends_as).await?;
    }
    let mut row = payment.into_active_model();
    row.status = Set(status);
    row.updated_at = Set(Utc::now());
    row.reconcile_after = Set(None);
    let payment = row.update(txn).await?;
    record(txn, ctx.events, &payment, reason).await?;
    Ok(AfterCommit::default())
}

/// Refunded: before retirement the provision is cancelled and its credits return; after it
/// (or while it runs) the credits stay retired, which is irreversible.
async fn refunded(
    ctx: &Fulfilment<'_>,
    txn: &DatabaseTransaction,
    payment: Payment,
) -> Result<AfterCommit> {
    let provision = provisions::lock(txn, payment.provision_id).await?;
    let mut row = payment.into_active_model();
    if provision.status == ProvisionStatus::Confirmed
        && !retirement::in_progress(provision.retirement_claimed_at)
    {
        lifecycle::release(txn, provision, ProvisionStatus::Cancelled).await?;
        row.retirement_status = Set(RetirementStatus::Failed);
    }
    row.status = Set(PaymentStatus::Refunded);
    row.refund_due = Set(false);
    row.updated_at = Set(Utc::now());
    row.reconcile_after = Set(None);
    let payment = row.update(txn).await?;
    record(txn, ctx.events, &payment, "refunded").await?;
    Ok(AfterCommit::default())
}

/// Side effects that must follow the commit: retirement, mail, a refund.
async fn finish(ctx: &Fulfilment<'_>, after: AfterCommit) -> Result<()> {
    if let Some(outcome) = after.outcome {
        metrics::counter!("contrail_checkouts_total", "outcome" => outcome).increment(1);
    }
    if let Some(provision) = after.retire {
        if ctx.retirement_delay.is_zero() {
            ctx.retirements.retire_if_due(ctx.db, provision).await?;
        } else {
            ctx.retirements.wake();
        }
    }
    if after.mail {
        ctx.mail.wake();
    }
    if let Some(payment) = after.refund {
        // A failure here is retried by reconciliation (the payment is marked `refund_due`).
        if let Err(error) = super::reconciliation::refund(ctx, &payment).await {
            tracing::warn!(payment = payment.id.0, %error, "automatic refund failed; will retry");
        }
    }
    Ok(())
}

/// A customer gave up at the hosted page: the payment is cancelled and its hold released,
/// then the session is closed at the provider so it can no longer be paid. Should the customer
/// have paid meanwhile (in another tab), the provider's word of it revives the payment with
/// fresh credits, as for any late payment.
pub async fn cancel(ctx: &Fulfilment<'_>, payment: Payment) -> Result<Payment> {
    if payment.status != PaymentStatus::Pending {
        return Ok(payment);
    }
    let txn = crate::db::begin_write(ctx.db).await?;
    let Some(locked) = lock(&txn, payment.id).await? else {
        return Ok(payment);
    };
    if locked.status == PaymentStatus::Pending {
        end(
            ctx,
            &txn,
            locked,
            PaymentStatus::Cancelled,
            "cancelled by the customer",
        )
        .await?;
    }
    txn.commit().await?;
    if let Some(session) = &payment.session_id
        && let Err(error) = ctx.gateway.expire_session(session).await
    {
        tracing::warn!(payment = payment.id.0, %error, "could not close a cancelled checkout's session");
    }
    Ok(super::find_many(ctx.db, &[payment.id])
        .await?
        .pop()
        .unwrap_or(payment))
}

/// Marks the payment of a retired provision `RETIRED`, in the retirement's transaction.
pub struct PaymentRetirements {
    pub events: Events,
}

#[async_trait::async_trait]
impl RetirementListener for PaymentRetirements {
    async fn retired(
        &self,
        txn: &DatabaseTransaction,
        provision: ProvisionId,
        at: chrono::DateTime<Utc>,
    ) -> Result<()> {
        let payment = payment::Entity::find()
            .filter(payment::Column::ProvisionId.eq(provision))
            .lock_exclusive()
            .one(txn)
            .await?;
        let Some(payment) = payment.filter(|p| p.retirement_status == RetirementStatus::Pending)
        else {
            return Ok(());
        };
        let mut row = payment.into_active_model();
        row.retirement_status = Set(RetirementStatus::Retired);
        row.retired_at = Set(Some(at));
        row.updated_at = Set(at);
        let payment = row.update(txn).await?;
        record(txn, &self.events, &payment, "credits retired").await
    }
}
