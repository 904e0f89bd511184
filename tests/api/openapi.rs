//! The REST routes' OpenAPI document: what `openapi.json` holds is what the server serves, the
//! reference page works with no internet (in headless Chromium too), and Schemathesis, fuzzing every route against the
//! document on a live server, finds no server error, no answer the document does not promise,
//! and no crash.

use std::process::Command;
use std::time::Instant;

use serde_json::{Value, json};

use crate::browser::Script;
use crate::helpers::{Backend, TestApp};

/// `openapi.json` is the REST contract; it must be exactly what the code serves.
#[test]
fn checked_in_document_matches_the_code() {
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json")).unwrap();
    assert!(
        checked_in == contrail::http::rest::openapi::document(),
        "openapi.json is stale: run `cargo run -- openapi > openapi.json` and review the diff"
    );
}

#[tokio::test]
async fn the_document_and_its_reference_page_are_served_offline() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let response = app
        .client()
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let served: Value = response.json().await.unwrap();
    let document: Value = serde_json::from_str(contrail::http::rest::openapi::document()).unwrap();
    assert_eq!(served, document);
    assert_eq!(served["openapi"], "3.1.0");
    let key = &served["components"]["securitySchemes"]["api_key"];
    assert_eq!(
        (&key["type"], &key["scheme"]),
        (&json!("http"), &json!("bearer"))
    );

    let page = app.client().get(app.url("/openapi")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("script-src 'self'") && policy.contains("connect-src 'self'"));
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains("//cdn"),
        "the page loads nothing from elsewhere:\n{html}"
    );
    for asset in ["swagger-ui.js", "swagger-ui.css", "reference.js"] {
        assert!(
            html.contains(&format!("/openapi/assets/{asset}")),
            "{asset}"
        );
        let response = app
            .client()
            .get(app.url(&format!("/openapi/assets/{asset}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        let body = response.text().await.unwrap();
        assert!(
            !body.contains("sourceMappingURL"),
            "{asset} points at no missing map"
        );
    }
    let script = app
        .client()
        .get(app.url("/openapi/assets/reference.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(script.contains("\"/openapi.json\"") && script.contains("validatorUrl: null"));
    let missing = app
        .client()
        .get(app.url("/openapi/assets/x.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
#[cfg_attr(
    not(browser_tests),
    ignore = "Browser skipped: BROWSER_TESTS is not set (needs Node, `npm ci --prefix tests/node` and Chromium)"
)]
async fn the_reference_page_tries_a_route_with_the_key() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.register("N123AB").await;
    let mut browser = Script::start_in(
        "tests/node",
        "reference.mjs",
        &[&app.url("/openapi"), &app.key_a],
    );
    let mut lines = Vec::new();
    while let Some(line) = browser.next_line().await {
        lines.push(line);
    }
    assert_eq!(
        lines,
        ["OPERATIONS 13", "TRIED 200 1", "ERRORS []"],
        "every route listed, \"Try it out\" sent the key, nothing failed or came from elsewhere"
    );
    assert!(browser.succeeded().await);
}

/// Examples per operation and phase: enough to reach every route's validation and its
/// success, bounded so the run takes seconds.
const MAX_EXAMPLES: &str = "25";

#[tokio::test]
#[cfg_attr(
    not(schemathesis_tests),
    ignore = "Schemathesis skipped: SCHEMATHESIS is not set (bash .ci/run installs it into target/schemathesis-venv; then SCHEMATHESIS=target/schemathesis-venv/bin/schemathesis)"
)]
async fn schemathesis_finds_no_fault_in_the_rest_routes() {
    let command = std::env::var("SCHEMATHESIS").expect("SCHEMATHESIS names the command");
    // A relative path is the checkout's (the run happens elsewhere).
    let command = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(command);
    let app = TestApp::spawn(Backend::Sqlite).await;
    // The tail number of the document's examples, so examples reach a real estimate.
    app.register("N123AB").await;
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/schemathesis.toml");
    let args = [
        "--config-file".to_owned(),
        config.to_owned(),
        "run".to_owned(),
        app.url("/openapi.json"),
        "--checks".to_owned(),
        "all".to_owned(),
        "--max-examples".to_owned(),
        MAX_EXAMPLES.to_owned(),
        "--header".to_owned(),
        format!("Authorization: Bearer {}", app.key_a),
        // Reproducible in CI: the same seed generates the same requests.
        "--seed".to_owned(),
        "1".to_owned(),
        "--generation-database".to_owned(),
        "none".to_owned(),
        "--request-timeout".to_owned(),
        "10".to_owned(),
        "--no-color".to_owned(),
    ];
    let started = Instant::now();
    // The server runs on this test's runtime: the run is waited for off it, from the build's
    // scratch directory, where schemathesis may leave its files.
    let run = move || {
        Command::new(command)
            .args(args)
            .current_dir(env!("CARGO_TARGET_TMPDIR"))
            .output()
    };
    let output = tokio::task::spawn_blocking(run)
        .await
        .unwrap()
        .expect("schemathesis runs");
    let report = String::from_utf8_lossy(&output.stdout);
    println!("{report}");
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    let cases = report
        .lines()
        .skip_while(|line| line.trim() != "Test cases:")
        .nth(1)
        .unwrap_or_default()
        .trim()
        .to_owned();
    println!(
        "schemathesis: {cases} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        output.status.success(),
        "schemathesis found faults (see its report above): {cases}"
    );
    assert!(
        cases.contains("generated") && !cases.starts_with("0 generated"),
        "schemathesis ran no test case: {cases}"
    );
}
