//! Values an installation generates once and keeps, shared by every instance (today the
//! development webhook secret).

use sea_orm::entity::prelude::*;
use sea_orm::{ConnectionTrait, Set};

use crate::error::Result;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub value: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The value stored under `key`, storing `generate()` first if there is none. Concurrent
/// first starts agree: the first insert wins and everyone reads it back.
pub async fn get_or_insert(
    db: &impl ConnectionTrait,
    key: &str,
    generate: impl FnOnce() -> Result<String>,
) -> Result<String> {
    if let Some(row) = Entity::find_by_id(key.to_owned()).one(db).await? {
        return Ok(row.value);
    }
    Entity::insert(ActiveModel {
        key: Set(key.to_owned()),
        value: Set(generate()?),
    })
    .on_conflict_do_nothing_on([Column::Key])
    .exec(db)
    .await?;
    let row = Entity::find_by_id(key.to_owned()).one(db).await?;
    Ok(row.map(|row| row.value).unwrap_or_default())
}
