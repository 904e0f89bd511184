//! Idempotency keys (Stripe's design): a request sent with a key has its response stored for
//! [`KEEP_FOR`] per organization. The same key with the same request answers the stored
//! response without running again; with another request it is a conflict; while the first is
//! running, a second waits for its response. Keys live in the database, so they hold across
//! instances, and expired ones are purged by [`PurgeJob`].
//!
//! A key whose request died with its instance (in progress for longer than any request may
//! take) is taken over by the next retry.

pub mod entity;

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set,
};

use crate::error::Result;
use crate::ids::OrganizationId;
use crate::jobs::{Job, Ran, Stop};
use entity::Column;

/// How long a response is kept.
pub const KEEP_FOR: chrono::Duration = chrono::Duration::hours(24);
const PURGE_BATCH: u64 = 1_000;

/// A client's key: 1 to 255 visible ASCII characters (a UUID, say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(key: &str) -> std::result::Result<IdempotencyKey, &'static str> {
        if key.is_empty() || key.len() > 255 {
            return Err("must be 1 to 255 characters");
        }
        if !key.bytes().all(|byte| byte.is_ascii_graphic()) {
            return Err("must be visible ASCII characters (a UUID, say)");
        }
        Ok(IdempotencyKey(key.to_owned()))
    }
}

/// A stored response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

/// What a request with a key should do.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// Run it, then [`complete`] or [`release`] the key.
    Run(KeyId),
    /// It ran before: answer this.
    Replay(StoredResponse),
    /// The key was used for another request.
    Mismatch,
    /// The first request with the key is still running.
    InProgress,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyId(i64);

/// Claims `key` for a request with `fingerprint`. A request in progress for longer than
/// `abandoned_after` died with its instance: its key is taken over.
pub async fn claim(
    db: &DatabaseConnection,
    organization: OrganizationId,
    key: &IdempotencyKey,
    fingerprint: &str,
    abandoned_after: Duration,
) -> Result<Claim> {
    let now = Utc::now();
    let inserted = entity::Entity::insert(entity::ActiveModel {
        organization_id: Set(organization),
        key: Set(key.0.clone()),
        request_fingerprint: Set(fingerprint.to_owned()),
        response_status: Set(None),
        response_content_type: Set(None),
        response_body: Set(None),
        locked_at: Set(now),
        created_at: Set(now),
        expires_at: Set(now + KEEP_FOR),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([Column::OrganizationId, Column::Key])
    .exec(db)
    .await?;
    if let sea_orm::TryInsertResult::Inserted(inserted) = inserted {
        return Ok(Claim::Run(KeyId(inserted.last_insert_id)));
    }
    let Some(row) = entity::Entity::find()
        .filter(Column::OrganizationId.eq(organization))
        .filter(Column::Key.eq(key.0.as_str()))
        .one(db)
        .await?
    else {
        // Purged between the two statements: it expired, so the key is free again.
        return Box::pin(claim(db, organization, key, fingerprint, abandoned_after)).await;
    };
    if row.expires_at <= now {
        // Expired but not yet purged: the key is free again.
        entity::Entity::delete_by_id(row.id).exec(db).await?;
        return Box::pin(claim(db, organization, key, fingerprint, abandoned_after)).await;
    }
    if row.request_fingerprint != fingerprint {
        return Ok(Claim::Mismatch);
    }
    if let (Some(status), Some(content_type), Some(body)) = (
        row.response_status,
        row.response_content_type.clone(),
        row.response_body.clone(),
    ) {
        return Ok(Claim::Replay(StoredResponse {
            status: u16::try_from(status).unwrap_or(500),
            content_type,
            body,
        }));
    }
    let abandoned = now - chrono::Duration::from_std(abandoned_after).unwrap_or_default();
    if row.locked_at >= abandoned {
        return Ok(Claim::InProgress);
    }
    // Taken over only if nobody else did first.
    let taken = entity::Entity::update_many()
        .col_expr(Column::LockedAt, Expr::value(now))
        .filter(Column::Id.eq(row.id))
        .filter(Column::LockedAt.eq(row.locked_at))
        .filter(Column::ResponseStatus.is_null())
        .exec(db)
        .await?;
    Ok(if taken.rows_affected == 1 {
        Claim::Run(KeyId(row.id))
    } else {
        Claim::InProgress
    })
}

/// Stores the response of the request that claimed the key.
pub async fn complete(db: &DatabaseConnection, id: KeyId, response: StoredResponse) -> Result<()> {
    entity::ActiveModel {
        id: Set(id.0),
        response_status: Set(Some(i64::from(response.status))),
        response_content_type: Set(Some(response.content_type)),
        response_body: Set(Some(response.body)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Frees the key of a request whose outcome must not be replayed (a transient failure): the
/// next retry runs it again.
pub async fn release(db: &DatabaseConnection, id: KeyId) -> Result<()> {
    entity::Entity::delete_by_id(id.0).exec(db).await?;
    Ok(())
}

/// Deletes expired keys.
pub struct PurgeJob {
    pub db: DatabaseConnection,
}

#[async_trait::async_trait]
impl Job for PurgeJob {
    fn name(&self) -> &'static str {
        "idempotency key purge"
    }

    async fn run_due(&self, _stop: &Stop) -> Result<Ran> {
        let expired: Vec<i64> = entity::Entity::find()
            .select_only()
            .column(Column::Id)
            .filter(Column::ExpiresAt.lte(Utc::now()))
            .limit(PURGE_BATCH)
            .into_tuple()
            .all(&self.db)
            .await?;
        let purged = entity::Entity::delete_many()
            .filter(Column::Id.is_in(expired))
            .exec(&self.db)
            .await?;
        Ok(if purged.rows_affected == PURGE_BATCH {
            Ran::FullBatch
        } else {
            Ran::Caught
        })
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>> {
        let next: Option<Option<DateTime<Utc>>> = entity::Entity::find()
            .select_only()
            .expr(Expr::col(Column::ExpiresAt).min())
            .into_tuple()
            .one(&self.db)
            .await?;
        Ok(next.flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_visible_ascii() {
        assert!(IdempotencyKey::parse("2f1c8a4e-6a5d-4b7e-9d0a-1b2c3d4e5f60").is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_err());
        assert!(IdempotencyKey::parse("with space").is_err());
        assert!(IdempotencyKey::parse("é").is_err());
    }
}
