use serde_json::json;

use crate::emissions::record_flights;
use crate::helpers::TestApp;
use crate::on_both_databases;

on_both_databases!(
    emission_pages_run_a_constant_number_of_statements,
    fleet_pages_batch_their_emissions,
    provision_pages_run_a_constant_number_of_statements,
);

const PAGE: &str = "query($first: Int!) { emissions(first: $first) { edges { node { id co2Kg aircraft { tailNumber model { code name fuelBurnUsGallonsPerHour } } } } } }";

async fn emission_pages_run_a_constant_number_of_statements(app: TestApp) {
    // Ten aircraft of three types, so the page really spans several parents.
    let tails = [
        "N1AB", "N2AB", "N3AB", "N4AB", "N5AB", "N6AB", "N7AB", "N8AB", "N9AB", "N10AB",
    ];
    for (i, tail) in tails.iter().enumerate() {
        let model = ["E55P", "C25C", "GLF6"][i % 3];
        app.ok(
            "mutation($tail: String!, $model: String!) { registerAircraft(input: { tailNumber: $tail, modelCode: $model }) { aircraft { id } } }",
            json!({ "tail": tail, "model": model }),
        )
        .await;
        record_flights(&app, tail, 10, "2026-10-01T00:00:00Z".parse().unwrap()).await;
    }

    app.take_statement_count();
    let ten = app.ok(PAGE, json!({ "first": 10 })).await;
    let statements_for_10 = app.take_statement_count();
    let hundred = app.ok(PAGE, json!({ "first": 100 })).await;
    let statements_for_100 = app.take_statement_count();

    assert_eq!(ten["emissions"]["edges"].as_array().unwrap().len(), 10);
    let edges = hundred["emissions"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 100);
    assert!(
        edges
            .iter()
            .all(|edge| edge["node"]["aircraft"]["model"]["code"].is_string())
    );
    println!("SQL statements: {statements_for_10} for 10 emissions, {statements_for_100} for 100");
    assert_eq!(statements_for_10, statements_for_100);
    // Key lookup, the page, its aircraft, their models.
    assert!(statements_for_100 <= 4, "{statements_for_100} statements");
}

async fn fleet_pages_batch_their_emissions(app: TestApp) {
    for tail in ["G-AAAA", "G-BBBB", "G-CCCC"] {
        app.register(tail).await;
        record_flights(&app, tail, 4, "2026-10-01T00:00:00Z".parse().unwrap()).await;
    }
    app.take_statement_count();
    let data = app
        .ok("{ fleet { nodes { tailNumber emissions(first: 3) { edges { node { tailNumber } } pageInfo { hasNextPage } } } } }", json!({}))
        .await;
    let statements = app.take_statement_count();
    for aircraft in data["fleet"]["nodes"].as_array().unwrap() {
        let edges = aircraft["emissions"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), 3);
        assert!(
            edges
                .iter()
                .all(|edge| edge["node"]["tailNumber"] == aircraft["tailNumber"])
        );
        assert_eq!(aircraft["emissions"]["pageInfo"]["hasNextPage"], true);
    }
    // Key lookup, the fleet page, one batched emissions query for all three aircraft.
    assert_eq!(statements, 3);
}

const PROVISIONS: &str = "query($first: Int!) { provisions(first: $first) { edges { node {
    id quantityTonnes price { amount } emissions { id netCo2Kg } certificate { number status url } } } } }";

async fn provision_pages_run_a_constant_number_of_statements(app: TestApp) {
    app.register("N1AB").await;
    record_flights(&app, "N1AB", 100, "2026-10-01T00:00:00Z".parse().unwrap()).await;
    let emissions = app
        .ok("{ emissions(first: 100) { nodes { id } } }", json!({}))
        .await;
    let ids: Vec<_> = emissions["emissions"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| node["id"].clone())
        .collect();
    for chunk in ids.chunks(25) {
        let mutations: String = chunk
            .iter()
            .enumerate()
            .map(|(i, id)| {
                format!("p{i}: createProvision(input: {{ emissionIds: [{id}], offsetPercentage: 100, beneficiaryName: \"B\" }}) {{ provision {{ id }} }}\n")
            })
            .collect();
        app.ok(&format!("mutation {{ {mutations} }}"), json!({}))
            .await;
    }

    app.take_statement_count();
    let ten = app.ok(PROVISIONS, json!({ "first": 10 })).await;
    let statements_for_10 = app.take_statement_count();
    let hundred = app.ok(PROVISIONS, json!({ "first": 100 })).await;
    let statements_for_100 = app.take_statement_count();

    assert_eq!(ten["provisions"]["edges"].as_array().unwrap().len(), 10);
    let edges = hundred["provisions"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 100);
    assert!(
        edges
            .iter()
            .all(|edge| edge["node"]["emissions"].as_array().unwrap().len() == 1)
    );
    assert!(
        edges
            .iter()
            .all(|edge| edge["node"]["certificate"]["status"] == "ISSUED")
    );
    println!("SQL statements: {statements_for_10} for 10 provisions, {statements_for_100} for 100");
    assert_eq!(statements_for_10, statements_for_100);
    // Key lookup, the page, links, emissions, certificates.
    assert_eq!(statements_for_100, 5);
}
