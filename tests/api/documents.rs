//! Documents named instead of sent: Apollo's automatic persisted queries (cold, warm, by POST
//! and GET), and a trusted-documents manifest outside of which nothing runs.

use std::time::Duration;

use contrail::config::{Security, TrustedDocuments, sha256_hex};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, Options, TestApp};
use crate::subscriptions::{Client, error_code};

const FLEET: &str = "query Fleet { fleet(first: 5) { totalCount } }";
const REGISTER: &str = "mutation Register($tail: String!) { registerAircraft(input: { tailNumber: $tail, modelCode: \"E55P\" }) { aircraft { tailNumber } } }";
const CHANGES: &str = "subscription Changes { paymentsChanged { id status } }";
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

async fn post(app: &TestApp, body: Value, accept: Option<&str>) -> (StatusCode, Value) {
    let mut request = app
        .client()
        .post(app.url("/graphql"))
        .bearer_auth(&app.key_a)
        .json(&body);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn get(app: &TestApp, parameters: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = app
        .client()
        .get(app.url("/graphql"))
        .query(parameters)
        .bearer_auth(&app.key_a)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected a coded error: {body:#}"))
}

async fn fleet_size(app: &TestApp) -> u64 {
    app.ok("{ fleet(first: 1) { totalCount } }", json!({}))
        .await["fleet"]["totalCount"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn a_persisted_query_runs_by_its_hash_once_sent() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let hash = sha256_hex(FLEET);

    // Cold: the hash alone is not known, in the words Apollo's link retries on.
    let (status, body) = post(&app, json!({ "extensions": persisted(&hash) }), None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a GraphQL result for legacy clients"
    );
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND");
    assert!(body.get("data").is_none() || body["data"].is_null());
    let (status, body) = post(
        &app,
        json!({ "extensions": persisted(&hash) }),
        Some(GRAPHQL_RESPONSE),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a request that cannot run");
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND");

    // A document that is not the hash's is refused, and not kept.
    let wrong =
        json!({ "query": "{ fleet(first: 1) { totalCount } }", "extensions": persisted(&hash) });
    let (_, body) = post(&app, wrong, None).await;
    assert_eq!(code(&body), "PERSISTED_QUERY_HASH_MISMATCH");
    let (_, body) = post(&app, json!({ "extensions": persisted(&hash) }), None).await;
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND");
    let (_, body) = post(
        &app,
        json!({ "query": FLEET, "extensions": { "persistedQuery": { "version": 2, "sha256Hash": hash } } }),
        None,
    )
    .await;
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_SUPPORTED");

    // Sent with its document, it runs and is kept; then the hash alone runs it.
    let (_, body) = post(
        &app,
        json!({ "query": FLEET, "extensions": persisted(&hash) }),
        None,
    )
    .await;
    assert_eq!(body["data"]["fleet"]["totalCount"], 0, "{body:#}");
    app.register("N1PQ").await;
    let (_, body) = post(&app, json!({ "extensions": persisted(&hash) }), None).await;
    assert_eq!(body["data"]["fleet"]["totalCount"], 1, "{body:#}");
    // By GET too, as a CDN would cache it (the hash is case-insensitive hex).
    let extensions = persisted(&hash.to_uppercase()).to_string();
    let (status, body) = get(&app, &[("extensions", &extensions)]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["fleet"]["totalCount"], 1, "{body:#}");
}

#[tokio::test]
async fn a_persisted_mutation_does_not_run_by_get() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let hash = sha256_hex(REGISTER);
    let first = json!({ "query": REGISTER, "variables": { "tail": "N1PM" }, "extensions": persisted(&hash) });
    let (_, body) = post(&app, first, None).await;
    assert_eq!(
        body["data"]["registerAircraft"]["aircraft"]["tailNumber"],
        "N1PM"
    );
    let extensions = persisted(&hash).to_string();
    let variables = json!({ "tail": "N2PM" }).to_string();
    let (status, body) = get(
        &app,
        &[("extensions", &extensions), ("variables", &variables)],
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body:#}");
    assert_eq!(fleet_size(&app).await, 1);
}

fn manifest(documents: Value) -> TrustedDocuments {
    let path = std::env::temp_dir().join(format!(
        "contrail-manifest-{}-{}.json",
        std::process::id(),
        sha256_hex(&documents.to_string())
    ));
    std::fs::write(&path, documents.to_string()).unwrap();
    let loaded = TrustedDocuments::load(path.to_str().unwrap()).unwrap();
    std::fs::remove_file(path).unwrap();
    loaded
}

async fn trusted_app() -> TestApp {
    let options = Options {
        security: Security {
            trusted_documents: Some(manifest(
                json!({ "fleet-1": FLEET, "register-1": REGISTER, "changes-1": CHANGES }),
            )),
            ..Options::default().security
        },
        ..Options::default()
    };
    TestApp::spawn_with(Backend::Sqlite, options).await
}

#[tokio::test]
async fn with_a_manifest_only_its_documents_run() {
    let app = trusted_app().await;
    // By id, through POST and GET, and by hash.
    let register = json!({ "documentId": "register-1", "variables": { "tail": "N1TD" } });
    let (_, body) = post(&app, register, None).await;
    assert_eq!(
        body["data"]["registerAircraft"]["aircraft"]["tailNumber"], "N1TD",
        "{body:#}"
    );
    let (_, body) = post(&app, json!({ "documentId": "fleet-1" }), None).await;
    assert_eq!(body["data"]["fleet"]["totalCount"], 1, "{body:#}");
    let (status, body) = get(&app, &[("documentId", "fleet-1")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["fleet"]["totalCount"], 1, "{body:#}");
    let (_, body) = post(
        &app,
        json!({ "extensions": persisted(&sha256_hex(FLEET)) }),
        None,
    )
    .await;
    assert_eq!(body["data"]["fleet"]["totalCount"], 1, "{body:#}");
    // Sending a manifest document in full is fine too.
    let (_, body) = post(&app, json!({ "query": FLEET }), None).await;
    assert_eq!(body["data"]["fleet"]["totalCount"], 1, "{body:#}");

    // Anything else runs nothing.
    let (_, body) = post(&app, json!({ "documentId": "register-2" }), None).await;
    assert_eq!(code(&body), "PERSISTED_DOCUMENT_NOT_FOUND");
    let other = "mutation { registerAircraft(input: { tailNumber: \"N2TD\", modelCode: \"E55P\" }) { aircraft { id } } }";
    let (status, body) = post(&app, json!({ "query": other }), Some(GRAPHQL_RESPONSE)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&body), "TRUSTED_DOCUMENT_REQUIRED");
    let smuggled = json!({ "query": other, "extensions": persisted(&sha256_hex(other)) });
    let (_, body) = post(&app, smuggled, None).await;
    assert_eq!(
        code(&body),
        "TRUSTED_DOCUMENT_REQUIRED",
        "not learnt either"
    );
    let batch = json!([{ "documentId": "fleet-1" }, { "query": other }]);
    let (_, body) = post(&app, batch, None).await;
    assert_eq!(body[0]["data"]["fleet"]["totalCount"], 1, "{body:#}");
    assert_eq!(code(&body[1]), "TRUSTED_DOCUMENT_REQUIRED");
    let (_, body) = get(&app, &[("query", "{ fleet(first: 2) { totalCount } }")]).await;
    assert_eq!(code(&body), "TRUSTED_DOCUMENT_REQUIRED");
    assert_eq!(fleet_size_trusted(&app).await, 1, "N2TD was not registered");
}

/// The fleet's size through the manifest's own query.
async fn fleet_size_trusted(app: &TestApp) -> u64 {
    let (_, body) = post(app, json!({ "documentId": "fleet-1" }), None).await;
    body["data"]["fleet"]["totalCount"].as_u64().unwrap()
}

#[tokio::test]
async fn with_a_manifest_only_its_subscriptions_start() {
    let app = trusted_app().await;
    let mut client = Client::with_key(&app.address, &app.key_a).await;
    client
        .send(json!({ "id": "1", "type": "subscribe", "payload": { "documentId": "changes-1" } }))
        .await;
    client.silent_for(Duration::from_millis(300)).await;
    client
        .send(json!({ "id": "2", "type": "subscribe", "payload": { "documentId": "changes-2" } }))
        .await;
    let refused = client.next().await;
    assert_eq!(refused["id"], "2");
    assert_eq!(error_code(&refused), "PERSISTED_DOCUMENT_NOT_FOUND");
    client
        .subscribe("3", "subscription { paymentsChanged { id } }", json!({}))
        .await;
    let refused = client.next().await;
    assert_eq!(refused["id"], "3");
    assert_eq!(error_code(&refused), "TRUSTED_DOCUMENT_REQUIRED");
}
