//! Requests an attacker would send, most without an API key: each gets a bounded, coded answer,
//! nothing is written, and the server keeps serving the next request.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{Backend, Options, TestApp, error_code};
use crate::on_both_databases;

on_both_databases!(
    deep_nesting_is_refused_before_parsing,
    a_fragment_bomb_is_refused_before_validation,
    cost_is_bounded_before_execution,
    the_standard_introspection_query_loads,
    huge_numbers_are_bad_input,
    nul_bytes_are_refused_alike,
    every_coercion_error_names_its_field,
    messages_quote_only_a_prefix_of_the_input,
    bodies_are_bounded_and_must_be_json,
);

/// POSTs `body` as JSON without a key; returns the status, the JSON answer and the time taken.
async fn post(app: &TestApp, key: Option<&str>, body: &Value) -> (u16, Value, Duration) {
    let started = Instant::now();
    let mut request = app
        .client()
        .post(app.url("/graphql"))
        .timeout(Duration::from_secs(10))
        .json(body);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let body = response.json().await.expect("a JSON answer");
    (status, body, started.elapsed())
}

/// The server still answers a normal query.
async fn assert_alive(app: &TestApp) {
    let (status, body, _) = post(app, None, &json!({ "query": "{ listings { id } }" })).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["data"]["listings"]
            .as_array()
            .is_some_and(|l| !l.is_empty())
    );
}

async fn refused(app: &TestApp, query: &str, code: &str) -> Duration {
    let (status, body, elapsed) = post(app, None, &json!({ "query": query })).await;
    assert_ne!(status, 500, "{body}");
    assert_eq!(error_code(&body).0, code, "{}", shorten(&body));
    assert!(body["data"].is_null(), "nothing ran: {}", shorten(&body));
    elapsed
}

fn shorten(body: &Value) -> String {
    body.to_string().chars().take(500).collect()
}

async fn deep_nesting_is_refused_before_parsing(app: TestApp) {
    let list = format!(
        "{{ aircraftModels(search: {}\"x\"{}) {{ code }} }}",
        "[".repeat(2_000),
        "]".repeat(2_000)
    );
    let object = format!(
        "{{ aircraftModels(search: {}1{}) {{ code }} }}",
        "{a: ".repeat(2_000),
        "}".repeat(2_000)
    );
    let selections = format!(
        "{{ {}code{} }}",
        "fleet { ".repeat(2_000),
        " }".repeat(2_000)
    );
    for document in [&list, &object, &selections] {
        let elapsed = refused(&app, document, "QUERY_TOO_DEEP").await;
        eprintln!(
            "{}-byte nested document refused in {elapsed:?}",
            document.len()
        );
        let response = app
            .client()
            .get(app.url("/graphql"))
            .query(&[("query", document.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_code(&body).0, "QUERY_TOO_DEEP");
    }
    // Variables nested as deep are refused by the JSON reader, with a code too.
    let variables = format!(
        "{{\"query\": \"query($s: String) {{ aircraftModels(search: $s) {{ code }} }}\", \"variables\": {{\"s\": {}1{}}}}}",
        "[".repeat(2_000),
        "]".repeat(2_000)
    );
    let response = app
        .client()
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(variables)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body).0, "BAD_REQUEST");
    assert_alive(&app).await;
}

async fn a_fragment_bomb_is_refused_before_validation(app: TestApp) {
    let mut bomb = String::from("{ aircraftModels { ...F0 } }\n");
    for level in 0..23 {
        bomb.push_str(&format!(
            "fragment F{level} on AircraftModel {{ ...F{next} ...F{next} }}\n",
            next = level + 1
        ));
    }
    bomb.push_str("fragment F23 on AircraftModel { code }\n");
    let elapsed = refused(&app, &bomb, "QUERY_TOO_COMPLEX").await;
    eprintln!("{}-byte fragment bomb refused in {elapsed:?}", bomb.len());
    let cycle = "{ aircraftModels { ...A } } fragment A on AircraftModel { ...B } fragment B on AircraftModel { ...A }";
    refused(&app, cycle, "GRAPHQL_VALIDATION_FAILED").await;
    assert_alive(&app).await;
}

async fn cost_is_bounded_before_execution(app: TestApp) {
    // 100 aircraft × 100 emissions × their provisions' emissions: a million nodes.
    let million = "{ fleet(first: 100) { nodes { emissions(first: 100) { nodes { provisions { emissions { id co2Kg netCo2Kg departedAt origin destination } } } } } } }";
    let elapsed = refused(&app, million, "QUERY_TOO_COMPLEX").await;
    eprintln!("million-node query refused in {elapsed:?}");
    let by_variable = "query($n: Int = 100) { fleet(first: $n) { nodes { emissions(first: $n) { nodes { id provisions { id } } } } } }";
    refused(&app, by_variable, "QUERY_TOO_COMPLEX").await;

    let aliases: String = (0..1_000).map(|i| format!("a{i}: code ")).collect();
    refused(
        &app,
        &format!("{{ aircraftModels {{ {aliases} }} }}"),
        "TOO_MANY_ALIASES",
    )
    .await;
    let roots: String = (0..51)
        .map(|i| format!("l{i}: listings {{ id }} "))
        .collect();
    refused(&app, &format!("{{ {roots} }}"), "TOO_MANY_ROOT_FIELDS").await;
    let tokens = "code ".repeat(9_000);
    refused(
        &app,
        &format!("{{ aircraftModels {{ {tokens} }} }}"),
        "TOO_MANY_TOKENS",
    )
    .await;
    let fields = "code ".repeat(25_000);
    refused(
        &app,
        &format!("{{ aircraftModels {{ {fields} }} }}"),
        "TOO_MANY_TOKENS",
    )
    .await;
    let many = "code ".repeat(2_000);
    refused(
        &app,
        &format!("{{ aircraftModels {{ {many} }} }}"),
        "QUERY_TOO_COMPLEX",
    )
    .await;
    let includes = "@include(if: true) ".repeat(1_000);
    refused(
        &app,
        &format!("{{ listings {{ id {includes} }} }}"),
        "TOO_MANY_TOKENS",
    )
    .await;
    let includes = "@include(if: true) ".repeat(6);
    refused(
        &app,
        &format!("{{ listings {{ id {includes} }} }}"),
        "TOO_MANY_DIRECTIVES",
    )
    .await;
    let deep = "{ fleet { nodes { emissions { nodes { provisions { emissions { provisions { emissions { provisions { emissions { provisions { certificate { provision { id } } } } } } } } } } } } } }";
    refused(&app, deep, "QUERY_TOO_DEEP").await;
    let fragments: String = (0..101)
        .map(|i| format!("fragment F{i} on Listing {{ id }} "))
        .collect();
    refused(
        &app,
        &format!("{{ listings {{ ...F0 }} }} {fragments}"),
        "TOO_MANY_FRAGMENTS",
    )
    .await;

    // What a real client asks stays well within the limits.
    let page = "{ emissions(first: 100) { edges { cursor node { id co2Kg netCo2Kg offsetKg offsetStatus departedAt
        aircraft { tailNumber model { code name fuelBurnKgPerHour } } provisions { id status quantityTonnes } } } } }";
    let (_, body, _) = post(&app, Some(&app.key_a), &json!({ "query": page })).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_alive(&app).await;
}

async fn the_standard_introspection_query_loads(app: TestApp) {
    let query = include_str!("../data/introspection_query.graphql");
    let (status, body, elapsed) = post(&app, None, &json!({ "query": query })).await;
    assert_eq!(status, 200);
    assert!(body.get("errors").is_none(), "{}", shorten(&body));
    let types = body["data"]["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "Emission"));
    eprintln!("standard introspection query answered in {elapsed:?}");
    let abusive =
        "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }";
    refused(&app, abusive, "INTROSPECTION_TOO_DEEP").await;
}

async fn huge_numbers_are_bad_input(app: TestApp) {
    app.register("N123AB").await;
    let provision = "mutation($q: Decimal) { createProvision(input: { quantityTonnes: $q, beneficiaryName: \"X\" }) { provision { id } } }";
    for quantity in [
        json!("1e23"),
        json!(1e23),
        json!("100000000000000000000000"),
        json!("79228162514264337593543950335"),
    ] {
        let (status, body, _) = post(
            &app,
            Some(&app.key_a),
            &json!({ "query": provision, "variables": { "q": quantity } }),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            error_code(&body),
            (
                "BAD_USER_INPUT".to_owned(),
                Some("quantityTonnes".to_owned())
            ),
            "{quantity}: {body}"
        );
    }
    let estimate = "mutation($b: Decimal) { estimateEmission(input: { tailNumber: \"N123AB\", durationMinutes: 60, safBlendPercent: $b, safPathway: HEFA_TALLOW }) { estimate { id } } }";
    for blend in [
        "79228162514264337593543950335",
        "-79228162514264337593543950335",
        "7922816251426433759354395033.5",
    ] {
        let (_, body, _) = post(
            &app,
            Some(&app.key_a),
            &json!({ "query": estimate, "variables": { "b": blend } }),
        )
        .await;
        assert_eq!(
            error_code(&body),
            (
                "BAD_USER_INPUT".to_owned(),
                Some("safBlendPercent".to_owned())
            ),
            "{blend}: {body}"
        );
    }
    assert_eq!(app.count_rows("provisions").await, 0);
    assert_eq!(app.count_rows("emission_estimates").await, 0);
    assert_alive(&app).await;
}

async fn nul_bytes_are_refused_alike(app: TestApp) {
    app.register("N123AB").await;
    let cases = [
        (
            "mutation { registerAircraft(input: { tailNumber: \"N999AB\", modelCode: \"E55P\\u0000\" }) { aircraft { id } } }",
            "modelCode",
        ),
        (
            "mutation { registerAircraft(input: { tailNumber: \"N9\\u0000\", modelCode: \"E55P\" }) { aircraft { id } } }",
            "tailNumber",
        ),
        (
            "mutation { createEmission(input: { tailNumber: \"N123AB\", durationMinutes: 60, externalReference: \"T\\u0000\" }) { emission { id } } }",
            "externalReference",
        ),
        (
            "mutation { createProvision(input: { quantityTonnes: \"1\", beneficiaryName: \"Jane\\u0000\" }) { provision { id } } }",
            "beneficiaryName",
        ),
        (
            "mutation { createProvision(input: { quantityTonnes: \"1\", beneficiaryName: \"Jane\", retirementMessage: \"hi\\u0000\" }) { provision { id } } }",
            "retirementMessage",
        ),
        (
            "{ certificate(publicId: \"\\u0000\") { number } }",
            "publicId",
        ),
        (
            "{ aircraftModels(search: \"E5\\u0000\") { code } }",
            "search",
        ),
        ("{ invoice(month: \"2026-1\\u0000\") { month } }", "month"),
    ];
    for (query, field) in cases {
        let (status, body, _) = post(&app, Some(&app.key_a), &json!({ "query": query })).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            error_code(&body),
            ("BAD_USER_INPUT".to_owned(), Some(field.to_owned())),
            "{query}: {body}"
        );
    }
    // The same through variables.
    let (_, body, _) = post(
        &app,
        Some(&app.key_a),
        &json!({ "query": "mutation($n: String!) { createProvision(input: { quantityTonnes: \"1\", beneficiaryName: $n }) { provision { id } } }", "variables": { "n": "a\u{0}b" } }),
    )
    .await;
    assert_eq!(
        error_code(&body).1.as_deref(),
        Some("beneficiaryName"),
        "{body}"
    );
    let node = contrail::api::id::encode(contrail::api::id::NodeKind::AircraftModel, "E55P\u{0}");
    let (_, body, _) = post(&app, None, &json!({ "query": "query($id: ID!) { node(id: $id) { id } }", "variables": { "id": node } })).await;
    assert_eq!(error_code(&body).0, "NOT_FOUND", "{body}");

    for path in [
        "/certificates/%00",
        "/certificates/%00AAAAAAAAAAAAAAAAAAAAA",
        "/certificates/x%0Ay",
    ] {
        let response = app.client().get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    assert_eq!(app.count_rows("aircraft").await, 1);
    assert_eq!(app.count_rows("emissions").await, 0);
    assert_eq!(app.count_rows("provisions").await, 0);
    assert_alive(&app).await;
}

async fn every_coercion_error_names_its_field(app: TestApp) {
    app.register("N123AB").await;
    let estimate = "mutation($input: EstimateEmissionInput!) { estimateEmission(input: $input) { estimate { id } } }";
    let emission = "mutation($input: CreateEmissionInput!) { createEmission(input: $input) { emission { id } } }";
    let provision = "mutation($input: CreateProvisionInput!) { createProvision(input: $input) { provision { id } } }";
    let flight = |extra: Value| {
        let mut input = json!({ "tailNumber": "N123AB", "durationMinutes": 60 });
        input
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({ "input": input })
    };
    let cases = [
        (
            estimate,
            flight(json!({ "durationMinutes": 1_i64 << 40 })),
            "durationMinutes",
        ),
        (
            estimate,
            flight(json!({ "durationMinutes": "ninety" })),
            "durationMinutes",
        ),
        (
            estimate,
            flight(json!({ "durationMinutes": 90.5 })),
            "durationMinutes",
        ),
        (
            estimate,
            flight(json!({ "safBlendPercent": "thirty" })),
            "safBlendPercent",
        ),
        (
            estimate,
            flight(json!({ "safBlendPercent": [30] })),
            "safBlendPercent",
        ),
        (
            estimate,
            flight(json!({ "fuelType": "KEROSENE" })),
            "fuelType",
        ),
        (estimate, flight(json!({ "safPathway": 7 })), "safPathway"),
        (estimate, flight(json!({ "tailNumber": 12 })), "tailNumber"),
        (
            estimate,
            flight(json!({ "tailNumber": { "a": 1 } })),
            "tailNumber",
        ),
        (
            emission,
            flight(json!({ "departedAt": "yesterday" })),
            "departedAt",
        ),
        (
            emission,
            flight(json!({ "departedAt": 1_700_000_000 })),
            "departedAt",
        ),
        (
            emission,
            json!({ "input": { "estimateId": { "id": 1 } } }),
            "estimateId",
        ),
        (
            emission,
            json!({ "input": { "estimateId": true } }),
            "estimateId",
        ),
        (
            provision,
            json!({ "input": { "quantityTonnes": "1 t", "beneficiaryName": "X" } }),
            "quantityTonnes",
        ),
        (
            provision,
            json!({ "input": { "quantityTonnes": true, "beneficiaryName": "X" } }),
            "quantityTonnes",
        ),
        (
            provision,
            json!({ "input": { "emissionIds": [{}], "offsetPercentage": 100, "beneficiaryName": "X" } }),
            "emissionIds",
        ),
        (
            provision,
            json!({ "input": { "emissionIds": ["a"], "offsetPercentage": "all", "beneficiaryName": "X" } }),
            "offsetPercentage",
        ),
        (
            provision,
            json!({ "input": { "emissionIds": ["a"], "offsetPercentage": 3_000_000_000_i64, "beneficiaryName": "X" } }),
            "offsetPercentage",
        ),
        (
            provision,
            json!({ "input": { "quantityTonnes": "1", "beneficiaryName": 5 } }),
            "beneficiaryName",
        ),
        (
            "query($n: Int) { emissions(first: $n) { totalCount } }",
            json!({ "n": 1_i64 << 40 }),
            "first",
        ),
        (
            "query($f: EmissionFilterInput) { emissions(filter: $f) { totalCount } }",
            json!({ "f": { "departedFrom": "noon" } }),
            "departedFrom",
        ),
        (
            "query($f: EmissionFilterInput) { emissions(filter: $f) { totalCount } }",
            json!({ "f": { "offsetStatus": "HALF" } }),
            "offsetStatus",
        ),
    ];
    for (query, variables, field) in cases {
        let (status, body, _) = post(
            &app,
            Some(&app.key_a),
            &json!({ "query": query, "variables": variables }),
        )
        .await;
        assert_ne!(status, 500);
        assert_eq!(
            error_code(&body),
            ("BAD_USER_INPUT".to_owned(), Some(field.to_owned())),
            "{variables}: {body}"
        );
    }
    // A literal in the document is checked the same way.
    let (_, body, _) = post(&app, Some(&app.key_a), &json!({ "query": "mutation { estimateEmission(input: { tailNumber: \"N123AB\", durationMinutes: 60, safBlendPercent: \"x\" }) { estimate { id } } }" })).await;
    assert_eq!(
        error_code(&body),
        (
            "BAD_USER_INPUT".to_owned(),
            Some("safBlendPercent".to_owned())
        ),
        "{body}"
    );
    assert_eq!(app.count_rows("emission_estimates").await, 0);
}

async fn messages_quote_only_a_prefix_of_the_input(app: TestApp) {
    let huge = "Z".repeat(100_000);
    let requests = [
        json!({ "query": "mutation($t: String!) { registerAircraft(input: { tailNumber: $t, modelCode: \"E55P\" }) { aircraft { id } } }", "variables": { "t": huge } }),
        json!({ "query": "mutation($m: String!) { registerAircraft(input: { tailNumber: \"N1\", modelCode: $m }) { aircraft { id } } }", "variables": { "m": huge } }),
        json!({ "query": "query($f: FuelType) { aircraftModels { code } } ", "variables": { "f": huge } }),
        json!({ "query": "mutation($i: EstimateEmissionInput!) { estimateEmission(input: $i) { estimate { id } } }", "variables": { "i": { "tailNumber": "N1", "durationMinutes": 60, "fuelType": huge } } }),
        json!({ "query": "{ invoice(month: \"ZZZZ\") { month } }".replace("ZZZZ", &huge) }),
        json!({ "query": format!("{{ noSuchField{huge} }}") }),
        json!({ "query": format!("{{ listings {{ id }} }} {huge}") }),
        json!({ "query": "{ listings { id } }", "variables": huge }),
    ];
    for request in requests {
        let (status, body, _) = post(&app, Some(&app.key_a), &request).await;
        assert_ne!(status, 500);
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "{}", shorten(&body));
        assert!(
            message.len() < 400,
            "message echoes the input: {}…",
            &message[..200.min(message.len())]
        );
        assert!(body.to_string().len() < 2_000, "{}", shorten(&body));
    }
}

async fn bodies_are_bounded_and_must_be_json(app: TestApp) {
    let big = json!({ "query": format!("{{ listings {{ id }} }} #{}", "x".repeat(2 * 1_048_576)) });
    let response = app
        .client()
        .post(app.url("/graphql"))
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body).0, "PAYLOAD_TOO_LARGE");

    for malformed in [
        "{\"query\": ",
        "not json at all",
        "[1, 2",
        "{\"query\": 5}",
        "",
    ] {
        let response = app
            .client()
            .post(app.url("/graphql"))
            .header("content-type", "application/json")
            .body(malformed)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{malformed}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .contains("json")
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_code(&body).0, "BAD_REQUEST", "{malformed}: {body}");
        assert!(!body.to_string().contains("InvalidRequest"), "{body}");
    }
    assert_alive(&app).await;
}

fn quick_timeouts() -> Options {
    Options {
        http_limits: contrail::config::HttpLimits {
            header_timeout: Duration::from_secs(1),
            body_timeout: Duration::from_secs(1),
            ..Default::default()
        },
        ..Options::default()
    }
}

fn address(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_owned()
}

#[tokio::test]
async fn slow_headers_lose_their_connection() {
    let app = TestApp::spawn_with(Backend::Sqlite, quick_timeouts()).await;
    let mut stream = tokio::net::TcpStream::connect(address(&app)).await.unwrap();
    stream
        .write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut buffer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buffer)).await;
    assert!(read.is_ok(), "the server closed the connection");
    eprintln!("slow headers cut after {:?}", started.elapsed());
    assert_alive(&app).await;
}

#[tokio::test]
async fn a_slow_body_gets_a_timeout() {
    let app = TestApp::spawn_with(Backend::Sqlite, quick_timeouts()).await;
    let mut stream = tokio::net::TcpStream::connect(address(&app)).await.unwrap();
    stream
        .write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"query\": ")
        .await
        .unwrap();
    let mut buffer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut chunk = [0_u8; 4096];
        loop {
            let n = stream.read(&mut chunk).await.unwrap();
            buffer.extend_from_slice(&chunk[..n]);
            if n == 0 || String::from_utf8_lossy(&buffer).contains("REQUEST_TIMEOUT") {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server answered in time");
    let response = String::from_utf8_lossy(&buffer);
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.contains("REQUEST_TIMEOUT"), "{response}");
    assert_alive(&app).await;
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "\\PC{0,30}".prop_map(Value::from),
        "-?[0-9]{1,40}(\\.[0-9]{1,30})?(e[0-9]{1,3})?".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
            prop::collection::hash_map("[a-zA-Z]{1,16}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Mutation inputs a fuzzer would send: every answer is a coded error or data, never a 500.
#[test]
fn random_mutation_inputs_get_coded_answers() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let app = runtime.block_on(async {
        let app = TestApp::spawn(Backend::Sqlite).await;
        app.register("N123AB").await;
        app
    });
    let fields = [
        "tailNumber",
        "durationMinutes",
        "fuelType",
        "safBlendPercent",
        "safPathway",
        "quantityTonnes",
        "emissionIds",
        "offsetPercentage",
        "beneficiaryName",
        "retirementMessage",
        "externalReference",
        "departedAt",
        "listingId",
        "estimateId",
        "origin",
        "destination",
        "aircraftType",
        "legs",
        "passengers",
        "nonCo2",
    ];
    let mutations = [
        "mutation($input: EstimateEmissionInput!) { estimateEmission(input: $input) { estimate { id co2Kg offsetOptions { price { amount } } } } }",
        "mutation($input: CreateEmissionInput!) { createEmission(input: $input) { emission { id } } }",
        "mutation($input: CreateProvisionInput!) { createProvision(input: $input) { provision { id } } }",
    ];
    let input =
        prop::collection::hash_map(prop::sample::select(fields.to_vec()), json_value(), 0..6);
    let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
        cases: 96,
        failure_persistence: None,
        ..Default::default()
    });
    runner
        .run(
            &(prop::sample::select(mutations.to_vec()), input),
            |(mutation, input)| {
                let input: serde_json::Map<String, Value> =
                    input.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
                let (status, body, _) = runtime.block_on(post(
                    &app,
                    Some(&app.key_a),
                    &json!({ "query": mutation, "variables": { "input": input } }),
                ));
                prop_assert!(status == 200 || status == 400, "{status}: {body}");
                if let Some(errors) = body["errors"].as_array() {
                    for error in errors {
                        let code = error["extensions"]["code"].as_str().unwrap_or_default();
                        prop_assert!(
                            !code.is_empty() && code != "INTERNAL_SERVER_ERROR",
                            "{body}"
                        );
                    }
                } else {
                    prop_assert!(body["data"].is_object(), "{body}");
                }
                Ok(())
            },
        )
        .unwrap();
    runtime.block_on(assert_alive(&app));
}
