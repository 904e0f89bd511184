use std::collections::HashSet;

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_bad_inputs, error_code};
use crate::on_both_databases;

const FIGURES: &str = "id tailNumber durationMinutes fuelType fuelBurnedKg co2Kg safReductionKg netCo2Kg safBlendPercent safPathway
    departedAt origin destination externalReference estimateId offsetKg offsetPercentage offsetStatus
    methodology { version emissionFactor fuelBurnKgPerHour } aircraft { tailNumber }";

on_both_databases!(
    records_an_estimate_with_its_figures,
    records_raw_flight_data,
    rejects_bad_emissions_writing_nothing,
    pages_through_250_emissions,
    filters_by_tail_and_departure,
);

async fn create(app: &TestApp, input: Value) -> Value {
    let query = format!(
        "mutation($input: CreateEmissionInput!) {{ createEmission(input: $input) {{ emission {{ {FIGURES} }} }} }}"
    );
    app.ok(&query, json!({ "input": input })).await["createEmission"]["emission"].clone()
}

/// Records `count` one-hour flights of `tail`, departing an hour apart from `start`, in
/// batches of aliased mutations.
pub async fn record_flights(
    app: &TestApp,
    tail: &str,
    count: usize,
    start: chrono::DateTime<chrono::Utc>,
) {
    for batch in (0..count).collect::<Vec<_>>().chunks(50) {
        let mutations: String = batch
            .iter()
            .map(|i| {
                let departed = (start + chrono::Duration::hours(*i as i64)).to_rfc3339();
                format!(
                    "e{i}: createEmission(input: {{ tailNumber: \"{tail}\", durationMinutes: 60, departedAt: \"{departed}\" }}) {{ emission {{ id }} }}\n"
                )
            })
            .collect();
        app.ok(&format!("mutation {{ {mutations} }}"), json!({}))
            .await;
    }
}

async fn records_an_estimate_with_its_figures(app: TestApp) {
    app.register("N300EM").await;
    let estimate = app
        .ok(
            "mutation { estimateEmission(input: { tailNumber: \"N300EM\", durationMinutes: 90, safBlendPercent: \"30\", safPathway: HEFA_USED_COOKING_OIL }) { estimate { id } } }",
            json!({}),
        )
        .await["estimateEmission"]["estimate"]["id"]
        .clone();
    let emission = create(
        &app,
        json!({ "estimateId": estimate, "departedAt": "2026-11-02T08:30:00Z", "origin": "kteb", "destination": "PBI", "externalReference": "TRIP-1" }),
    )
    .await;
    assert_eq!(emission["estimateId"], estimate);
    assert_eq!(emission["fuelBurnedKg"], "813.106");
    assert_eq!(emission["co2Kg"], "2569.416");
    assert_eq!(emission["safReductionKg"], "650.438");
    assert_eq!(emission["netCo2Kg"], "1918.979");
    assert_eq!(emission["safBlendPercent"], "30.00");
    assert_eq!(emission["safPathway"], "HEFA_USED_COOKING_OIL");
    assert_eq!(emission["origin"], "KTEB");
    assert_eq!(emission["tailNumber"], "N300EM");
    assert_eq!(emission["methodology"]["version"], "contrail-2026.2");
    assert_eq!(emission["offsetKg"], "0.000");
    assert_eq!(emission["offsetStatus"], "NOT_OFFSET");

    // One estimate is one flight: recording it twice would double count.
    let again = app
        .graphql(
            "mutation($id: ID!) { createEmission(input: { estimateId: $id }) { emission { id } } }",
            json!({ "id": estimate }),
        )
        .await;
    assert_eq!(error_code(&again).0, "CONFLICT");
    // So is a retried request with the same reference.
    let retried = app
        .graphql(
            "mutation { createEmission(input: { tailNumber: \"N300EM\", durationMinutes: 90, externalReference: \"TRIP-1\" }) { emission { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&retried).0, "CONFLICT");
    assert_eq!(app.count_rows("emissions").await, 1);
}

async fn records_raw_flight_data(app: TestApp) {
    app.register("N300EM").await;
    let emission = create(
        &app,
        json!({ "tailNumber": "n300em", "durationMinutes": 90, "fuelType": "JET_B" }),
    )
    .await;
    assert_eq!(emission["fuelBurnedKg"], "813.106");
    // 813.1064... kg × 3.10
    assert_eq!(emission["co2Kg"], "2520.630");
    assert_eq!(emission["methodology"]["emissionFactor"], "3.1");
    assert!(emission["estimateId"].is_null());
    let fetched = app
        .ok("query($id: ID!) { emission(id: $id) { co2Kg } node(id: $id) { id ... on Emission { fuelType } } }", json!({ "id": emission["id"] }))
        .await;
    assert_eq!(fetched["emission"]["co2Kg"], "2520.630");
    assert_eq!(fetched["node"]["fuelType"], "JET_B");
}

async fn rejects_bad_emissions_writing_nothing(app: TestApp) {
    app.register("N300EM").await;
    let query = "mutation($input: CreateEmissionInput!) { createEmission(input: $input) { emission { id } } }";
    let cases = [
        (json!({ "durationMinutes": 60 }), "tailNumber"),
        (json!({ "tailNumber": "N300EM" }), "durationMinutes"),
        (
            json!({ "tailNumber": "N300EM", "durationMinutes": 3000 }),
            "durationMinutes",
        ),
        (
            json!({ "tailNumber": "N300EM", "durationMinutes": 60, "origin": "not an airport" }),
            "origin",
        ),
        (
            json!({ "tailNumber": "N300EM", "durationMinutes": 60, "externalReference": "  " }),
            "externalReference",
        ),
        (json!({ "estimateId": "bogus" }), "estimateId"),
        (
            json!({ "estimateId": "bogus", "tailNumber": "N300EM" }),
            "estimateId",
        ),
    ];
    assert_bad_inputs(&app, query, &cases).await;
    assert_eq!(app.count_rows("emissions").await, 0);
}

async fn pages_through_250_emissions(app: TestApp) {
    app.register("N300EM").await;
    record_flights(&app, "N300EM", 250, "2026-10-01T00:00:00Z".parse().unwrap()).await;
    let query = "query($after: String) { emissions(first: 100, after: $after) { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }";
    let (mut seen, mut after, mut pages) = (Vec::new(), Value::Null, Vec::new());
    loop {
        let page = app.ok(query, json!({ "after": after })).await["emissions"].clone();
        assert_eq!(page["totalCount"], 250);
        let edges = page["edges"].as_array().unwrap();
        pages.push(edges.len());
        seen.extend(
            edges
                .iter()
                .map(|edge| edge["node"]["id"].as_str().unwrap().to_owned()),
        );
        if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(pages, [100, 100, 50]);
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        250,
        "no duplicates, no gaps"
    );

    // A cursor keeps its place when newer emissions arrive.
    let first_page = app.ok(query, json!({ "after": null })).await;
    let cursor = first_page["emissions"]["pageInfo"]["endCursor"].clone();
    record_flights(&app, "N300EM", 3, "2026-12-01T00:00:00Z".parse().unwrap()).await;
    let second = app.ok(query, json!({ "after": cursor })).await;
    assert_eq!(
        second["emissions"]["edges"][0]["node"]["id"]
            .as_str()
            .unwrap(),
        seen[100]
    );

    let too_many = app
        .graphql("{ emissions(first: 101) { totalCount } }", json!({}))
        .await;
    assert_eq!(
        error_code(&too_many),
        ("BAD_USER_INPUT".to_owned(), Some("first".to_owned()))
    );
    let bad_cursor = app
        .graphql(
            "{ emissions(after: \"nonsense\") { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        error_code(&bad_cursor),
        ("BAD_USER_INPUT".to_owned(), Some("after".to_owned()))
    );
}

async fn filters_by_tail_and_departure(app: TestApp) {
    app.register("N300EM").await;
    app.register("G-ABCD").await;
    record_flights(&app, "N300EM", 5, "2026-10-01T00:00:00Z".parse().unwrap()).await;
    record_flights(&app, "G-ABCD", 3, "2026-10-01T02:00:00Z".parse().unwrap()).await;
    let count = |filter: Value| {
        let app = &app;
        async move {
            let data = app
                .ok("query($filter: EmissionFilterInput) { emissions(filter: $filter) { totalCount nodes { tailNumber } } }", json!({ "filter": filter }))
                .await;
            data["emissions"]["totalCount"].as_u64().unwrap()
        }
    };
    assert_eq!(count(json!({ "tailNumber": "n300em" })).await, 5);
    assert_eq!(count(json!({ "tailNumber": "G-ABCD" })).await, 3);
    // N300EM departs 00:00 … 04:00, G-ABCD 02:00 … 04:00; the window is [02:00, 04:00).
    let window =
        json!({ "departedFrom": "2026-10-01T02:00:00Z", "departedTo": "2026-10-01T04:00:00Z" });
    assert_eq!(count(window).await, 4);
    assert_eq!(
        count(json!({ "tailNumber": "G-ABCD", "departedFrom": "2026-10-01T03:00:00Z" })).await,
        2
    );
    let backwards = app
        .graphql(
            "{ emissions(filter: { departedFrom: \"2026-10-02T00:00:00Z\", departedTo: \"2026-10-01T00:00:00Z\" }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        error_code(&backwards),
        ("BAD_USER_INPUT".to_owned(), Some("departedTo".to_owned()))
    );
}
