//! An organization's fleet: aircraft identified by tail number, each of a catalog type.

pub mod entity;
mod hints;
mod tail_number;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, Select, Set,
};

use crate::error::{Error, Input, Result};
use crate::fuel::FuelType;
use crate::ids::{AircraftId, OrganizationId};
pub use hints::{AircraftHints, still_as_remembered};
pub use tail_number::TailNumber;

pub type Aircraft = entity::Model;

pub struct NewAircraft {
    pub tail_number: TailNumber,
    /// An ICAO type designator, checked against the catalog.
    pub model_code: String,
    /// Defaults to the model's default fuel.
    pub fuel_type: Option<FuelType>,
}

#[derive(Default)]
pub struct AircraftChanges {
    pub tail_number: Option<TailNumber>,
    pub model_code: Option<String>,
    pub fuel_type: Option<FuelType>,
}

/// How an aircraft leaves the fleet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// Its flights are on the books: it is archived, never deleted, and its tail number is
    /// free again.
    Archive,
    Delete,
}

/// The organization's aircraft, archived ones only if asked.
pub fn select_fleet(
    organization: OrganizationId,
    include_archived: bool,
) -> Select<entity::Entity> {
    let select = entity::Entity::find().filter(entity::Column::OrganizationId.eq(organization));
    if include_archived {
        select
    } else {
        select.filter(entity::Column::ArchivedAt.is_null())
    }
}

pub async fn register(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    new: NewAircraft,
) -> Result<Aircraft> {
    let model =
        crate::catalog::find(&new.model_code).ok_or_else(|| unknown_model(&new.model_code))?;
    ensure_tail_free(db, organization, &new.tail_number).await?;
    let now = Utc::now();
    entity::ActiveModel {
        organization_id: Set(organization),
        tail_number: Set(new.tail_number.clone()),
        model_code: Set(model.code.clone()),
        fuel_type: Set(new.fuel_type.unwrap_or(model.default_fuel_type)),
        created_at: Set(now),
        updated_at: Set(now),
        archived_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|error| tail_conflict_or(error, &new.tail_number))
}

pub async fn update(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    id: AircraftId,
    changes: AircraftChanges,
) -> Result<Aircraft> {
    let row = find_active(db, organization, id).await?;
    let mut active = row.clone().into_active_model();
    let tail = match changes.tail_number {
        Some(tail) if tail != row.tail_number => {
            ensure_tail_free(db, organization, &tail).await?;
            active.tail_number = Set(tail.clone());
            tail
        }
        _ => row.tail_number,
    };
    if let Some(code) = changes.model_code {
        let model = crate::catalog::find(&code).ok_or_else(|| unknown_model(&code))?;
        active.model_code = Set(model.code.clone());
    }
    if let Some(fuel) = changes.fuel_type {
        active.fuel_type = Set(fuel);
    }
    active.updated_at = Set(Utc::now());
    active
        .update(db)
        .await
        .map_err(|error| tail_conflict_or(error, &tail))
}

/// Takes an active aircraft out of the fleet.
pub async fn remove(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    id: AircraftId,
    removal: Removal,
) -> Result<Aircraft> {
    let row = find_active(db, organization, id).await?;
    match removal {
        Removal::Archive => {
            let mut active = row.into_active_model();
            let now = Utc::now();
            active.archived_at = Set(Some(now));
            active.updated_at = Set(now);
            Ok(active.update(db).await?)
        }
        Removal::Delete => {
            entity::Entity::delete_by_id(row.id).exec(db).await?;
            Ok(row)
        }
    }
}

async fn find_active(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    id: AircraftId,
) -> Result<Aircraft> {
    find(db, organization, id)
        .await?
        .filter(|row| row.archived_at.is_none())
        .ok_or_else(|| Error::not_found("Aircraft"))
}

/// The organization's aircraft, archived or not.
pub async fn find(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    id: AircraftId,
) -> Result<Option<Aircraft>> {
    Ok(select_fleet(organization, true)
        .filter(entity::Column::Id.eq(id))
        .one(db)
        .await?)
}

/// The active aircraft with this tail number.
pub async fn find_by_tail(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    tail: &TailNumber,
) -> Result<Option<Aircraft>> {
    Ok(select_fleet(organization, false)
        .filter(entity::Column::TailNumber.eq(tail.clone()))
        .one(db)
        .await?)
}

pub async fn find_many(db: &impl ConnectionTrait, ids: &[AircraftId]) -> Result<Vec<Aircraft>> {
    Ok(entity::Entity::find()
        .filter(crate::db::any_of(
            db.get_database_backend(),
            entity::Column::Id,
            ids.iter().map(|id| id.0),
        ))
        .all(db)
        .await?)
}

fn unknown_model(code: &str) -> Error {
    Error::invalid(
        Input::AircraftModel,
        format!(
            "{} is not an aircraft type of the catalog",
            crate::error::quote(code)
        ),
    )
}

async fn ensure_tail_free(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    tail: &TailNumber,
) -> Result<()> {
    match find_by_tail(db, organization, tail).await? {
        Some(_) => Err(tail_taken(tail)),
        None => Ok(()),
    }
}

fn tail_taken(tail: &TailNumber) -> Error {
    Error::conflict(format!(
        "an aircraft with tail number {tail} is already in the fleet"
    ))
}

/// A concurrent registration can pass the check and lose at the unique index.
fn tail_conflict_or(error: DbErr, tail: &TailNumber) -> Error {
    if crate::db::is_unique_violation(&error) {
        tail_taken(tail)
    } else {
        error.into()
    }
}
