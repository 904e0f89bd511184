//! Retiring confirmed provisions through the registry, exactly once, from any instance.
//!
//! A provision is due once its `retire_after` has passed. The [`RetirementJob`] claims due
//! provisions (on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so instances never claim the same
//! one), asks the registry to retire them, and records the result. A claim is a lease renewed
//! while the work runs ([`crate::jobs`]): the claims of an instance that died are taken over
//! within [`crate::jobs::LEASE`]; registries treat a repeated retirement of one provision as
//! the same one, so a takeover after a half-done retirement cannot retire twice.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::entity::provision;
use super::registry::{Registry, RegistryError, Retirement};
use super::{ProvisionStatus, allocations};
use crate::certificates::{self, CertificateStatus};
use crate::error::{Error, Result};
use crate::ids::ProvisionId;
use crate::jobs::{self, Job, Ran, Stop, Wake, lapsed_before};

const CLAIM_BATCH: u64 = 20;
/// How often a request waiting on the worker's retirement of its provision looks again.
const CLAIMED_ELSEWHERE_POLL: Duration = Duration::from_millis(20);
/// How long a retirement the registry refused waits before the next attempt.
pub const REGISTRY_RETRY_AFTER: Duration = Duration::from_secs(60);
/// How long a retirement waits for the registry's answer before it counts as refused (and is
/// tried again later): a registry that stops answering must not hold the job, or a request.
const REGISTRY_TIMEOUT: Duration = Duration::from_secs(30);

/// Told, inside the transaction that records it, that a provision's credits were retired
/// (payments mark their retirement status by it).
#[async_trait::async_trait]
pub trait RetirementListener: Send + Sync {
    async fn retired(
        &self,
        txn: &DatabaseTransaction,
        provision: ProvisionId,
        at: DateTime<Utc>,
    ) -> Result<()>;
}

/// The retirement machinery of an instance, shared by its requests and its worker.
#[derive(Clone)]
pub struct Retirements {
    pub registry: Arc<dyn Registry>,
    listeners: Arc<[Arc<dyn RetirementListener>]>,
    wake: Wake,
}

impl Retirements {
    pub fn new(registry: Arc<dyn Registry>, listeners: Vec<Arc<dyn RetirementListener>>) -> Self {
        Retirements {
            registry,
            listeners: listeners.into(),
            wake: Wake::default(),
        }
    }

    /// Tells the worker that a retirement was scheduled.
    pub fn wake(&self) {
        self.wake.wake();
    }

    /// The worker's job, to run in the background.
    pub fn job(&self, db: DatabaseConnection) -> (RetirementJob, Wake) {
        let job = RetirementJob {
            db,
            retirements: self.clone(),
        };
        (job, self.wake.clone())
    }

    /// Retires `id` now if it is due (a provision with no retirement delay is due at once).
    /// When the worker claimed it first, this waits for the worker to finish (for at most a
    /// claim's lease), so that the caller reads the outcome either way.
    pub async fn retire_if_due(&self, db: &DatabaseConnection, id: ProvisionId) -> Result<()> {
        let deadline = tokio::time::Instant::now() + jobs::LEASE;
        loop {
            let claimed = claim(db, Some(id)).await?;
            if !claimed.is_empty() {
                return retire_all(db, self, claimed, None).await;
            }
            let row = provision::Entity::find_by_id(id).one(db).await?;
            let elsewhere = row.is_some_and(|row| {
                row.status == ProvisionStatus::Confirmed && in_progress(row.retirement_claimed_at)
            });
            if !elsewhere || tokio::time::Instant::now() >= deadline {
                return Ok(());
            }
            tokio::time::sleep(CLAIMED_ELSEWHERE_POLL).await;
        }
    }
}

/// Whether a provision's claim is live: an instance is retiring it now.
pub fn in_progress(claimed_at: Option<DateTime<Utc>>) -> bool {
    claimed_at.is_some_and(|at| at > lapsed_before(Utc::now()))
}

/// Retires the claimed provisions one by one, renewing their claims meanwhile.
async fn retire_all(
    db: &DatabaseConnection,
    retirements: &Retirements,
    claimed: Vec<ProvisionId>,
    stop: Option<&Stop>,
) -> Result<()> {
    let renew_db = db.clone();
    jobs::work_through(
        claimed,
        |id| *id,
        stop,
        move |ids, at| {
            let db = renew_db.clone();
            async move { set_claims(&db, &ids, at).await }
        },
        |id| retire_claimed(db, retirements, id),
    )
    .await
}

/// Renews (`Some`) or releases (`None`) the claims of confirmed provisions.
async fn set_claims(
    db: &DatabaseConnection,
    ids: &[ProvisionId],
    at: Option<DateTime<Utc>>,
) -> Result<()> {
    provision::Entity::update_many()
        .col_expr(provision::Column::RetirementClaimedAt, Expr::value(at))
        .filter(provision::Column::Id.is_in(ids.iter().copied()))
        .filter(provision::Column::Status.eq(ProvisionStatus::Confirmed))
        .filter(provision::Column::RetirementClaimedAt.is_not_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Retires what is due, a batch at a time.
pub struct RetirementJob {
    db: DatabaseConnection,
    retirements: Retirements,
}

#[async_trait::async_trait]
impl Job for RetirementJob {
    fn name(&self) -> &'static str {
        "retirement"
    }

    async fn run_due(&self, stop: &Stop) -> Result<Ran> {
        let claimed = claim(&self.db, None).await?;
        let full = claimed.len() as u64 == CLAIM_BATCH;
        retire_all(&self.db, &self.retirements, claimed, Some(stop)).await?;
        Ok(if full && !stop.requested() {
            Ran::FullBatch
        } else {
            Ran::Caught
        })
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>> {
        let next: Option<Option<DateTime<Utc>>> = provision::Entity::find()
            .select_only()
            .expr(Expr::col(provision::Column::RetireAfter).min())
            .filter(provision::Column::Status.eq(ProvisionStatus::Confirmed))
            .filter(provision::Column::RetirementClaimedAt.is_null())
            .into_tuple()
            .one(&self.db)
            .await?;
        let oldest_claim: Option<Option<DateTime<Utc>>> = provision::Entity::find()
            .select_only()
            .expr(Expr::col(provision::Column::RetirementClaimedAt).min())
            .filter(provision::Column::Status.eq(ProvisionStatus::Confirmed))
            .into_tuple()
            .one(&self.db)
            .await?;
        Ok(jobs::next_look(next.flatten(), oldest_claim.flatten()))
    }
}

/// Claims due provisions (all of them, or just `only`) and marks them as being retired.
async fn claim(db: &DatabaseConnection, only: Option<ProvisionId>) -> Result<Vec<ProvisionId>> {
    let now = Utc::now();
    let stale = lapsed_before(now);
    let txn = crate::db::begin_write(db).await?;
    let mut due = provision::Entity::find()
        .select_only()
        .column(provision::Column::Id)
        .filter(provision::Column::Status.eq(ProvisionStatus::Confirmed))
        .filter(provision::Column::RetireAfter.lte(now))
        .filter(
            Condition::any()
                .add(provision::Column::RetirementClaimedAt.is_null())
                .add(provision::Column::RetirementClaimedAt.lt(stale)),
        )
        .order_by_asc(provision::Column::RetireAfter)
        .limit(CLAIM_BATCH)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    if let Some(only) = only {
        due = due.filter(provision::Column::Id.eq(only));
    }
    let ids: Vec<ProvisionId> = due.into_tuple().all(&txn).await?;
    if !ids.is_empty() {
        provision::Entity::update_many()
            .col_expr(provision::Column::RetirementClaimedAt, Expr::value(now))
            .filter(provision::Column::Id.is_in(ids.iter().copied()))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(ids)
}

/// Retires one claimed provision and issues its certificate.
async fn retire_claimed(
    db: &DatabaseConnection,
    retirements: &Retirements,
    id: ProvisionId,
) -> Result<()> {
    let row = provision::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("Provision"))?;
    let ranges: Vec<_> = allocations(db, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default()
        .into_iter()
        .filter(|allocation| !allocation.released)
        .map(|allocation| allocation.range)
        .collect();
    let retirement = Retirement {
        provision_id: id,
        ranges: &ranges,
        beneficiary_name: &row.beneficiary_name,
        retirement_message: row.retirement_message.as_deref(),
    };
    let answer = tokio::time::timeout(REGISTRY_TIMEOUT, retirements.registry.retire(&retirement))
        .await
        .unwrap_or_else(|_| {
            Err(RegistryError(format!(
                "no answer within {} s",
                REGISTRY_TIMEOUT.as_secs()
            )))
        });
    let reference = match answer {
        Ok(reference) => reference,
        Err(error) => {
            // Release the claim and try again later, without hammering a failing registry.
            tracing::warn!(provision = id.0, error = %error.0, "registry refused a retirement; will retry");
            let retry_at =
                Utc::now() + chrono::Duration::from_std(REGISTRY_RETRY_AFTER).unwrap_or_default();
            provision::Entity::update_many()
                .col_expr(
                    provision::Column::RetirementClaimedAt,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .col_expr(provision::Column::RetireAfter, Expr::value(retry_at))
                .filter(provision::Column::Id.eq(id))
                .exec(db)
                .await?;
            return Ok(());
        }
    };
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    let updated = provision::Entity::update_many()
        .col_expr(
            provision::Column::Status,
            Expr::value(ProvisionStatus::Retired),
        )
        .col_expr(provision::Column::RetiredAt, Expr::value(now))
        .col_expr(provision::Column::UpdatedAt, Expr::value(now))
        .col_expr(provision::Column::RegistryReference, Expr::value(reference))
        .filter(provision::Column::Id.eq(id))
        .filter(provision::Column::Status.eq(ProvisionStatus::Confirmed))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 1 {
        certificates::settle(&txn, id, CertificateStatus::Issued, now).await?;
        for listener in retirements.listeners.iter() {
            listener.retired(&txn, id, now).await?;
        }
    }
    txn.commit().await?;
    Ok(())
}
