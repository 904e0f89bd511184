//! Data the API cannot produce on demand: emissions with round net CO2, and a listing with a
//! known supply. Written through the library, exactly as the server would store them.

use chrono::Utc;
use contrail::api::id::GlobalId;
use contrail::credits::ledger::{self, NewBatch};
use contrail::credits::{self, NewProject};
use contrail::emissions::entity::emission;
use contrail::fleet::TailNumber;
use contrail::fuel::FuelType;
use contrail::units::{Currency, Grams, Money};
use sea_orm::{ActiveModelTrait, Set};

use crate::helpers::TestApp;

/// An emission of organization A on `tail` (registered already) whose net CO2 is `net_kg`.
pub async fn emission_with_net(app: &TestApp, tail: &str, net_kg: i64) -> String {
    let tail = TailNumber::parse(tail).unwrap();
    let aircraft = contrail::fleet::find_by_tail(&app.db, app.org_a, &tail)
        .await
        .unwrap()
        .expect("registered aircraft");
    let grams = net_kg * 1_000;
    let row = emission::ActiveModel {
        organization_id: Set(app.org_a),
        aircraft_id: Set(aircraft.id),
        model_code: Set(aircraft.model_code.clone()),
        duration_minutes: Set(60),
        fuel_type: Set(FuelType::JetA),
        saf_blend_bps: Set(0),
        saf_pathway: Set(None),
        methodology_version: Set("contrail-2026.1".into()),
        fuel_burn_milli_us_gal_per_hour: Set(179_000),
        emission_factor_milli: Set(3_160),
        saf_lifecycle_deci_grams: Set(None),
        fuel_burned_grams: Set(grams * 1_000 / 3_160),
        co2_grams: Set(grams),
        saf_reduction_grams: Set(0),
        net_co2_grams: Set(grams),
        created_at: Set(Utc::now()),
        estimate_id: Set(None),
        tail_number: Set(tail),
        departed_at: Set(Some("2026-11-02T08:30:00Z".parse().unwrap())),
        origin: Set(Some("EGLF".into())),
        destination: Set(Some("LFMN".into())),
        external_reference: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    row.id.to_id().0
}

/// A listing at `unit_price_cents` USD per tonne backed by batches of `(vintage, tonnes)`.
pub async fn listing_with_batches(
    app: &TestApp,
    unit_price_cents: i64,
    batches: &[(i32, i64)],
) -> String {
    let project = credits::add_project(
        &app.db,
        NewProject {
            name: "Test biochar".into(),
            registry: "Puro.earth".into(),
            method: "Biochar".into(),
            country: "FI".into(),
            vintage: 2024,
            description: String::new(),
        },
    )
    .await
    .unwrap();
    let listing = credits::add_listing(
        &app.db,
        project,
        Money::new(unit_price_cents, Currency::Usd),
        Grams::ZERO,
    )
    .await
    .unwrap();
    for (index, (vintage, tonnes)) in batches.iter().enumerate() {
        let txn = contrail::db::begin_write(&app.db).await.unwrap();
        let new = NewBatch {
            listing,
            serial_prefix: format!("TEST-{}-{vintage}-{index}", listing.0),
            vintage: *vintage,
            quantity: Grams::new(tonnes * 1_000_000),
        };
        ledger::add_batch(&txn, new).await.unwrap();
        txn.commit().await.unwrap();
    }
    listing.to_id().0
}
