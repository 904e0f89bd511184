//! A session's life: open → complete (paid at once, or settling later) or expired; refunds of
//! paid ones. Every change locks the session row and checks its state inside the transaction,
//! so concurrent clicks or requests change it once, and queues its event in that transaction.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::Value;

use super::entity::{EventType, PaymentStatus, SessionStatus, Settlement, refund, session};
use super::error::ApiError;
use super::events::{self, enqueue};
use super::new_id;
use crate::error::Result;

/// How many sessions one run of the job expires or settles.
const TIMER_BATCH: u64 = 20;

/// What the customer chose on the hosted page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Pay,
    /// An asynchronous method that succeeds after the settle delay.
    PayLater,
    /// An asynchronous method that fails after the settle delay.
    Decline,
}

/// Reads a session and holds its row until `txn` ends.
pub async fn lock(txn: &DatabaseTransaction, id: &str) -> Result<Option<session::Model>> {
    Ok(session::Entity::find_by_id(id.to_owned())
        .lock_exclusive()
        .one(txn)
        .await?)
}

/// Completes an open session as the customer chose, paying with `email`.
pub async fn complete(
    txn: &DatabaseTransaction,
    public_url: &str,
    settle_at: DateTime<Utc>,
    row: session::Model,
    choice: Choice,
    email: String,
    now: DateTime<Utc>,
) -> Result<session::Model> {
    let mut active = row.into_active_model();
    active.status = Set(SessionStatus::Complete);
    active.customer_details_email = Set(Some(email));
    active.payment_intent = Set(Some(new_id("pi_test_")?));
    match choice {
        Choice::Pay => {
            active.payment_status = Set(PaymentStatus::Paid);
            active.charge = Set(Some(new_id("ch_test_")?));
            active.paid_at = Set(Some(now));
        }
        Choice::PayLater | Choice::Decline => {
            let settlement = match choice {
                Choice::PayLater => Settlement::Succeed,
                _ => Settlement::Fail,
            };
            active.settlement = Set(Some(settlement));
            active.settle_at = Set(Some(settle_at));
        }
    }
    let row = active.update(txn).await?;
    let object = events::session(&row, public_url, false)?;
    enqueue(txn, &row.id, EventType::SessionCompleted, object, None, now).await?;
    Ok(row)
}

/// Expires an open session (its event names the API request's idempotency key, if any).
pub async fn expire(
    txn: &DatabaseTransaction,
    public_url: &str,
    row: session::Model,
    request_key: Option<&str>,
    now: DateTime<Utc>,
) -> Result<session::Model> {
    let mut active = row.into_active_model();
    active.status = Set(SessionStatus::Expired);
    let row = active.update(txn).await?;
    let object = events::session(&row, public_url, false)?;
    enqueue(
        txn,
        &row.id,
        EventType::SessionExpired,
        object,
        request_key,
        now,
    )
    .await?;
    Ok(row)
}

/// Ends an asynchronous payment whose settle time has come.
async fn settle(
    txn: &DatabaseTransaction,
    public_url: &str,
    row: session::Model,
    now: DateTime<Utc>,
) -> Result<()> {
    let settlement = row.settlement;
    let mut active = row.into_active_model();
    active.settlement = Set(None);
    active.settle_at = Set(None);
    let event_type = if settlement == Some(Settlement::Succeed) {
        active.payment_status = Set(PaymentStatus::Paid);
        active.charge = Set(Some(new_id("ch_test_")?));
        active.paid_at = Set(Some(now));
        EventType::AsyncPaymentSucceeded
    } else {
        EventType::AsyncPaymentFailed
    };
    let row = active.update(txn).await?;
    let object = events::session(&row, public_url, false)?;
    enqueue(txn, &row.id, event_type, object, None, now).await
}

/// Expires open sessions past their `expires_at` and settles payments due, a batch of each;
/// returns whether either batch was full.
pub async fn run_timers(
    db: &DatabaseConnection,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let txn = crate::db::begin_write(db).await?;
    let expiring = session::Entity::find()
        .filter(session::Column::Status.eq(SessionStatus::Open))
        .filter(session::Column::ExpiresAt.lte(now))
        .order_by_asc(session::Column::ExpiresAt)
        .limit(TIMER_BATCH)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .all(&txn)
        .await?;
    let settling = session::Entity::find()
        .filter(session::Column::Settlement.is_not_null())
        .filter(session::Column::SettleAt.lte(now))
        .order_by_asc(session::Column::SettleAt)
        .limit(TIMER_BATCH)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .all(&txn)
        .await?;
    let full = expiring.len() as u64 == TIMER_BATCH || settling.len() as u64 == TIMER_BATCH;
    for row in expiring {
        expire(&txn, public_url, row, None, now).await?;
    }
    for row in settling {
        settle(&txn, public_url, row, now).await?;
    }
    txn.commit().await?;
    Ok(full)
}

/// When the next session expires or payment settles.
pub async fn next_timer(db: &DatabaseConnection) -> Result<Option<DateTime<Utc>>> {
    let expiry: Option<Option<DateTime<Utc>>> = session::Entity::find()
        .select_only()
        .expr(Expr::col(session::Column::ExpiresAt).min())
        .filter(session::Column::Status.eq(SessionStatus::Open))
        .into_tuple()
        .one(db)
        .await?;
    let settlement: Option<Option<DateTime<Utc>>> = session::Entity::find()
        .select_only()
        .expr(Expr::col(session::Column::SettleAt).min())
        .filter(session::Column::Settlement.is_not_null())
        .into_tuple()
        .one(db)
        .await?;
    Ok([expiry.flatten(), settlement.flatten()]
        .into_iter()
        .flatten()
        .min())
}

/// Refunds `amount` (by default all that is left) of the paid session whose payment intent
/// is `payment_intent`; answers the Refund object.
pub async fn refund(
    txn: &DatabaseTransaction,
    payment_intent: &str,
    amount: Option<i64>,
    request_key: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Value, ApiError> {
    let no_such = || {
        ApiError::no_such(
            axum::http::StatusCode::BAD_REQUEST,
            "payment_intent",
            payment_intent,
            "payment_intent",
        )
    };
    let row = session::Entity::find()
        .filter(session::Column::PaymentIntent.eq(payment_intent))
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(no_such)?;
    let Some(charge_id) = row
        .charge
        .clone()
        .filter(|_| row.payment_status == PaymentStatus::Paid)
    else {
        return Err(ApiError::invalid(
            format!(
                "This PaymentIntent ({payment_intent}) does not have a successful charge to refund."
            ),
            Some("payment_intent"),
        ));
    };
    let mut refunds = refund::Entity::find()
        .filter(refund::Column::SessionId.eq(row.id.as_str()))
        .order_by_asc(refund::Column::CreatedAt)
        .all(txn)
        .await?;
    let left = row.amount_total - refunds.iter().map(|one| one.amount).sum::<i64>();
    if left <= 0 {
        return Err(ApiError::invalid(
            format!("Charge {charge_id} has already been refunded."),
            None,
        )
        .with_code("charge_already_refunded"));
    }
    let amount = amount.unwrap_or(left);
    if amount <= 0 || amount > left {
        return Err(ApiError::invalid(
            format!("Refund amount must be between 1 and the {left} not yet refunded."),
            Some("amount"),
        )
        .with_code("amount_too_large"));
    }
    let created = refund::ActiveModel {
        id: Set(new_id("re_test_")?),
        session_id: Set(row.id.clone()),
        amount: Set(amount),
        created_at: Set(now),
    }
    .insert(txn)
    .await?;
    let answer = events::refund_object(&created, &row, &charge_id);
    refunds.push(created);
    let charge = events::charge(&row, &charge_id, &refunds);
    enqueue(
        txn,
        &row.id,
        EventType::ChargeRefunded,
        charge,
        request_key,
        now,
    )
    .await?;
    Ok(answer)
}
