//! Organizations (the tenants) and their API keys.

pub mod entity;

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use sha2::{Digest, Sha256};

use crate::error::{Error, Input, Result};
use crate::ids::OrganizationId;
use entity::{api_key, organization};

const KEY_PREFIX: &str = "ctr_";
/// 32 random bytes: 43 URL-safe characters after the prefix.
const KEY_RANDOM_BYTES: usize = 32;

/// How stale `last_used_at` may get: a key used all day is written once a minute, not once a
/// request.
const LAST_USED_RESOLUTION: chrono::Duration = chrono::Duration::minutes(1);

/// A freshly issued key; the only moment its secret exists outside the client.
pub struct IssuedKey {
    pub organization_id: OrganizationId,
    pub secret: String,
}

pub async fn create(db: &impl ConnectionTrait, name: &str) -> Result<IssuedKey> {
    let name = crate::units::parse_text(name, 200, false)
        .map_err(|reason| Error::invalid(Input::OrganizationName, reason))?;
    if name.is_empty() {
        return Err(Error::invalid(Input::OrganizationName, "must not be empty"));
    }
    let now = Utc::now();
    let organization = organization::ActiveModel {
        name: Set(name),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let organization_id = organization.id;
    let secret = issue_key(db, organization_id).await?;
    Ok(IssuedKey {
        organization_id,
        secret,
    })
}

async fn issue_key(db: &impl ConnectionTrait, organization_id: OrganizationId) -> Result<String> {
    let secret = format!(
        "{KEY_PREFIX}{}",
        crate::tokens::random_token(KEY_RANDOM_BYTES)?
    );
    api_key::ActiveModel {
        organization_id: Set(organization_id),
        key_hash: Set(hash_key(&secret)),
        prefix: Set(secret[..KEY_PREFIX.len() + 6].to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(secret)
}

/// A key is high-entropy random, so a fast hash is enough: there is nothing to brute-force.
fn hash_key(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// How long a key found valid is believed without asking the database again: a revocation
/// (from the CLI, on any instance) takes effect on every instance within this time.
const KEY_CACHE_TTL: Duration = Duration::from_secs(1);
/// Keys believed at once; more are forgotten wholesale (a few clients hold most keys in use).
const KEY_CACHE_CAPACITY: usize = 10_000;

/// Valid keys seen in the last [`KEY_CACHE_TTL`], by hash: a client sending requests in a burst
/// costs one key lookup a second rather than one a request. Unknown keys are never cached.
#[derive(Default)]
pub struct KeyCache {
    keys: Mutex<HashMap<String, CachedKey>>,
}

#[derive(Clone, Copy)]
struct CachedKey {
    organization_id: OrganizationId,
    checked_at: Instant,
}

impl KeyCache {
    fn get(&self, hash: &str) -> Option<OrganizationId> {
        let keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        keys.get(hash)
            .filter(|key| key.checked_at.elapsed() < KEY_CACHE_TTL)
            .map(|key| key.organization_id)
    }

    fn insert(&self, hash: String, organization_id: OrganizationId) {
        let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        if keys.len() >= KEY_CACHE_CAPACITY {
            keys.retain(|_, key| key.checked_at.elapsed() < KEY_CACHE_TTL);
            if keys.len() >= KEY_CACHE_CAPACITY {
                keys.clear();
            }
        }
        let checked_at = Instant::now();
        keys.insert(
            hash,
            CachedKey {
                organization_id,
                checked_at,
            },
        );
    }
}

/// The organization a presented key belongs to, if the key is well-formed, known and not
/// revoked (or was, less than [`KEY_CACHE_TTL`] ago); notes that the key was used.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    cache: &KeyCache,
    secret: &str,
) -> Result<Option<OrganizationId>> {
    if !secret.starts_with(KEY_PREFIX) || secret.len() < KEY_PREFIX.len() + 32 {
        return Ok(None);
    }
    let hash = hash_key(secret);
    if let Some(organization) = cache.get(&hash) {
        return Ok(Some(organization));
    }
    let Some(key) = api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(&hash))
        .filter(api_key::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let now = Utc::now();
    if key
        .last_used_at
        .is_none_or(|at| at < now - LAST_USED_RESOLUTION)
    {
        api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
            .filter(api_key::Column::Id.eq(key.id))
            .exec(db)
            .await?;
    }
    cache.insert(hash, key.organization_id);
    Ok(Some(key.organization_id))
}

/// An API key as an operator sees it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub id: i64,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The organization's keys, oldest first.
pub async fn keys(db: &impl ConnectionTrait, organization: OrganizationId) -> Result<Vec<KeyInfo>> {
    exists(db, organization).await?;
    let keys = api_key::Entity::find()
        .filter(api_key::Column::OrganizationId.eq(organization))
        .order_by_asc(api_key::Column::Id)
        .all(db)
        .await?;
    Ok(keys
        .into_iter()
        .map(|key| KeyInfo {
            id: key.id,
            prefix: key.prefix,
            created_at: key.created_at,
            last_used_at: key.last_used_at,
            revoked_at: key.revoked_at,
        })
        .collect())
}

/// Issues another key (to rotate keys without downtime: create, deploy, revoke the old one).
pub async fn create_key(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
) -> Result<IssuedKey> {
    exists(db, organization).await?;
    Ok(IssuedKey {
        organization_id: organization,
        secret: issue_key(db, organization).await?,
    })
}

/// Revokes one of the organization's keys; it is refused from the next request on. Revoking
/// twice is harmless.
pub async fn revoke_key(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    key: i64,
) -> Result<KeyInfo> {
    api_key::Entity::update_many()
        .col_expr(api_key::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(api_key::Column::Id.eq(key))
        .filter(api_key::Column::OrganizationId.eq(organization))
        .filter(api_key::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    keys(db, organization)
        .await?
        .into_iter()
        .find(|info| info.id == key)
        .ok_or_else(|| Error::not_found("API key"))
}

async fn exists(db: &impl ConnectionTrait, organization: OrganizationId) -> Result<()> {
    organization::Entity::find_by_id(organization)
        .one(db)
        .await?
        .map(|_| ())
        .ok_or_else(|| Error::not_found("Organization"))
}

/// The organization's name, as its customers know it.
pub async fn name(db: &impl ConnectionTrait, id: OrganizationId) -> Result<String> {
    organization::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|organization| organization.name)
        .ok_or_else(|| Error::not_found("Organization"))
}

pub async fn count(db: &impl ConnectionTrait) -> Result<u64> {
    Ok(organization::Entity::find().count(db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_stable_hex() {
        assert_eq!(hash_key("ctr_x").len(), 64);
        assert_eq!(hash_key("ctr_x"), hash_key("ctr_x"));
        assert_ne!(hash_key("ctr_x"), hash_key("ctr_y"));
    }
}
