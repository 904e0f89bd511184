use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::emissions::record_flights;
use crate::helpers::{TestApp, is_key_lookup};
use crate::on_both_databases;

on_both_databases!(
    emission_pages_run_a_constant_number_of_statements,
    covered_pages_run_as_many_statements_under_concurrency_as_alone,
    an_estimate_runs_one_statement,
    fleet_pages_batch_their_emissions,
    provision_pages_run_a_constant_number_of_statements,
    emission_pages_read_the_columns_their_fields_need,
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

    app.take_statements();
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
    // The page, its aircraft (their models are read from memory).
    assert_eq!(statements_for_100, 2);
}

async fn fleet_pages_batch_their_emissions(app: TestApp) {
    for tail in ["G-AAAA", "G-BBBB", "G-CCCC"] {
        app.register(tail).await;
        record_flights(&app, tail, 4, "2026-10-01T00:00:00Z".parse().unwrap()).await;
    }
    app.take_statements();
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
    // The fleet page, one batched emissions query for all three aircraft.
    assert_eq!(statements, 2);
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

    app.take_statements();
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
    // The page, links, emissions, certificates.
    assert_eq!(statements_for_100, 4);
}

const COVERED_PAGE: &str = "query($first: Int!) { emissions(first: $first) { edges { node {
    id co2Kg netCo2Kg offsetKg offsetStatus departedAt
    aircraft { tailNumber model { code name fuelBurnKgPerHour } }
    provisions { id status quantityTonnes } } } } }";

/// Sends `COVERED_PAGE` from `clients` clients at once; the statements each request ran,
/// API key lookups apart, and the key lookups of them all.
async fn covered_page_statements(app: &TestApp, clients: usize) -> (usize, usize) {
    app.take_statements();
    let pages = futures_util::future::join_all(
        (0..clients).map(|_| app.ok(COVERED_PAGE, json!({ "first": 100 }))),
    )
    .await;
    let statements = app.take_statements();
    for page in pages {
        let edges = page["emissions"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), 100);
        let offset = edges
            .iter()
            .filter(|edge| edge["node"]["offsetStatus"] == "OFFSET")
            .count();
        assert_eq!(offset, 50, "every other emission is offset");
        assert!(edges.iter().all(|edge| {
            let covered = !edge["node"]["provisions"].as_array().unwrap().is_empty();
            covered == (edge["node"]["offsetStatus"] == "OFFSET")
        }));
    }
    let key_lookups = statements.iter().filter(|sql| is_key_lookup(sql)).count();
    assert!(key_lookups <= clients, "{statements:#?}");
    assert_eq!(
        (statements.len() - key_lookups) % clients,
        0,
        "{statements:#?}"
    );
    ((statements.len() - key_lookups) / clients, key_lookups)
}

async fn covered_pages_run_as_many_statements_under_concurrency_as_alone(app: TestApp) {
    for (i, tail) in ["N1CV", "N2CV", "N3CV", "N4CV"].iter().enumerate() {
        let model = ["E55P", "C25C", "GLF6", "C68A"][i];
        app.ok(
            "mutation($tail: String!, $model: String!) { registerAircraft(input: { tailNumber: $tail, modelCode: $model }) { aircraft { id } } }",
            json!({ "tail": tail, "model": model }),
        )
        .await;
        record_flights(&app, tail, 25, "2026-10-01T00:00:00Z".parse().unwrap()).await;
    }
    let ids: Vec<String> = app
        .ok("{ emissions(first: 100) { nodes { id } } }", json!({}))
        .await["emissions"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| node["id"].as_str().unwrap().to_owned())
        .collect();
    // Every other emission offset, by provisions covering one or two emissions each.
    let mutations: String = ids
        .iter()
        .step_by(2)
        .collect::<Vec<_>>()
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| {
            let ids: Vec<String> = pair.iter().map(|id| format!("\"{id}\"")).collect();
            format!(
                "p{i}: createProvision(input: {{ emissionIds: [{}], offsetPercentage: 100, beneficiaryName: \"B\" }}) {{ provision {{ id }} }}\n",
                ids.join(", ")
            )
        })
        .collect();
    app.ok(&format!("mutation {{ {mutations} }}"), json!({}))
        .await;

    let (alone, _) = covered_page_statements(&app, 1).await;
    let (under_load, key_lookups) = covered_page_statements(&app, 16).await;
    println!(
        "SQL statements per request: {alone} alone, {under_load} among 16 at once (and {key_lookups} key lookups for the 16)"
    );
    assert_eq!(alone, under_load);
    // The page, its aircraft, the provisions covering it with their shares; plus the key
    // lookup when the key was not checked in the last second: 4 at most.
    assert_eq!(alone, 3);
}

async fn an_estimate_runs_one_statement(app: TestApp) {
    app.register("N1ES").await;
    let estimate = "mutation { estimateEmission(input: { tailNumber: \"N1ES\", durationMinutes: 90 }) { estimate { id co2Kg offsetOptions { percentage price { amount } } } } }";
    let first = app.ok(estimate, json!({})).await;
    app.take_statements();
    app.ok(estimate, json!({})).await;
    let statements = app.take_statements();
    let work: Vec<&String> = statements
        .iter()
        .filter(|sql| !is_key_lookup(sql))
        .collect();
    // The insert, which copies the default listing's price and checks that the aircraft the
    // first estimate looked up is still as it was.
    assert_eq!(work.len(), 1, "{statements:#?}");
    assert!(statements.len() <= 2, "{statements:#?}");

    // An operator doubles the price: the very next estimate, on any instance, has it.
    app.db
        .execute_unprepared("UPDATE listings SET unit_price_minor = unit_price_minor * 2")
        .await
        .unwrap();
    let second = app.ok(estimate, json!({})).await;
    let price_of_full_offset = |answer: &Value| -> f64 {
        let options = answer["estimateEmission"]["estimate"]["offsetOptions"]
            .as_array()
            .unwrap();
        let full = options
            .iter()
            .find(|option| option["percentage"] == 100)
            .unwrap();
        full["price"]["amount"].as_str().unwrap().parse().unwrap()
    };
    let (before, after) = (price_of_full_offset(&first), price_of_full_offset(&second));
    assert!(
        (after - 2.0 * before).abs() <= 0.02,
        "{before} then {after}"
    );
}

/// The bench's page of emissions, as a frontend lists them.
const LISTED: &str = "{ emissions(first: 5) { nodes { id co2Kg netCo2Kg offsetKg offsetStatus departedAt aircraft { tailNumber } provisions { id } } } }";

/// Every field of `Emission` (a field of an object type with its leaves), listed on a page,
/// is read in the page's one statement and answered as `node(id:)` answers it; the fields a
/// list shows most read only the summary's columns, not the flight's details.
async fn emission_pages_read_the_columns_their_fields_need(app: TestApp) {
    app.register("N1AB").await;
    // A trip with every detail (legs, passengers, SAF, non-CO2), and flights by duration.
    app.ok(
        "mutation { createEmission(input: { tailNumber: \"N1AB\", legs: [{ origin: \"KTEB\", destination: \"PBI\", durationMinutes: 150 }, { origin: \"PBI\", destination: \"KTEB\", durationMinutes: 160, positioning: true }], passengers: 4, nonCo2: UK_DESNZ_RF, safBlendPercent: \"10\", safPathway: HEFA_TALLOW, departedAt: \"2026-10-01T08:00:00Z\", externalReference: \"TRIP-1\" }) { emission { id } } }",
        json!({}),
    )
    .await;
    record_flights(&app, "N1AB", 3, "2026-10-02T00:00:00Z".parse().unwrap()).await;

    let reads_of_emissions = |statements: &[String]| -> Vec<String> {
        statements
            .iter()
            .filter(|sql| sql.contains(r#"FROM "emissions""#))
            .cloned()
            .collect()
    };
    app.take_statements();
    app.ok(LISTED, json!({})).await;
    let reads = reads_of_emissions(&app.take_statements());
    assert_eq!(reads.len(), 1, "{reads:#?}");
    for detail in [r#""legs""#, r#""fuel_type""#, r#""methodology_version""#] {
        assert!(!reads[0].contains(detail), "{detail} read: {}", reads[0]);
    }

    // A detail asked through fragments is seen too: whole rows, read once.
    app.ok(
        "{ emissions(first: 4) { edges { node { ...Trip } } } } fragment Trip on Emission { id ... on Emission { legs { origin } } }",
        json!({}),
    )
    .await;
    let reads = reads_of_emissions(&app.take_statements());
    assert_eq!(reads.len(), 1, "{reads:#?}");
    assert!(reads[0].contains(r#""legs""#), "{}", reads[0]);

    let fields = leaf_selections(&app, "Emission").await;
    for field in ["co2Kg", "legs", "methodology", "provisions"] {
        assert!(
            fields.iter().any(|(name, _)| name == field),
            "{field}: {fields:?}"
        );
    }
    for (field, selection) in fields {
        app.take_statements();
        let listed = app
            .ok(
                &format!("{{ emissions(first: 4) {{ nodes {{ id {selection} }} }} }}"),
                json!({}),
            )
            .await;
        let reads = reads_of_emissions(&app.take_statements());
        assert_eq!(
            reads.len(),
            1,
            "{field} read the emissions {} times: {reads:#?}",
            reads.len()
        );
        let nodes = listed["emissions"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), 4, "{field}");
        for node in nodes {
            let alone = app
                .ok(
                    &format!("query($id: ID!) {{ node(id: $id) {{ ... on Emission {{ id {selection} }} }} }}"),
                    json!({ "id": node["id"] }),
                )
                .await;
            assert_eq!(node, &alone["node"], "{field}");
        }
    }
}

/// Each field of `type_name`, with a selection that reads it: the field itself, or for an
/// object its scalar and enum fields (and `__typename`).
async fn leaf_selections(app: &TestApp, type_name: &str) -> Vec<(String, String)> {
    const FIELDS: &str = "query($name: String!) { __type(name: $name) { fields { name args { type { kind } } type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }";
    let named = |mut ty: &Value| {
        while ty["name"].is_null() {
            ty = &ty["ofType"];
        }
        (
            ty["kind"].as_str().unwrap().to_owned(),
            ty["name"].as_str().unwrap().to_owned(),
        )
    };
    let fields = |data: Value| -> Vec<(String, String, String)> {
        data["__type"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            // Fields with required arguments (none on Emission today) need values to be read.
            .filter(|field| {
                field["args"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|arg| arg["type"]["kind"] != "NON_NULL")
            })
            .map(|field| {
                let (kind, name) = named(&field["type"]);
                (field["name"].as_str().unwrap().to_owned(), kind, name)
            })
            .collect()
    };
    let mut selections = Vec::new();
    for (field, kind, type_name) in fields(app.ok(FIELDS, json!({ "name": type_name })).await) {
        let selection = if kind == "OBJECT" {
            let leaves: Vec<String> = fields(app.ok(FIELDS, json!({ "name": type_name })).await)
                .into_iter()
                .filter(|(_, kind, _)| kind == "SCALAR" || kind == "ENUM")
                .map(|(leaf, _, _)| leaf)
                .collect();
            format!("{field} {{ __typename {} }}", leaves.join(" "))
        } else {
            field.clone()
        };
        selections.push((field, selection));
    }
    selections
}
