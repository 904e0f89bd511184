//! Reconciliation: a payment still pending after its checkout expired (a webhook lost while no
//! server ran), one awaiting an asynchronous settlement, or one that owes a refund is asked
//! about at the provider and brought up to date through the same state machine as webhooks.
//! Claimed like the other jobs, so two instances never reconcile one payment at once.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::entity::payment;
use super::fulfilment::{self, Fulfilment};
use super::gateway::PaymentGateway;
use super::{Payment, PaymentStatus, checkout};
use crate::error::{Error, Result};
use crate::events::Events;
use crate::jobs::{self, Job, Ran, Stop, Wake, lapsed_before};
use crate::provisions::entity::provision;
use crate::provisions::retirement::Retirements;

const CLAIM_BATCH: u64 = 20;
/// A payment whose session was never opened (its server died mid-request) is undone after this.
const ORPHAN_AFTER: chrono::Duration = chrono::Duration::minutes(5);
/// How long until a payment the provider still reports as undecided is asked about again.
const ASK_AGAIN: chrono::Duration = chrono::Duration::minutes(15);

pub struct ReconciliationJob {
    pub db: DatabaseConnection,
    pub gateway: Arc<dyn PaymentGateway>,
    pub retirements: Retirements,
    pub retirement_delay: Duration,
    pub public_url: String,
    pub mail: Wake,
    pub events: Events,
}

impl ReconciliationJob {
    fn fulfilment(&self) -> Fulfilment<'_> {
        Fulfilment {
            db: &self.db,
            gateway: self.gateway.as_ref(),
            retirements: &self.retirements,
            retirement_delay: self.retirement_delay,
            public_url: &self.public_url,
            mail: &self.mail,
            events: &self.events,
        }
    }

    fn due() -> Condition {
        Condition::any()
            .add(payment::Column::Status.eq(PaymentStatus::Pending))
            .add(payment::Column::RefundDue.eq(true))
    }

    async fn claim(&self) -> Result<Vec<Payment>> {
        let now = Utc::now();
        let stale = lapsed_before(now);
        let txn = crate::db::begin_write(&self.db).await?;
        let due = payment::Entity::find()
            .filter(Self::due())
            .filter(payment::Column::ReconcileAfter.lte(now))
            .filter(
                Condition::any()
                    .add(payment::Column::ReconcileClaimedAt.is_null())
                    .add(payment::Column::ReconcileClaimedAt.lt(stale)),
            )
            .order_by_asc(payment::Column::ReconcileAfter)
            .limit(CLAIM_BATCH)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .all(&txn)
            .await?;
        if !due.is_empty() {
            payment::Entity::update_many()
                .col_expr(payment::Column::ReconcileClaimedAt, Expr::value(now))
                .filter(payment::Column::Id.is_in(due.iter().map(|payment| payment.id)))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(due)
    }

    /// Brings one payment up to date; reschedules it if it stays undecided.
    async fn reconcile(&self, payment: Payment) -> Result<()> {
        let started = Utc::now();
        let ctx = self.fulfilment();
        let outcome = if payment.refund_due {
            refund(&ctx, &payment).await
        } else if let Some(session) = &payment.session_id {
            match self.gateway.retrieve_session(session).await {
                Ok(session) => fulfilment::apply_session(&ctx, payment.id, session)
                    .await
                    .map(|_| ()),
                Err(error) => Err(checkout::provider_error(error)),
            }
        } else if payment.created_at + ORPHAN_AFTER < Utc::now() {
            let reserved = provision::Entity::find_by_id(payment.provision_id)
                .one(&self.db)
                .await?;
            match reserved {
                Some(reserved) => checkout::undo(&self.db, payment.clone(), reserved).await,
                None => Ok(()),
            }
        } else {
            Ok(())
        };
        if let Err(error) = &outcome {
            tracing::warn!(payment = payment.id.0, %error, "reconciliation failed; will retry");
        }
        // Whatever happened, the claim is released, and a payment still due (not rescheduled
        // by what it learned) is asked about again later.
        payment::Entity::update_many()
            .col_expr(
                payment::Column::ReconcileClaimedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(payment::Column::Id.eq(payment.id))
            .exec(&self.db)
            .await?;
        payment::Entity::update_many()
            .col_expr(
                payment::Column::ReconcileAfter,
                Expr::value(Utc::now() + ASK_AGAIN),
            )
            .filter(payment::Column::Id.eq(payment.id))
            .filter(Self::due())
            .filter(payment::Column::ReconcileAfter.lte(started))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl Job for ReconciliationJob {
    fn name(&self) -> &'static str {
        "payment reconciliation"
    }

    async fn run_due(&self, stop: &Stop) -> Result<Ran> {
        let claimed = self.claim().await?;
        let full = claimed.len() as u64 == CLAIM_BATCH;
        let db = self.db.clone();
        jobs::work_through(
            claimed,
            |payment| payment.id,
            Some(stop),
            move |ids, at| {
                let db = db.clone();
                async move {
                    payment::Entity::update_many()
                        .col_expr(payment::Column::ReconcileClaimedAt, Expr::value(at))
                        .filter(payment::Column::Id.is_in(ids))
                        .filter(payment::Column::ReconcileClaimedAt.is_not_null())
                        .exec(&db)
                        .await?;
                    Ok(())
                }
            },
            |payment| self.reconcile(payment),
        )
        .await?;
        Ok(if full && !stop.requested() {
            Ran::FullBatch
        } else {
            Ran::Caught
        })
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>> {
        let next: Option<Option<DateTime<Utc>>> = payment::Entity::find()
            .select_only()
            .expr(Expr::col(payment::Column::ReconcileAfter).min())
            .filter(Self::due())
            .filter(payment::Column::ReconcileClaimedAt.is_null())
            .into_tuple()
            .one(&self.db)
            .await?;
        let oldest_claim: Option<Option<DateTime<Utc>>> = payment::Entity::find()
            .select_only()
            .expr(Expr::col(payment::Column::ReconcileClaimedAt).min())
            .filter(Self::due())
            .into_tuple()
            .one(&self.db)
            .await?;
        Ok(jobs::next_look(next.flatten(), oldest_claim.flatten()))
    }
}

/// Asks the provider to refund a paid, unserved payment; its `charge.refunded` event then
/// marks it `REFUNDED`.
pub(super) async fn refund(ctx: &Fulfilment<'_>, payment: &Payment) -> Result<()> {
    let intent = payment
        .payment_intent
        .as_deref()
        .ok_or_else(|| Error::conflict("the payment has no payment intent to refund"))?;
    ctx.gateway
        .refund(payment.id, intent)
        .await
        .map_err(checkout::provider_error)?;
    metrics::counter!("contrail_refunds_total").increment(1);
    payment::Entity::update_many()
        .col_expr(
            payment::Column::RefundDue,
            sea_orm::sea_query::Expr::value(false),
        )
        .filter(payment::Column::Id.eq(payment.id))
        .exec(ctx.db)
        .await?;
    Ok(())
}
