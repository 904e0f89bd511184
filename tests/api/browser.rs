//! What runs in a customer's browser or Node: the thank-you page follows its payment live (and
//! reloads itself where WebSocket is unavailable), GraphiQL loads the schema and runs a query
//! with the key pasted in its Headers tab, the npm graphql-ws client follows a payment with its
//! client secret, as the README shows, and the npm graphql-http audits find the endpoint
//! conforming to GraphQL over HTTP. Driven through Node scripts in `tests/node`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};
use crate::payments::support::{
    checkout, checkout_input, default_listing, newest_public_id, press,
};

/// A Node script's run, its stdout read line by line.
pub(crate) struct Script {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Script {
    fn start(name: &str, args: &[&str]) -> Script {
        Script::start_in("tests/node", name, args)
    }

    /// Runs `name` of the npm package in `directory` (e.g. `tests/clients`) with `args`.
    pub(crate) fn start_in(directory: &str, name: &str, args: &[&str]) -> Script {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join(directory)
            .join(name);
        let mut child = Command::new("node")
            .arg(path)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "node runs {name} (BROWSER_TESTS is set: install Node, then `npm ci --prefix {directory}`): {error}"
                )
            });
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        Script { child, lines }
    }

    /// The next line, without blocking the server running on this test's runtime.
    async fn line(&mut self) -> String {
        self.next_line()
            .await
            .expect("the script printed a line before it ended")
    }

    /// The next line, or `None` once the script closed its output; panics if it printed nothing
    /// for a minute.
    pub(crate) async fn next_line(&mut self) -> Option<String> {
        let lines = std::mem::replace(&mut self.lines, mpsc::channel().1);
        let (line, lines) = tokio::task::spawn_blocking(move || {
            let line = lines.recv_timeout(Duration::from_secs(60));
            (line, lines)
        })
        .await
        .unwrap();
        self.lines = lines;
        match line {
            Ok(line) => Some(line),
            Err(mpsc::RecvTimeoutError::Disconnected) => None,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("the script printed no line for a minute")
            }
        }
    }

    pub(crate) async fn succeeded(mut self) -> bool {
        tokio::task::spawn_blocking(move || self.child.wait().unwrap().success())
            .await
            .unwrap()
    }
}

async fn open_checkout(app: &TestApp) -> Value {
    let (listing, _) = default_listing(app).await;
    checkout(app, checkout_input(&listing, "1")).await
}

#[tokio::test]
#[cfg_attr(
    not(browser_tests),
    ignore = "Browser skipped: BROWSER_TESTS is not set (needs Node, `npm ci --prefix tests/node` and Chromium)"
)]
async fn the_thank_you_page_follows_its_payment_live() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for (mode, expected_loads) in [("live", 1), ("no-websocket", 2)] {
        let created = open_checkout(&app).await;
        let page = app.url(&format!("/thanks/{}", newest_public_id(&app).await));
        let mut browser = Script::start("thanks.mjs", &[&page, mode]);
        assert_eq!(browser.line().await, "STATE Pending", "{mode}");
        assert_eq!(browser.line().await, "READY");
        press(created["url"].as_str().unwrap(), "pay").await;
        let retired = browser.line().await;
        assert!(
            retired.starts_with("RETIRED ") && retired.contains("/certificates/"),
            "{mode}: {retired}"
        );
        let loads: usize = browser.line().await["LOADS ".len()..].parse().unwrap();
        if expected_loads == 1 {
            assert_eq!(loads, 1, "live updates without reloading the page");
        } else {
            assert!(
                loads >= 2,
                "without WebSocket the page reloads itself: {loads}"
            );
        }
        assert_eq!(browser.line().await, "ERRORS []", "{mode}");
        assert!(browser.succeeded().await);
    }
}

#[tokio::test]
#[cfg_attr(
    not(browser_tests),
    ignore = "Node skipped: BROWSER_TESTS is not set (needs Node and `npm ci --prefix tests/node`)"
)]
async fn the_graphql_ws_client_follows_a_payment_with_its_client_secret() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let created = open_checkout(&app).await;
    let payment = &created["payment"];
    let url = app.url("/graphql").replace("http://", "ws://");
    let mut client = Script::start(
        "follow.mjs",
        &[
            &url,
            payment["id"].as_str().unwrap(),
            payment["clientSecret"].as_str().unwrap(),
        ],
    );
    assert_eq!(client.line().await, "PENDING NOT_STARTED -");
    press(created["url"].as_str().unwrap(), "pay").await;
    assert!(client.line().await.starts_with("SUCCEEDED PENDING "));
    let retired = client.line().await;
    assert!(
        retired.starts_with("SUCCEEDED RETIRED ") && retired.contains("/certificates/"),
        "{retired}"
    );
    assert_eq!(client.line().await, "COMPLETE");
    assert!(client.succeeded().await);
}

#[tokio::test]
#[cfg_attr(
    not(browser_tests),
    ignore = "Browser skipped: BROWSER_TESTS is not set (needs Node, `npm ci --prefix tests/node` and Chromium)"
)]
async fn graphiql_loads_the_schema_and_runs_a_keyed_query() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    // Organization A's fleet, so the result shows the key in the Headers tab was sent.
    app.register("N123AB").await;
    let mut browser = Script::start("graphiql.mjs", &[&app.url("/graphql"), &app.key_a]);
    assert_eq!(browser.line().await, "LOADED");
    assert_eq!(
        browser.line().await,
        r#"PANE """#,
        "no error in the result pane once the schema loaded"
    );
    assert_eq!(browser.line().await, "DOCS Emission");
    let result = browser.line().await;
    let shown: Value = match result.strip_prefix("RESULT ") {
        Some(shown) => serde_json::from_str(shown).unwrap(),
        None => panic!("expected the result pane, got {result}"),
    };
    assert_eq!(
        shown,
        json!({ "data": { "fleet": {
            "totalCount": 1,
            "edges": [{ "node": { "tailNumber": "N123AB" } }],
        } } })
    );
    assert_eq!(browser.line().await, "ERRORS []");
    assert!(browser.succeeded().await);
}

#[tokio::test]
#[cfg_attr(
    not(browser_tests),
    ignore = "Node skipped: BROWSER_TESTS is not set (needs Node and `npm ci --prefix tests/node`)"
)]
async fn graphql_over_http_passes_every_audit() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut audit = Script::start("audit.mjs", &[&app.url("/graphql")]);
    // One line per audit that did not pass, then the tally. MAY audits (notices) are optional,
    // so only SHOULD (warnings) and MUST (errors) audits must pass.
    let mut failures = Vec::new();
    let tally = loop {
        let line = audit.line().await;
        println!("{line}");
        match line.strip_prefix("TALLY ") {
            Some(tally) => break tally.to_owned(),
            None if line.starts_with("NOTICE ") => {}
            None => failures.push(line),
        }
    };
    let count = |status: &str| -> usize {
        tally
            .split(' ')
            .find_map(|pair| pair.strip_prefix(status)?.strip_prefix('='))
            .and_then(|count| count.parse().ok())
            .unwrap_or_else(|| panic!("no {status} count in {tally}"))
    };
    assert_eq!(
        (count("warn"), count("error")),
        (0, 0),
        "graphql-http audits: {tally}\n{}",
        failures.join("\n")
    );
    assert!(audit.succeeded().await);
}
