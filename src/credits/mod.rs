//! Carbon-removal credit supply: projects, and listings that sell a project's credits at a
//! price per tonne.

mod demo;
pub mod entity;
pub mod ledger;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

use crate::error::Result;
use crate::ids::{ListingId, ProjectId};
use crate::units::{Grams, Money};
pub use demo::seed_demo;
use entity::{listing, project};

#[derive(Debug, Clone)]
pub struct CreditProject {
    pub id: ProjectId,
    pub name: String,
    pub registry: String,
    pub method: String,
    pub country: String,
    pub vintage: i32,
    pub description: String,
}

impl From<project::Model> for CreditProject {
    fn from(row: project::Model) -> Self {
        CreditProject {
            id: row.id,
            name: row.name,
            registry: row.registry,
            method: row.method,
            country: row.country,
            vintage: row.vintage,
            description: row.description,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Listing {
    pub id: ListingId,
    pub project_id: ProjectId,
    pub unit_price: Money,
    pub min_fill: Grams,
    pub is_default: bool,
}

impl From<listing::Model> for Listing {
    fn from(row: listing::Model) -> Self {
        Listing {
            id: row.id,
            project_id: row.project_id,
            unit_price: Money::new(row.unit_price_minor, row.currency),
            min_fill: Grams::new(row.min_fill_grams),
            is_default: row.is_default,
        }
    }
}

pub async fn find_project(
    db: &impl ConnectionTrait,
    id: ProjectId,
) -> Result<Option<CreditProject>> {
    Ok(project::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(Into::into))
}

pub async fn find_projects(
    db: &impl ConnectionTrait,
    ids: &[ProjectId],
) -> Result<Vec<CreditProject>> {
    let rows = project::Entity::find()
        .filter(crate::db::any_of(
            db.get_database_backend(),
            project::Column::Id,
            ids.iter().map(|id| id.0),
        ))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn find_listing(db: &impl ConnectionTrait, id: ListingId) -> Result<Option<Listing>> {
    Ok(listing::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(Into::into))
}

pub async fn find_listings(db: &impl ConnectionTrait, ids: &[ListingId]) -> Result<Vec<Listing>> {
    let rows = listing::Entity::find()
        .filter(crate::db::any_of(
            db.get_database_backend(),
            listing::Column::Id,
            ids.iter().map(|id| id.0),
        ))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn list_listings(db: &impl ConnectionTrait) -> Result<Vec<Listing>> {
    let rows = listing::Entity::find()
        .order_by_asc(listing::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// The listing that prices anything that names none.
pub async fn default_listing(db: &impl ConnectionTrait) -> Result<Option<Listing>> {
    let row = listing::Entity::find()
        .filter(listing::Column::IsDefault.eq(true))
        .order_by_asc(listing::Column::Id)
        .one(db)
        .await?;
    Ok(row.map(Into::into))
}

pub struct NewProject {
    pub name: String,
    pub registry: String,
    pub method: String,
    pub country: String,
    pub vintage: i32,
    pub description: String,
}

pub async fn add_project(db: &impl ConnectionTrait, new: NewProject) -> Result<ProjectId> {
    let row = project::ActiveModel {
        name: Set(new.name),
        registry: Set(new.registry),
        method: Set(new.method),
        country: Set(new.country),
        vintage: Set(new.vintage),
        description: Set(new.description),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.id)
}

/// Adds a listing; the first one becomes the default.
pub async fn add_listing(
    db: &impl ConnectionTrait,
    project: ProjectId,
    unit_price: Money,
    min_fill: Grams,
) -> Result<ListingId> {
    let is_default = listing::Entity::find().count(db).await? == 0;
    let row = listing::ActiveModel {
        project_id: Set(project),
        unit_price_minor: Set(unit_price.minor),
        currency: Set(unit_price.currency),
        min_fill_grams: Set(min_fill.get()),
        is_default: Set(is_default),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.id)
}
