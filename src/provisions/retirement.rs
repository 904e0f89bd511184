//! Retiring confirmed provisions through the registry, exactly once, from any instance.
//!
//! A provision is due once its `retire_after` has passed. A worker claims due provisions (on
//! PostgreSQL with `FOR UPDATE SKIP LOCKED`, so instances never claim the same one), asks the
//! registry to retire them, and records the result. A claim that has not finished within
//! [`CLAIM_TIMEOUT`] (the instance died) is taken over; registries treat a repeated retirement
//! of one provision as the same one. Due work survives restarts: it lives in the database.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::entity::provision;
use super::registry::{Registry, Retirement};
use super::{ProvisionId, ProvisionStatus};
use crate::certificates::{self, CertificateStatus};
use crate::error::{Error, Result};

const CLAIM_TIMEOUT: Duration = Duration::from_secs(5 * 60);
const CLAIM_BATCH: u64 = 20;
/// The longest the worker sleeps without looking for due work.
const MAX_IDLE: Duration = Duration::from_secs(30);
const RETRY_AFTER: Duration = Duration::from_secs(5);
/// How long a retirement the registry refused waits before the next attempt.
const REGISTRY_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The retirement machinery of a server instance, shared by its requests and its worker.
#[derive(Clone)]
pub struct Retirements {
    pub registry: Arc<dyn Registry>,
    /// Signalled when a retirement is scheduled for later, so the worker wakes for it.
    pub scheduled: Arc<Notify>,
}

impl Retirements {
    pub fn new(registry: Arc<dyn Registry>) -> Self {
        Retirements {
            registry,
            scheduled: Arc::new(Notify::new()),
        }
    }

    /// Starts this instance's worker.
    pub fn spawn_worker(&self, db: DatabaseConnection) -> tokio::task::JoinHandle<()> {
        tokio::spawn(run_worker(db, self.clone()))
    }
}

/// Claims due provisions (all of them, or just `only`) and marks them as being retired.
async fn claim(db: &DatabaseConnection, only: Option<ProvisionId>) -> Result<Vec<ProvisionId>> {
    let now = Utc::now();
    let stale = now - chrono::Duration::from_std(CLAIM_TIMEOUT).unwrap_or_default();
    let txn = crate::db::begin_write(db).await?;
    let mut due = provision::Entity::find()
        .select_only()
        .column(provision::Column::Id)
        .filter(provision::Column::Status.eq(ProvisionStatus::Confirmed.as_str()))
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
        due = due.filter(provision::Column::Id.eq(only.0));
    }
    let ids: Vec<i64> = due.into_tuple().all(&txn).await?;
    if !ids.is_empty() {
        provision::Entity::update_many()
            .col_expr(provision::Column::RetirementClaimedAt, Expr::value(now))
            .filter(provision::Column::Id.is_in(ids.iter().copied()))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(ids.into_iter().map(ProvisionId).collect())
}

/// Retires one claimed provision and issues its certificate.
async fn retire_claimed(
    db: &DatabaseConnection,
    registry: &dyn Registry,
    id: ProvisionId,
) -> Result<()> {
    let row = provision::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("Provision"))?;
    let allocations = super::allocations(db, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    let ranges: Vec<_> = allocations
        .iter()
        .filter(|allocation| !allocation.released)
        .map(|allocation| allocation.range)
        .collect();
    let retirement = Retirement {
        provision_id: id.0,
        ranges: &ranges,
        beneficiary_name: &row.beneficiary_name,
        retirement_message: row.retirement_message.as_deref(),
    };
    let reference = match registry.retire(&retirement).await {
        Ok(reference) => reference,
        Err(error) => {
            // Release the claim and try again later, without hammering a failing registry.
            tracing::warn!(provision = id.0, error = %error.0, "registry refused a retirement; will retry");
            let retry_at =
                Utc::now() + chrono::Duration::from_std(REGISTRY_RETRY_AFTER).unwrap_or_default();
            provision::Entity::update_many()
                .col_expr(
                    provision::Column::RetirementClaimedAt,
                    Expr::value(Option::<chrono::DateTime<Utc>>::None),
                )
                .col_expr(provision::Column::RetireAfter, Expr::value(retry_at))
                .filter(provision::Column::Id.eq(id.0))
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
            Expr::value(ProvisionStatus::Retired.as_str()),
        )
        .col_expr(provision::Column::RetiredAt, Expr::value(now))
        .col_expr(provision::Column::UpdatedAt, Expr::value(now))
        .col_expr(provision::Column::RegistryReference, Expr::value(reference))
        .filter(provision::Column::Id.eq(id.0))
        .filter(provision::Column::Status.eq(ProvisionStatus::Confirmed.as_str()))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 1 {
        certificates::settle(&txn, id, CertificateStatus::Issued, now).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Retires `id` now if it is due (a provision with no retirement delay is due at once).
pub async fn retire_if_due(
    db: &DatabaseConnection,
    registry: &dyn Registry,
    id: ProvisionId,
) -> Result<()> {
    for claimed in claim(db, Some(id)).await? {
        retire_claimed(db, registry, claimed).await?;
    }
    Ok(())
}

/// Retires every due provision; returns how many were claimed.
pub async fn retire_due(db: &DatabaseConnection, registry: &dyn Registry) -> Result<usize> {
    let claimed = claim(db, None).await?;
    for id in &claimed {
        retire_claimed(db, registry, *id).await?;
    }
    Ok(claimed.len())
}

/// When the next unclaimed retirement falls due, if any is scheduled.
async fn next_due(db: &DatabaseConnection) -> Result<Option<chrono::DateTime<Utc>>> {
    let next: Option<Option<chrono::DateTime<Utc>>> = provision::Entity::find()
        .select_only()
        .expr(Expr::col(provision::Column::RetireAfter).min())
        .filter(provision::Column::Status.eq(ProvisionStatus::Confirmed.as_str()))
        .filter(provision::Column::RetirementClaimedAt.is_null())
        .into_tuple()
        .one(db)
        .await?;
    Ok(next.flatten())
}

/// Runs until the process ends: retires what is due, then sleeps until the next retirement
/// falls due or a new one is scheduled. [`MAX_IDLE`] bounds the sleep, so work left by
/// another instance (or a stale claim) is picked up too.
async fn run_worker(db: DatabaseConnection, retirements: Retirements) {
    loop {
        let idle = match retire_due(&db, retirements.registry.as_ref()).await {
            Ok(claimed) if claimed as u64 == CLAIM_BATCH => continue,
            Ok(_) => match next_due(&db).await {
                Ok(Some(due)) => (due - Utc::now())
                    .to_std()
                    .unwrap_or_default()
                    .min(MAX_IDLE),
                Ok(None) => MAX_IDLE,
                Err(error) => {
                    tracing::error!(?error, "retirement worker cannot read its schedule");
                    RETRY_AFTER
                }
            },
            Err(error) => {
                tracing::error!(?error, "retirement worker failed; retrying");
                RETRY_AFTER
            }
        };
        tokio::select! {
            () = tokio::time::sleep(idle) => {}
            () = retirements.scheduled.notified() => {}
        }
    }
}
