use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{Backend, Options, TestApp, assert_bad_inputs, error_code};
use crate::on_both_databases;

const ESTIMATE: &str = "mutation($input: EstimateEmissionInput!) { estimateEmission(input: $input) { estimate {
    id fuelBurnedKg co2Kg safReductionKg netCo2Kg co2Tonnes durationMinutes fuelType expiresAt
    aircraft { tailNumber }
    methodology { version fuelBurnKgPerHour fuelBurnUsGallonsPerHour emissionFactor safLifecycleGramsPerMegajoule }
    listing { unitPrice { amount currency } }
    offsetOptions { percentage tonnes price { amount currency } }
} } }";

on_both_databases!(
    reproduces_the_worked_example,
    reproduces_the_worked_example_with_saf,
    prices_offsets_from_the_listing,
    rejects_out_of_range_input,
    remembers_aircraft_but_never_trusts_them,
);

fn dec(value: &Value) -> Decimal {
    value.as_str().unwrap().parse().unwrap()
}

async fn estimate(app: &TestApp, input: Value) -> Value {
    app.ok(ESTIMATE, json!({ "input": input })).await["estimateEmission"]["estimate"].clone()
}

async fn reproduces_the_worked_example(app: TestApp) {
    app.register("N300EM").await;
    let estimate = estimate(
        &app,
        json!({ "tailNumber": "N300EM", "durationMinutes": 90, "fuelType": "JET_A" }),
    )
    .await;
    assert_eq!(estimate["fuelBurnedKg"], "813.106");
    assert_eq!(estimate["co2Kg"], "2569.416");
    assert_eq!(estimate["safReductionKg"], "0.000");
    assert_eq!(estimate["netCo2Kg"], "2569.416");
    assert_eq!(estimate["co2Tonnes"], "2.569416");
    assert_eq!(estimate["methodology"]["version"], "contrail-2026.2");
    assert_eq!(estimate["methodology"]["emissionFactor"], "3.16");
    assert_eq!(estimate["methodology"]["fuelBurnUsGallonsPerHour"], "179");
    assert!(estimate["expiresAt"].is_string());
    // An estimate records no emission.
    assert_eq!(app.count_rows("emissions").await, 0);
    assert_eq!(app.count_rows("emission_estimates").await, 1);
}

async fn reproduces_the_worked_example_with_saf(app: TestApp) {
    app.register("N300EM").await;
    let estimate = estimate(
        &app,
        json!({ "tailNumber": "N300EM", "durationMinutes": 90, "safBlendPercent": "30", "safPathway": "HEFA_USED_COOKING_OIL" }),
    )
    .await;
    assert_eq!(estimate["co2Kg"], "2569.416");
    assert_eq!(estimate["safReductionKg"], "650.438");
    assert_eq!(estimate["netCo2Kg"], "1918.979");
    assert_eq!(
        estimate["methodology"]["safLifecycleGramsPerMegajoule"],
        "13.9"
    );
}

async fn prices_offsets_from_the_listing(app: TestApp) {
    app.register("N300EM").await;
    let estimate = estimate(
        &app,
        json!({ "tailNumber": "N300EM", "durationMinutes": 90 }),
    )
    .await;
    let unit_price = dec(&estimate["listing"]["unitPrice"]["amount"]);
    let net_tonnes = dec(&estimate["co2Tonnes"]);
    let options = estimate["offsetOptions"].as_array().unwrap();
    assert_eq!(
        options
            .iter()
            .map(|o| o["percentage"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [50, 100, 150]
    );
    for option in options {
        let percentage = Decimal::from(option["percentage"].as_i64().unwrap());
        let tonnes = dec(&option["tonnes"]);
        assert_eq!(
            tonnes,
            (net_tonnes * percentage / Decimal::from(100)).round_dp(6)
        );
        let expected = (tonnes * unit_price)
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        assert_eq!(dec(&option["price"]["amount"]), expected, "{option}");
        assert_eq!(option["price"]["currency"], "USD");
    }
    // 2.569416 t × 150.00 USD = 385.4124 → 385.41
    assert_eq!(options[1]["price"]["amount"], "385.41");

    let custom = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on EmissionEstimate { offsetOptions(percentages: [25, 300]) { percentage tonnes } } } }",
            json!({ "id": estimate["id"] }),
        )
        .await;
    assert_eq!(
        custom["node"]["offsetOptions"][1],
        json!({ "percentage": 300, "tonnes": "7.708248" })
    );
}

async fn rejects_out_of_range_input(app: TestApp) {
    app.register("N300EM").await;
    let cases = [
        (
            json!({ "tailNumber": "N300EM", "durationMinutes": 0 }),
            "durationMinutes",
        ),
        (
            json!({ "tailNumber": "N300EM", "durationMinutes": 2881 }),
            "durationMinutes",
        ),
        (
            json!({ "tailNumber": "N300EM", "durationMinutes": 60, "safBlendPercent": "51", "safPathway": "HEFA_TALLOW" }),
            "safBlendPercent",
        ),
        (
            json!({ "tailNumber": "N300EM", "durationMinutes": 60, "safBlendPercent": "10" }),
            "safPathway",
        ),
        (
            json!({ "tailNumber": "??", "durationMinutes": 60 }),
            "tailNumber",
        ),
    ];
    assert_bad_inputs(&app, ESTIMATE, &cases).await;
    let unknown = app
        .graphql(
            ESTIMATE,
            json!({ "input": { "tailNumber": "N999ZZ", "durationMinutes": 60 } }),
        )
        .await;
    assert_eq!(error_code(&unknown).0, "NOT_FOUND");
    let bad_percentage = app
        .graphql(
            "mutation { estimateEmission(input: { tailNumber: \"N300EM\", durationMinutes: 60 }) { estimate { offsetOptions(percentages: [0]) { tonnes } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        error_code(&bad_percentage),
        ("BAD_USER_INPUT".to_owned(), Some("percentages".to_owned()))
    );
    assert_eq!(
        app.count_rows("emission_estimates").await,
        1,
        "only the last, valid estimate was stored"
    );
}

#[tokio::test]
async fn adds_the_platform_fee() {
    let options = Options {
        fee: contrail::units::FeeBps::new(250).unwrap(),
        ..Options::default()
    };
    let app = TestApp::spawn_with(Backend::Sqlite, options).await;
    app.register("N300EM").await;
    let estimate = estimate(
        &app,
        json!({ "tailNumber": "N300EM", "durationMinutes": 90 }),
    )
    .await;
    // 2.569416 t × 150.00 × 1.025 = 395.04771 → 395.05
    assert_eq!(estimate["offsetOptions"][1]["price"]["amount"], "395.05");
}

/// An estimate does not look up again an aircraft it has just seen, but never trusts what it
/// remembers: a change made through another instance (here, straight in the database) shows in
/// the very next estimate.
async fn remembers_aircraft_but_never_trusts_them(app: TestApp) {
    use contrail::fleet::entity::{Column, Entity};
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    const BURN: &str = "mutation($input: EstimateEmissionInput!) { estimateEmission(input: $input) { estimate { methodology { fuelBurnKgPerHour } fuelType } } }";
    let input = json!({ "input": { "tailNumber": "N500HN", "durationMinutes": 60 } });
    let burn = |body: Value| {
        let estimate = &body["estimateEmission"]["estimate"];
        (
            estimate["methodology"]["fuelBurnKgPerHour"].clone(),
            estimate["fuelType"].clone(),
        )
    };
    let change = |column: Column, value: sea_orm::Value| {
        Entity::update_many()
            .col_expr(column, Expr::value(value))
            .filter(Column::TailNumber.eq("N500HN"))
            .exec(&app.db)
    };
    app.register("N500HN").await;
    app.take_statement_count();
    let light = burn(app.ok(BURN, input.clone()).await);
    assert_eq!(
        app.take_statement_count(),
        2,
        "the aircraft, then the estimate"
    );
    assert_eq!(burn(app.ok(BURN, input.clone()).await), light);
    assert_eq!(app.take_statement_count(), 1, "the estimate alone");

    change(Column::ModelCode, "GLF6".into()).await.unwrap();
    let heavy = burn(app.ok(BURN, input.clone()).await);
    assert_ne!(heavy.0, light.0, "the new type's burn");
    assert_eq!(heavy.1, light.1);
    assert_eq!(burn(app.ok(BURN, input.clone()).await), heavy);
    change(Column::FuelType, "JET_B".into()).await.unwrap();
    let fuel = burn(app.ok(BURN, input.clone()).await);
    assert_eq!(fuel.1, "JET_B", "the new fuel");

    let estimates = app.count_rows("emission_estimates").await;
    change(Column::ArchivedAt, chrono::Utc::now().into())
        .await
        .unwrap();
    let body = app.graphql(BURN, input.clone()).await;
    assert_eq!(error_code(&body).0, "NOT_FOUND", "{body}");
    assert_eq!(app.count_rows("emission_estimates").await, estimates);
}
