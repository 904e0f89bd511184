//! Demonstration supply for development: four removal methods certified under the Puro
//! Standard, each plainly named as a demo so nobody mistakes it for a real project. Prices are
//! illustrative, not market quotes.

use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};

use super::entity::listing;
use super::{NewProject, add_listing, add_project, ledger};
use crate::error::Result;
use crate::units::{Currency, Grams, Money};

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
