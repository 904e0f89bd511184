//! Batched requests (a JSON array body, as Apollo's `BatchHttpLink` and graphql-request's
//! `batchRequests` send): each operation runs in order as if sent alone, held to the same
//! limits, the same rate limit and the same CSRF rule; a batch too large runs nothing.

use std::num::NonZeroU32;

use contrail::config::{RateLimits, Security};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, Options, TestApp};
use crate::on_both_databases;

on_both_databases!(
    operations_run_in_order_each_with_its_own_answer,
    a_batch_too_large_runs_nothing,
);

const REGISTER: &str = "mutation($tail: String!) { registerAircraft(input: { tailNumber: $tail, modelCode: \"E55P\" }) { aircraft { tailNumber } } }";
const FLEET_SIZE: &str = "{ fleet(first: 1) { totalCount } }";

fn register(tail: &str) -> Value {
    json!({ "query": REGISTER, "variables": { "tail": tail } })
}

async fn send(app: &TestApp, body: &Value) -> reqwest::Response {
    app.client()
        .post(app.url("/graphql"))
        .bearer_auth(&app.key_a)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn fleet_size(app: &TestApp) -> u64 {
    app.ok(FLEET_SIZE, json!({})).await["fleet"]["totalCount"]
        .as_u64()
        .unwrap()
}

async fn operations_run_in_order_each_with_its_own_answer(app: TestApp) {
    let aliases: String = (0..60).map(|i| format!("a{i}: __typename ")).collect();
    let batch = json!([
        register("N1BA"),
        { "query": FLEET_SIZE },
        register("not a tail"),
        { "query": format!("{{ {aliases} }}") },
        { "query": "query Named { fleet(first: 1) { totalCount } } query Other { __typename }", "operationName": "Named" },
    ]);
    let response = send(&app, &batch).await;
    assert_eq!(response.status(), StatusCode::OK);
    let answers: Vec<Value> = response.json().await.unwrap();
    assert_eq!(answers.len(), 5, "{answers:#?}");
    assert_eq!(
        answers[0]["data"]["registerAircraft"]["aircraft"]["tailNumber"],
        "N1BA"
    );
    assert_eq!(
        answers[1]["data"]["fleet"]["totalCount"], 1,
        "ran after the first"
    );
    assert_eq!(
        answers[2]["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );
    assert_eq!(
        answers[3]["errors"][0]["extensions"]["code"], "TOO_MANY_ROOT_FIELDS",
        "each operation is held to the limits as if sent alone"
    );
    assert_eq!(answers[4]["data"]["fleet"]["totalCount"], 1);
}

async fn a_batch_too_large_runs_nothing(app: TestApp) {
    let batch: Vec<Value> = (0..11).map(|i| register(&format!("N{i}TL"))).collect();
    let response = send(&app, &Value::Array(batch)).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BATCH_TOO_LARGE");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at most 10")
    );
    assert_eq!(fleet_size(&app).await, 0);

    let response = send(&app, &json!([])).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // One malformed operation refuses the whole batch before anything runs.
    let response = send(&app, &json!([register("N1MF"), { "query": 7 }])).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("operation 1 of the batch: `query` must be a string"),
        "{body:#}"
    );
    assert_eq!(fleet_size(&app).await, 0);
}

#[tokio::test]
async fn a_batch_a_browser_could_send_cross_site_runs_nothing() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let response = app
        .client()
        .post(app.url("/graphql"))
        .bearer_auth(&app.key_a)
        .header("content-type", "text/plain")
        .body(json!([register("N1CS")]).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(fleet_size(&app).await, 0);
}

#[tokio::test]
async fn each_operation_of_a_batch_counts_against_the_rate_limit() {
    let options = Options {
        security: Security {
            rate_limits: RateLimits {
                per_key: NonZeroU32::new(6).unwrap(),
                per_address: NonZeroU32::new(1_000).unwrap(),
                burst_secs: NonZeroU32::new(1).unwrap(),
            },
            ..Security::default()
        },
        ..Options::default()
    };
    let app = TestApp::spawn_with(Backend::Sqlite, options).await;
    let batch = |size: usize| {
        Value::Array(
            (0..size)
                .map(|i| register(&format!("N{}RL", i + 1)))
                .collect(),
        )
    };
    // Five of the six allowed now.
    assert_eq!(send(&app, &batch(5)).await.status(), StatusCode::OK);
    let response = send(&app, &batch(5)).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    assert_eq!(fleet_size(&app).await, 5, "the refused batch ran nothing");
    // More than a whole burst can never pass.
    let response = send(&app, &batch(10)).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_batch_with_an_idempotency_key_runs_once() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let batch = json!([register("N1KY"), register("N2KY")]);
    let first = app
        .client()
        .post(app.url("/graphql"))
        .bearer_auth(&app.key_a)
        .header("idempotency-key", "batch-1")
        .json(&batch)
        .send()
        .await
        .unwrap();
    let first: Value = first.json().await.unwrap();
    assert!(
        first[1]["data"]["registerAircraft"].is_object(),
        "{first:#}"
    );
    let again = app
        .client()
        .post(app.url("/graphql"))
        .bearer_auth(&app.key_a)
        .header("idempotency-key", "batch-1")
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(fleet_size(&app).await, 2);
}
