//! Organizations (the tenants) and their API keys.

pub mod entity;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use sha2::{Digest, Sha256};

use crate::error::{Error, Input, Result};
use crate::ids::OrganizationId;
use entity::{api_key, organization};

const KEY_PREFIX: &str = "ctr_";
/// 32 random bytes: 43 URL-safe characters after the prefix.
const KEY_RANDOM_BYTES: usize = 32;

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

/// The organization a presented key belongs to, if the key is well-formed, known and live.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    secret: &str,
) -> Result<Option<OrganizationId>> {
    if !secret.starts_with(KEY_PREFIX) || secret.len() < KEY_PREFIX.len() + 32 {
        return Ok(None);
    }
    let key = api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(hash_key(secret)))
        .filter(api_key::Column::RevokedAt.is_null())
        .one(db)
        .await?;
    Ok(key.map(|key| key.organization_id))
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
