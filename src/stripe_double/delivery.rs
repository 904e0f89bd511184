//! The double's background job: the time-based transitions (expiry, settlement), then webhook
//! delivery as Stripe does it: signed at send time, retried with exponential backoff until a
//! 2xx answer, given up after three days, and a session's events strictly in order.
//!
//! Delivery claims events (on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so instances never
//! claim the same one) with the jobs' lease ([`crate::jobs::LEASE`]): a batch is delivered in
//! parallel, each within [`DELIVERY_TIMEOUT`], well inside the lease, so it needs no heartbeat;
//! the claims of an instance that died are taken over when the lease lapses.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, USER_AGENT};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, LockBehavior, LockType, Query};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use stripe_webhook::Webhook;
use tokio::task::JoinSet;

use super::entity::event;
use super::{DoubleSettings, idempotency, lifecycle};
use crate::error::Result;
use crate::jobs::{Job, Ran, Stop, lapsed_before};

const CLAIM_BATCH: u64 = 20;
/// How long the endpoint has to answer, as with Stripe.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// The first retry waits this long, each next one twice as long, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: chrono::Duration = chrono::Duration::seconds(1);
const MAX_BACKOFF: chrono::Duration = chrono::Duration::minutes(5);
/// Stripe stops retrying after three days.
const GIVE_UP_AFTER: chrono::Duration = chrono::Duration::days(3);
/// How much of a failing endpoint's answer is kept for diagnosis.
const MAX_ERROR_CHARS: usize = 500;

pub struct DoubleJob {
    db: DatabaseConnection,
    settings: Arc<DoubleSettings>,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl DoubleJob {
    pub fn new(db: DatabaseConnection, settings: Arc<DoubleSettings>) -> Self {
        DoubleJob {
            db,
            settings,
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }
}

#[async_trait::async_trait]
impl Job for DoubleJob {
    fn name(&self) -> &'static str {
        "stripe double"
    }

    async fn run_due(&self, _stop: &Stop) -> Result<Ran> {
        let now = Utc::now();
        idempotency::forget_old_keys(&self.db, now).await?;
        let timers_full = lifecycle::run_timers(&self.db, &self.settings.public_url, now).await?;
        let claimed = claim(&self.db).await?;
        let events_full = claimed.len() as u64 == CLAIM_BATCH;
        let mut deliveries = JoinSet::new();
        for row in claimed {
            let (db, settings, client) =
                (self.db.clone(), self.settings.clone(), self.client.clone());
            deliveries.spawn(async move {
                let outcome = send(&client, &settings, &row.payload).await;
                record(&db, &row, outcome).await
            });
        }
        while let Some(done) = deliveries.join_next().await {
            done.map_err(crate::error::Error::internal)??;
        }
        Ok(if timers_full || events_full {
            Ran::FullBatch
        } else {
            Ran::Caught
        })
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>> {
        let next_event: Option<Option<DateTime<Utc>>> = event::Entity::find()
            .select_only()
            .expr(Expr::col(event::Column::DueAt).min())
            .filter(pending())
            .filter(event::Column::ClaimedAt.is_null())
            .into_tuple()
            .one(&self.db)
            .await?;
        let next_timer = lifecycle::next_timer(&self.db).await?;
        Ok([next_event.flatten(), next_timer]
            .into_iter()
            .flatten()
            .min())
    }
}

/// Undelivered events not given up on, whose session has no earlier such event: only the
/// first one of each session may go out.
fn pending() -> Condition {
    let earlier = Alias::new("earlier");
    let earlier_pending = Query::select()
        .expr(Expr::val(1))
        .from_as(event::Entity, earlier.clone())
        .and_where(
            Expr::col((earlier.clone(), event::Column::SessionId))
                .equals((event::Entity, event::Column::SessionId)),
        )
        .and_where(
            Expr::col((earlier.clone(), event::Column::Id))
                .lt(Expr::col((event::Entity, event::Column::Id))),
        )
        .and_where(Expr::col((earlier.clone(), event::Column::DeliveredAt)).is_null())
        .and_where(Expr::col((earlier, event::Column::GaveUpAt)).is_null())
        .to_owned();
    Condition::all()
        .add(event::Column::DeliveredAt.is_null())
        .add(event::Column::GaveUpAt.is_null())
        .add(Expr::exists(earlier_pending).not())
}

/// Claims the events due now and marks them as being delivered.
async fn claim(db: &DatabaseConnection) -> Result<Vec<event::Model>> {
    let now = Utc::now();
    let stale = lapsed_before(now);
    let txn = crate::db::begin_write(db).await?;
    let due = event::Entity::find()
        .filter(pending())
        .filter(event::Column::DueAt.lte(now))
        .filter(
            Condition::any()
                .add(event::Column::ClaimedAt.is_null())
                .add(event::Column::ClaimedAt.lt(stale)),
        )
        .order_by_asc(event::Column::Id)
        .limit(CLAIM_BATCH)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .all(&txn)
        .await?;
    if !due.is_empty() {
        event::Entity::update_many()
            .col_expr(event::Column::ClaimedAt, Expr::value(now))
            .filter(event::Column::Id.is_in(due.iter().map(|row| row.id)))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(due)
}

/// POSTs one event, signed now; `Err` says why it did not count as delivered.
async fn send(
    client: &Client<HttpConnector, Full<Bytes>>,
    settings: &DoubleSettings,
    payload: &str,
) -> Result<(), String> {
    let request = hyper::Request::post(&settings.webhook_url)
        .header(CONTENT_TYPE, "application/json; charset=utf-8")
        .header(USER_AGENT, "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
        .header(
            "stripe-signature",
            Webhook::generate_test_header(payload, &settings.webhook_secret, None),
        )
        .body(Full::new(Bytes::from(payload.to_owned())))
        .map_err(|error| format!("invalid webhook URL: {error}"))?;
    let exchange = async {
        let response = client
            .request(request)
            .await
            .map_err(|error| format!("cannot connect: {error}"))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|error| format!("broken answer: {error}"))?
            .to_bytes();
        if status.is_success() {
            return Ok(());
        }
        let text: String = String::from_utf8_lossy(&body)
            .chars()
            .take(MAX_ERROR_CHARS)
            .collect();
        Err(format!("answered {status}: {text}"))
    };
    tokio::time::timeout(DELIVERY_TIMEOUT, exchange)
        .await
        .map_err(|_| format!("no answer within {DELIVERY_TIMEOUT:?}"))?
}

/// Records an attempt: delivered, or due again after the backoff, or given up.
async fn record(
    db: &DatabaseConnection,
    row: &event::Model,
    outcome: Result<(), String>,
) -> Result<()> {
    let now = Utc::now();
    let attempts = row.attempts.saturating_add(1);
    let mut update = event::Entity::update_many()
        .col_expr(event::Column::Attempts, Expr::value(attempts))
        .col_expr(
            event::Column::ClaimedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(event::Column::Id.eq(row.id));
    match outcome {
        Ok(()) => {
            update = update.col_expr(event::Column::DeliveredAt, Expr::value(now));
        }
        Err(error) => {
            update = update.col_expr(event::Column::LastError, Expr::value(error.clone()));
            if now - row.created_at >= GIVE_UP_AFTER {
                tracing::warn!(event = %row.event_id, %error, "giving up delivering a Stripe test double event");
                update = update.col_expr(event::Column::GaveUpAt, Expr::value(now));
            } else {
                tracing::info!(event = %row.event_id, attempts, %error, "Stripe test double event not delivered; will retry");
                let due = now + backoff(attempts);
                update = update.col_expr(event::Column::DueAt, Expr::value(due));
            }
        }
    }
    update.exec(db).await?;
    Ok(())
}

/// The wait after the `attempts`-th failed attempt: 1 s, 2 s, 4 s … capped.
fn backoff(attempts: i32) -> chrono::Duration {
    // At most 2^16: far past the cap, far from overflow.
    let doublings = attempts.saturating_sub(1).clamp(0, 16);
    std::cmp::min(FIRST_BACKOFF * (1 << doublings), MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_exponentially_up_to_five_minutes() {
        let seconds: Vec<i64> = [1, 2, 3, 4, 9, 10, 1000]
            .into_iter()
            .map(|attempts| backoff(attempts).num_seconds())
            .collect();
        assert_eq!(seconds, [1, 2, 4, 8, 256, 300, 300]);
    }
}
