//! Carbon-removal credit supply: projects, and listings that sell a project's credits at a
//! price per tonne.

pub mod cli;
pub mod entity;
pub mod graphql;
pub mod ledger;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use crate::error::Result;
use crate::units::{Currency, Grams, Money};
use entity::{listing, project};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProjectId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListingId(pub i64);

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
            id: ProjectId(row.id),
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

impl Listing {
    pub(crate) fn from_row(row: listing::Model) -> Result<Self, DbErr> {
        let currency: Currency = row
            .currency
            .parse()
            .map_err(|_| DbErr::Custom(format!("listing {}: bad currency", row.id)))?;
        Ok(Listing {
            id: ListingId(row.id),
            project_id: ProjectId(row.project_id),
            unit_price: Money::new(row.unit_price_minor, currency),
            min_fill: Grams::new(row.min_fill_grams),
            is_default: row.is_default,
        })
    }
}

pub async fn find_project(db: &impl ConnectionTrait, id: i64) -> Result<Option<CreditProject>> {
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
        .filter(project::Column::Id.is_in(ids.iter().map(|id| id.0)))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn find_listing(db: &impl ConnectionTrait, id: i64) -> Result<Option<Listing>> {
    Ok(listing::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(Listing::from_row)
        .transpose()?)
}

pub async fn find_listings(db: &impl ConnectionTrait, ids: &[ListingId]) -> Result<Vec<Listing>> {
    let rows = listing::Entity::find()
        .filter(listing::Column::Id.is_in(ids.iter().map(|id| id.0)))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(Listing::from_row)
        .collect::<Result<_, _>>()?)
}

pub async fn list_listings(db: &impl ConnectionTrait) -> Result<Vec<Listing>> {
    let rows = listing::Entity::find()
        .order_by_asc(listing::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(Listing::from_row)
        .collect::<Result<_, _>>()?)
}

/// The listing that prices anything that names none.
pub async fn default_listing(db: &impl ConnectionTrait) -> Result<Option<Listing>> {
    let row = listing::Entity::find()
        .filter(listing::Column::IsDefault.eq(true))
        .order_by_asc(listing::Column::Id)
        .one(db)
        .await?;
    Ok(row.map(Listing::from_row).transpose()?)
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
    Ok(ProjectId(row.id))
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
        project_id: Set(project.0),
        unit_price_minor: Set(unit_price.minor),
        currency: Set(unit_price.currency.code().to_owned()),
        min_fill_grams: Set(min_fill.get()),
        is_default: Set(is_default),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(ListingId(row.id))
}

/// Demonstration supply for development: four removal methods certified under the Puro
/// Standard, each plainly named as a demo so nobody mistakes it for a real project.
/// Prices are illustrative, not market quotes.
struct DemoProject {
    name: &'static str,
    method: &'static str,
    country: &'static str,
    vintage: i32,
    unit_price_cents: i64,
    serial_prefix: &'static str,
    description: &'static str,
}

const DEMO_PROJECTS: [DemoProject; 4] = [
    DemoProject {
        name: "Demo — Biochar from forestry residues",
        method: "Biochar",
        country: "FI",
        vintage: 2025,
        unit_price_cents: 15_000,
        serial_prefix: "DEMO-BIOCHAR-2025",
        description: "Demonstration project (not real supply): pyrolysis of forestry residues into biochar applied to farmland, which stores carbon for centuries.",
    },
    DemoProject {
        name: "Demo — Enhanced rock weathering on cropland",
        method: "Enhanced Rock Weathering",
        country: "GB",
        vintage: 2025,
        unit_price_cents: 32_000,
        serial_prefix: "DEMO-ERW-2025",
        description: "Demonstration project (not real supply): crushed basalt spread on fields binds CO2 as bicarbonate that ends up in the ocean.",
    },
    DemoProject {
        name: "Demo — Bio-oil geological storage",
        method: "Geologically Stored Carbon (bio-oil)",
        country: "US",
        vintage: 2024,
        unit_price_cents: 60_000,
        serial_prefix: "DEMO-BIOOIL-2024",
        description: "Demonstration project (not real supply): bio-oil from biomass pyrolysis injected into deep geological formations.",
    },
    DemoProject {
        name: "Demo — Carbonated wooden building elements",
        method: "Carbon Removal Wooden Building Elements",
        country: "SE",
        vintage: 2024,
        unit_price_cents: 12_000,
        serial_prefix: "DEMO-WOOD-2024",
        description: "Demonstration project (not real supply): timber from sustainably managed forests stored in long-lived building elements.",
    },
];

/// Demo supply of each demo listing.
const DEMO_BATCH_TONNES: i64 = 5_000;

/// Seeds the demo projects, listings and batches, once and atomically: a database with any
/// listing is left alone.
pub async fn seed_demo(db: &DatabaseConnection) -> Result<bool> {
    let txn = crate::db::begin_write(db).await?;
    if listing::Entity::find().count(&txn).await? > 0 {
        return Ok(false);
    }
    for demo in DEMO_PROJECTS {
        let project = add_project(
            &txn,
            NewProject {
                name: demo.name.to_owned(),
                registry: "Puro.earth (demo)".to_owned(),
                method: demo.method.to_owned(),
                country: demo.country.to_owned(),
                vintage: demo.vintage,
                description: demo.description.to_owned(),
            },
        )
        .await?;
        let listing = add_listing(
            &txn,
            project,
            Money::new(demo.unit_price_cents, Currency::Usd),
            Grams::ZERO,
        )
        .await?;
        ledger::add_batch(
            &txn,
            ledger::NewBatch {
                listing,
                serial_prefix: demo.serial_prefix.to_owned(),
                vintage: demo.vintage,
                quantity: Grams::new(DEMO_BATCH_TONNES * 1_000_000),
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(true)
}
