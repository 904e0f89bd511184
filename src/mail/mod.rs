//! E-mail through an outbox (SPEC §8): a message is written in the same transaction as the
//! change that causes it, so a rolled-back change sends nothing, and a worker sends it later
//! with retries. A message is keyed by what caused it (`dedupe_key`): causing it twice stores it
//! once, and a sent message is marked sent, so nothing is sent twice (but for a crash between
//! the SMTP server's acceptance and that mark, which re-sends once the claim lapses).

pub mod entity;
mod transport;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::error::Result;
use crate::jobs::{self, Job, Ran, Stop, lapsed_before};
use entity::Column;
pub use transport::{LogTransport, SmtpTransport, Transport};

/// A message to one recipient, in plain text and HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Puts `mail` in the outbox, once per `dedupe_key`, inside the caller's transaction.
pub async fn enqueue(db: &impl ConnectionTrait, dedupe_key: &str, mail: Mail) -> Result<()> {
    let now = Utc::now();
    entity::Entity::insert(entity::ActiveModel {
        dedupe_key: Set(dedupe_key.to_owned()),
        recipient: Set(mail.to),
        subject: Set(mail.subject),
        text_body: Set(mail.text),
        html_body: Set(mail.html),
        created_at: Set(now),
        send_after: Set(now),
        attempts: Set(0),
        claimed_at: Set(None),
        sent_at: Set(None),
        last_error: Set(None),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([Column::DedupeKey])
    .exec(db)
    .await?;
    Ok(())
}

const CLAIM_BATCH: u64 = 20;
/// Attempts before a message is given up (about a day of backoff).
const MAX_ATTEMPTS: i32 = 12;

/// Sends due messages through a [`Transport`], retrying failures with exponential backoff.
pub struct MailJob {
    pub db: DatabaseConnection,
    pub transport: Arc<dyn Transport>,
}

impl MailJob {
    async fn claim(&self) -> Result<Vec<entity::Model>> {
        let now = Utc::now();
        let stale = lapsed_before(now);
        let txn = crate::db::begin_write(&self.db).await?;
        let due = entity::Entity::find()
            .filter(Column::SentAt.is_null())
            .filter(Column::SendAfter.lte(now))
            .filter(Column::Attempts.lt(MAX_ATTEMPTS))
            .filter(
                Condition::any()
                    .add(Column::ClaimedAt.is_null())
                    .add(Column::ClaimedAt.lt(stale)),
            )
            .order_by_asc(Column::SendAfter)
            .limit(CLAIM_BATCH)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .all(&txn)
            .await?;
        if !due.is_empty() {
            entity::Entity::update_many()
                .col_expr(Column::ClaimedAt, Expr::value(now))
                .filter(Column::Id.is_in(due.iter().map(|mail| mail.id)))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(due)
    }

    async fn send(&self, row: entity::Model) -> Result<()> {
        let mail = Mail {
            to: row.recipient,
            subject: row.subject,
            text: row.text_body,
            html: row.html_body,
        };
        let update = entity::Entity::update_many().filter(Column::Id.eq(row.id));
        match self.transport.send(&mail).await {
            Ok(()) => {
                update
                    .col_expr(Column::SentAt, Expr::value(Utc::now()))
                    .col_expr(Column::Attempts, Expr::value(row.attempts + 1))
                    .exec(&self.db)
                    .await?;
            }
            Err(error) => {
                let attempts = row.attempts + 1;
                tracing::warn!(mail = row.id, attempts, %error, "sending an e-mail failed; will retry");
                let retry_at = Utc::now() + backoff(attempts);
                update
                    .col_expr(Column::Attempts, Expr::value(attempts))
                    .col_expr(Column::SendAfter, Expr::value(retry_at))
                    .col_expr(
                        Column::ClaimedAt,
                        Expr::value(Option::<DateTime<Utc>>::None),
                    )
                    .col_expr(Column::LastError, Expr::value(error))
                    .exec(&self.db)
                    .await?;
            }
        }
        Ok(())
    }
}

/// Renews (`Some`) or releases (`None`) the claims of unsent messages.
async fn set_claims(
    db: &DatabaseConnection,
    ids: Vec<i64>,
    at: Option<DateTime<Utc>>,
) -> Result<()> {
    entity::Entity::update_many()
        .col_expr(Column::ClaimedAt, Expr::value(at))
        .filter(Column::Id.is_in(ids))
        .filter(Column::SentAt.is_null())
        .filter(Column::ClaimedAt.is_not_null())
        .exec(db)
        .await?;
    Ok(())
}

/// 30 s, 1 min, 2 min … doubling, at most 4 h.
fn backoff(attempts: i32) -> chrono::Duration {
    let seconds = 30_i64.saturating_mul(1 << attempts.clamp(1, 12).saturating_sub(1));
    chrono::Duration::seconds(Ord::min(seconds, 4 * 60 * 60))
}

#[async_trait::async_trait]
impl Job for MailJob {
    fn name(&self) -> &'static str {
        "mail"
    }

    async fn run_due(&self, stop: &Stop) -> Result<Ran> {
        let claimed = self.claim().await?;
        let full = claimed.len() as u64 == CLAIM_BATCH;
        let db = self.db.clone();
        jobs::work_through(
            claimed,
            |row| row.id,
            Some(stop),
            move |ids, at| {
                let db = db.clone();
                async move { set_claims(&db, ids, at).await }
            },
            |row| self.send(row),
        )
        .await?;
        Ok(if full && !stop.requested() {
            Ran::FullBatch
        } else {
            Ran::Caught
        })
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>> {
        let next: Option<Option<DateTime<Utc>>> = entity::Entity::find()
            .select_only()
            .expr(Expr::col(Column::SendAfter).min())
            .filter(Column::SentAt.is_null())
            .filter(Column::ClaimedAt.is_null())
            .filter(Column::Attempts.lt(MAX_ATTEMPTS))
            .into_tuple()
            .one(&self.db)
            .await?;
        let oldest_claim: Option<Option<DateTime<Utc>>> = entity::Entity::find()
            .select_only()
            .expr(Expr::col(Column::ClaimedAt).min())
            .filter(Column::SentAt.is_null())
            .filter(Column::Attempts.lt(MAX_ATTEMPTS))
            .into_tuple()
            .one(&self.db)
            .await?;
        Ok(jobs::next_look(next.flatten(), oldest_claim.flatten()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_exponentially_up_to_four_hours() {
        assert_eq!(backoff(1), chrono::Duration::seconds(30));
        assert_eq!(backoff(2), chrono::Duration::seconds(60));
        assert_eq!(backoff(3), chrono::Duration::seconds(120));
        assert_eq!(backoff(12), chrono::Duration::hours(4));
    }
}
