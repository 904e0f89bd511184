//! Today's GraphQL clients and tools against a live server on SQLite, as customers' applications
//! use them: Apollo Client (normalised cache, Relay-style paging both ways, automatic persisted
//! queries by POST and GET, batching), urql, Relay with relay-compiler's persisted documents on a
//! server that runs trusted documents only, GraphQL Code Generator and graphql-eslint. Driven
//! through the Node scripts of `tests/clients`, which print `OK …` per check and end with `DONE`
//! (or `FAIL …` and a non-zero exit).

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::browser::Script;
use crate::emissions::record_flights;
use crate::helpers::{Backend, TestApp};

/// Runs `tests/clients/<name>` to its end and returns what it printed; fails the test, with
/// that output, unless it succeeded.
async fn run(name: &str, args: &[&str]) -> Vec<String> {
    let mut script = Script::start_in("tests/clients", name, args);
    let mut lines = Vec::new();
    while let Some(line) = script.next_line().await {
        println!("{line}");
        lines.push(line);
    }
    let succeeded = script.succeeded().await;
    let failure = lines.iter().find(|line| line.starts_with("FAIL "));
    assert!(
        succeeded && failure.is_none() && lines.last().is_some_and(|line| line == "DONE"),
        "{name} failed: {}",
        failure.map_or("(see its output above)", String::as_str)
    );
    lines
}

/// The value of the line `<prefix> <value>`.
fn printed<'a>(lines: &'a [String], prefix: &str) -> &'a str {
    lines
        .iter()
        .find_map(|line| line.strip_prefix(prefix)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no `{prefix}` line in:\n{}", lines.join("\n")))
}

/// A scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let unique = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let path = std::env::temp_dir().join(format!(
            "contrail_clients_{name}_{}_{unique}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path).unwrap();
        Scratch(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Two aircraft, the first with seven flights: three pages of three.
async fn fleet_with_flights(app: &TestApp) {
    app.register("N100CL").await;
    app.register("N200CL").await;
    record_flights(app, "N100CL", 7, "2026-10-01T00:00:00Z".parse().unwrap()).await;
}

#[tokio::test]
#[cfg_attr(
    not(browser_tests),
    ignore = "Node skipped: BROWSER_TESTS is not set (needs Node and `npm ci --prefix tests/clients`)"
)]
async fn apollo_client_normalises_its_cache_and_pages_both_ways() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    fleet_with_flights(&app).await;
    let lines = run("apollo.mjs", &[&app.url("/graphql"), &app.key_a]).await;
    assert_eq!(printed(&lines, "PAGES forwards"), "3 ITEMS 7");
    assert_eq!(printed(&lines, "PAGES backwards"), "3 ITEMS 7");
}

#[tokio::test]
#[cfg_attr(
    not(browser_tests),
    ignore = "Node skipped: BROWSER_TESTS is not set (needs Node and `npm ci --prefix tests/clients`)"
)]
async fn apollo_persisted_queries_run_cold_then_warm_by_post_and_get() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.register("N100CL").await;
    run("apq.mjs", &[&app.url("/graphql"), &app.key_a]).await;
}

#[tokio::test]
#[cfg_attr(
    not(browser_tests),
    ignore = "Node skipped: BROWSER_TESTS is not set (needs Node and `npm ci --prefix tests/clients`)"
)]
async fn urql_queries_by_get_and_mutates_by_post() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.register("N100CL").await;
    run("urql.mjs", &[&app.url("/graphql"), &app.key_a]).await;
    let fleet = app.ok("{ fleet { totalCount } }", json!({})).await;
    assert_eq!(
        fleet["fleet"]["totalCount"], 2,
        "urql's mutation registered one"
    );
}

#[tokio::test]
#[cfg_attr(
    not(browser_tests),
    ignore = "Node skipped: BROWSER_TESTS is not set (needs Node and `npm ci --prefix tests/clients`)"
)]
async fn apollo_batch_http_link_sends_queries_together() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for tail in ["N100CL", "N200CL", "N300CL"] {
        app.register(tail).await;
    }
    let max = app.app.config.http_limits.max_batch.to_string();
    run("batch.mjs", &[&app.url("/graphql"), &app.key_a, &max]).await;
}

#[tokio::test]
#[cfg_attr(
    not(browser_tests),
    ignore = "Node skipped: BROWSER_TESTS is not set (needs Node and `npm ci --prefix tests/clients`)"
)]
async fn relay_runs_its_persisted_documents_on_a_trusted_server() {
    let scratch = Scratch::new("relay");
    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let compiled = run("relay-compile.mjs", &[scratch.path(), schema]).await;
    let manifest = printed(&compiled, "MANIFEST").to_owned();
    let artifacts = printed(&compiled, "ARTIFACTS").to_owned();
    let documents = contrail::config::TrustedDocuments::load(&manifest)
        .expect("relay-compiler's manifest is a trusted-documents file");

    // The data goes in through an instance that runs any document; Relay then reads it through
    // one that runs the manifest's documents only, as a production server would.
    let app = TestApp::spawn(Backend::Sqlite).await;
    fleet_with_flights(&app).await;
    record_flights(&app, "N200CL", 2, "2026-11-01T00:00:00Z".parse().unwrap()).await;
    let ids = |data: &Value| -> String {
        serde_json::to_string(
            &data["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|node| node["id"].as_str().unwrap())
                .collect::<Vec<_>>(),
        )
        .unwrap()
    };
    let all = app
        .ok(
            "{ emissions(first: 100) { nodes { id } } aircraft(tailNumber: \"N100CL\") { emissions(first: 100) { nodes { id } } } }",
            json!({}),
        )
        .await;
    let trusted = app
        .start_another_instance_with(|config| {
            config.security.trusted_documents = Some(documents);
        })
        .await;

    let lines = run(
        "relay-run.mjs",
        &[
            &format!("{}/graphql", trusted.address),
            &app.key_a,
            &manifest,
            &artifacts,
            "N100CL",
        ],
    )
    .await;
    assert_eq!(
        printed(&lines, "IDS aircraft"),
        ids(&all["aircraft"]["emissions"]),
        "forwards through node(id:): the aircraft's seven flights"
    );
    assert_eq!(
        printed(&lines, "IDS history"),
        ids(&all["emissions"]),
        "backwards: all nine flights"
    );
}

#[tokio::test]
#[cfg_attr(
    not(browser_tests),
    ignore = "Node skipped: BROWSER_TESTS is not set (needs Node and `npm ci --prefix tests/clients`)"
)]
async fn graphql_code_generator_types_the_live_schema() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let scratch = Scratch::new("codegen");
    run(
        "codegen.mjs",
        &[&app.url("/graphql"), &app.key_a, scratch.path()],
    )
    .await;
}

#[tokio::test]
#[cfg_attr(
    not(browser_tests),
    ignore = "Node skipped: BROWSER_TESTS is not set (needs Node and `npm ci --prefix tests/clients`)"
)]
async fn graphql_eslint_finds_no_error_in_the_served_schema() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let scratch = Scratch::new("eslint");
    let lines = run(
        "eslint.mjs",
        &[&app.url("/graphql"), &app.key_a, scratch.path()],
    )
    .await;
    assert_eq!(printed(&lines, "TOTAL after"), "errors=0 warnings=0");
}

#[tokio::test]
#[cfg_attr(
    not(browser_tests),
    ignore = "Node skipped: BROWSER_TESTS is not set (needs Node and `npm ci --prefix tests/clients`)"
)]
async fn methodology_2026_2_breaks_no_operation_of_an_existing_client() {
    let root = env!("CARGO_MANIFEST_DIR");
    let baseline = format!("{root}/tests/clients/schema-2026.1.graphql");
    let current = format!("{root}/schema.graphql");
    let lines = run("compat.mjs", &[&baseline, &current]).await;
    let breaking: Vec<&String> = lines
        .iter()
        .filter(|line| line.starts_with("BREAKING "))
        .collect();
    // The one change graphql-js calls breaking: an estimate by `aircraftType` (new in
    // contrail-2026.2) has no aircraft. An existing client never sends `aircraftType`, so every
    // estimate it makes still has one; no field, argument or value it uses was removed or
    // retyped, and no input became required.
    assert_eq!(
        breaking,
        [&"BREAKING FIELD_CHANGED_KIND EmissionEstimate.aircraft changed type from Aircraft! to Aircraft.".to_owned()],
        "{lines:#?}"
    );
}
