//! An organization's fleet: aircraft identified by tail number, each of a catalog type.

pub mod entity;
pub mod graphql;
pub mod tail_number;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, Select, Set,
};

use crate::emissions::methodology::FuelType;
use crate::error::{Error, Result};
use crate::organizations::OrganizationId;
pub use tail_number::TailNumber;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AircraftId(pub i64);

#[derive(Debug, Clone)]
pub struct Aircraft {
    pub id: AircraftId,
    pub organization_id: OrganizationId,
    pub tail_number: TailNumber,
    pub model_code: String,
    pub fuel_type: FuelType,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
}

impl Aircraft {
    fn from_row(row: entity::Model) -> Result<Self, DbErr> {
        Ok(Aircraft {
            id: AircraftId(row.id),
            organization_id: OrganizationId(row.organization_id),
            tail_number: TailNumber::from_stored(row.tail_number),
            fuel_type: row
                .fuel_type
                .parse()
                .map_err(|_| DbErr::Custom(format!("aircraft {}: bad fuel type", row.id)))?,
            model_code: row.model_code,
            created_at: row.created_at,
            updated_at: row.updated_at,
            archived_at: row.archived_at,
        })
    }
}

pub struct NewAircraft {
    pub tail_number: TailNumber,
    pub model_code: String,
    pub fuel_type: Option<FuelType>,
}

#[derive(Default)]
pub struct AircraftChanges {
    pub tail_number: Option<TailNumber>,
    pub model_code: Option<String>,
    pub fuel_type: Option<FuelType>,
}

/// The organization's aircraft, archived ones only if asked.
pub fn select_fleet(
    organization: OrganizationId,
    include_archived: bool,
) -> Select<entity::Entity> {
    let select = entity::Entity::find().filter(entity::Column::OrganizationId.eq(organization.0));
    if include_archived {
        select
    } else {
        select.filter(entity::Column::ArchivedAt.is_null())
    }
}

pub fn rows_to_aircraft(rows: Vec<entity::Model>) -> Result<Vec<Aircraft>> {
    Ok(rows
        .into_iter()
        .map(Aircraft::from_row)
        .collect::<Result<_, _>>()?)
}

pub async fn register(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    new: NewAircraft,
) -> Result<Aircraft> {
    let model = crate::catalog::find(db, &new.model_code)
        .await?
        .ok_or_else(|| {
            Error::bad_input(
                "modelCode",
                format!(
                    "{} is not an aircraft type of the catalog",
                    crate::error::quote(&new.model_code)
                ),
            )
        })?;
    ensure_tail_free(db, organization, &new.tail_number).await?;
    let now = Utc::now();
    let row = entity::ActiveModel {
        organization_id: Set(organization.0),
        tail_number: Set(new.tail_number.as_str().to_owned()),
        model_code: Set(model.code),
        fuel_type: Set(new
            .fuel_type
            .unwrap_or(model.default_fuel_type)
            .as_str()
            .to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        archived_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|error| tail_conflict_or(error, &new.tail_number))?;
    Ok(Aircraft::from_row(row)?)
}

pub async fn update(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    id: AircraftId,
    changes: AircraftChanges,
) -> Result<Aircraft> {
    let row = find_row(db, organization, id)
        .await?
        .filter(|row| row.archived_at.is_none());
    let row = row.ok_or_else(|| Error::not_found("Aircraft"))?;
    let mut active = row.clone().into_active_model();
    if let Some(tail) = changes
        .tail_number
        .filter(|tail| tail.as_str() != row.tail_number)
    {
        ensure_tail_free(db, organization, &tail).await?;
        active.tail_number = Set(tail.as_str().to_owned());
    }
    if let Some(code) = changes.model_code {
        let model = crate::catalog::find(db, &code).await?.ok_or_else(|| {
            Error::bad_input(
                "modelCode",
                format!(
                    "{} is not an aircraft type of the catalog",
                    crate::error::quote(&code)
                ),
            )
        })?;
        active.model_code = Set(model.code);
    }
    if let Some(fuel) = changes.fuel_type {
        active.fuel_type = Set(fuel.as_str().to_owned());
    }
    active.updated_at = Set(Utc::now());
    let tail = TailNumber::from_stored(row.tail_number);
    let row = active
        .update(db)
        .await
        .map_err(|error| tail_conflict_or(error, &tail))?;
    Ok(Aircraft::from_row(row)?)
}

/// Deletes an aircraft without history; archives one with emissions, which must stay
/// explainable.
pub async fn remove(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    id: AircraftId,
) -> Result<Aircraft> {
    let row = find_row(db, organization, id)
        .await?
        .filter(|row| row.archived_at.is_none());
    let row = row.ok_or_else(|| Error::not_found("Aircraft"))?;
    if crate::emissions::aircraft_has_history(db, id).await? {
        let mut active = row.into_active_model();
        let now = Utc::now();
        active.archived_at = Set(Some(now));
        active.updated_at = Set(now);
        Ok(Aircraft::from_row(active.update(db).await?)?)
    } else {
        entity::Entity::delete_by_id(row.id).exec(db).await?;
        Aircraft::from_row(row).map_err(Into::into)
    }
}

async fn find_row(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    id: AircraftId,
) -> Result<Option<entity::Model>> {
    Ok(select_fleet(organization, true)
        .filter(entity::Column::Id.eq(id.0))
        .one(db)
        .await?)
}

pub async fn find(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    id: AircraftId,
) -> Result<Option<Aircraft>> {
    Ok(find_row(db, organization, id)
        .await?
        .map(Aircraft::from_row)
        .transpose()?)
}

/// The active aircraft with this tail number.
pub async fn find_by_tail(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    tail: &TailNumber,
) -> Result<Option<Aircraft>> {
    let row = select_fleet(organization, false)
        .filter(entity::Column::TailNumber.eq(tail.as_str()))
        .one(db)
        .await?;
    Ok(row.map(Aircraft::from_row).transpose()?)
}

pub async fn find_many(db: &impl ConnectionTrait, ids: &[AircraftId]) -> Result<Vec<Aircraft>> {
    let rows = entity::Entity::find()
        .filter(entity::Column::Id.is_in(ids.iter().map(|id| id.0)))
        .all(db)
        .await?;
    rows_to_aircraft(rows)
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
