//! Stripe's idempotent requests: a POST with an `Idempotency-Key` answers what the first request
//! with that key answered, if the method, path and body match; otherwise it is an
//! `idempotency_error`. The answer is stored in the transaction of the change, so a key never
//! points at a change that was rolled back.

use axum::Json;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, Set,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::entity::idempotency_key;
use super::error::ApiError;
use super::hex;
use crate::error::{Error, quote};

/// Stripe's limit on a key's length.
const MAX_KEY_CHARS: usize = 255;
/// How long Stripe keeps a key at least; it may forget it after that.
const KEEP_KEYS: chrono::Duration = chrono::Duration::hours(24);

pub struct Idempotency {
    key: Option<String>,
    fingerprint: String,
}

impl Idempotency {
    /// The key of a request to `route` (method and path) with `body`, if it has one.
    pub fn of(headers: &HeaderMap, route: &str, body: &[u8]) -> Result<Self, ApiError> {
        let key = match headers.get("idempotency-key") {
            None => None,
            Some(value) => {
                let key = value
                    .to_str()
                    .ok()
                    .filter(|key| !key.is_empty() && key.chars().count() <= MAX_KEY_CHARS)
                    .ok_or_else(|| {
                        ApiError::invalid(
                            format!(
                                "Invalid idempotency key: give 1 to {MAX_KEY_CHARS} visible ASCII characters."
                            ),
                            None,
                        )
                    })?;
                Some(key.to_owned())
            }
        };
        let mut hash = Sha256::new();
        hash.update(route.as_bytes());
        hash.update(b"\n");
        hash.update(body);
        Ok(Idempotency {
            key,
            fingerprint: hex(&hash.finalize()),
        })
    }

    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// The stored answer to this key, if the key was used before.
    pub async fn replay(&self, db: &impl ConnectionTrait) -> Result<Option<Response>, ApiError> {
        let Some(key) = &self.key else {
            return Ok(None);
        };
        let Some(stored) = idempotency_key::Entity::find_by_id(key.clone())
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        if stored.fingerprint != self.fingerprint {
            return Err(ApiError::idempotency(
                StatusCode::BAD_REQUEST,
                format!(
                    "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than {} if you meant to execute a different request.",
                    quote(key)
                ),
            ));
        }
        let body: Value = serde_json::from_str(&stored.response).map_err(Error::internal)?;
        let mut response = Json(body).into_response();
        response.headers_mut().insert(
            HeaderName::from_static("idempotent-replayed"),
            HeaderValue::from_static("true"),
        );
        Ok(Some(response))
    }

    /// Stores `body` as the answer to this key and commits `txn`. A concurrent request with the
    /// same key that committed first wins: its answer is replayed and `txn` rolled back.
    pub async fn commit(
        &self,
        txn: DatabaseTransaction,
        db: &DatabaseConnection,
        body: Value,
    ) -> Result<Response, ApiError> {
        if let Some(key) = &self.key {
            let stored = idempotency_key::Entity::insert(idempotency_key::ActiveModel {
                key: Set(key.clone()),
                fingerprint: Set(self.fingerprint.clone()),
                response: Set(body.to_string()),
                created_at: Set(Utc::now()),
            })
            .exec(&txn)
            .await;
            if let Err(error) = stored {
                if !crate::db::is_unique_violation(&error) {
                    return Err(error.into());
                }
                txn.rollback().await?;
                return self.replay(db).await?.ok_or_else(|| {
                    ApiError::idempotency(
                        StatusCode::CONFLICT,
                        "There is currently another in-progress request using this Idempotent Key."
                            .to_owned(),
                    )
                });
            }
        }
        txn.commit().await?;
        Ok(Json(body).into_response())
    }
}

/// Forgets keys older than Stripe keeps them.
pub async fn forget_old_keys(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> crate::error::Result<()> {
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::CreatedAt.lt(now - KEEP_KEYS))
        .exec(db)
        .await?;
    Ok(())
}
