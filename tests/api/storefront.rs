//! The seed's use case end to end in a real browser, through the example storefront
//! (`examples/storefront`): its backend (`node server.mjs`, holding the API key) beside the
//! server, and headless Chromium driving its pages (`tests/node/storefront.mjs`): a flight, the
//! slider at 150 %, the hosted test checkout, the payment followed live back on the storefront,
//! the certificate; a declined payment and a booking without offset. What the browser showed is
//! checked against what the server recorded. Screenshots of each step are kept under
//! `target/tmp/storefront-screenshots/`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use serde_json::{Value, json};

use crate::browser::Script;
use crate::helpers::{Backend, TestApp};

/// The storefront's backend, started as its README says, on a port of its choosing.
struct Storefront {
    child: Child,
    url: String,
}

impl Storefront {
    /// Starts it against `app` with organization A's key; returns once it registered its fleet
    /// and listens.
    async fn start(app: &TestApp) -> Storefront {
        let directory = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/storefront");
        let mut child = Command::new("node")
            .arg(directory.join("server.mjs"))
            .env("CONTRAIL_URL", &app.address)
            .env("CONTRAIL_API_KEY", &app.key_a)
            .env("HOST", "127.0.0.1")
            .env("PORT", "0")
            .env_remove("STOREFRONT_URL")
            .env_remove("CONTRAIL_WS_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node starts the storefront (BROWSER_TESTS is set: install Node)");
        let stdout = child.stdout.take().unwrap();
        // Read off the runtime: the storefront calls this test's server before it answers.
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        })
        .await
        .unwrap()
        .unwrap();
        let Some(url) = line.trim().strip_prefix("Storefront: ") else {
            panic!(
                "the storefront did not start (run `npm ci --prefix examples/storefront`): {line:?}"
            );
        };
        Storefront {
            url: url.trim_end_matches('/').to_owned(),
            child,
        }
    }
}

impl Drop for Storefront {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one customer did (`pay`, `decline` or `none`), as the browser script printed it.
struct Run(Vec<String>);

impl Run {
    /// The value of the line `<prefix> <value>`.
    fn get(&self, prefix: &str) -> &str {
        self.0
            .iter()
            .find_map(|line| line.strip_prefix(prefix)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no `{prefix}` line in:\n{}", self.0.join("\n")))
    }

    fn all(&self, prefix: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter_map(|line| line.strip_prefix(prefix)?.strip_prefix(' '))
            .collect()
    }
}

async fn browse(storefront: &Storefront, app: &TestApp, choice: &str) -> Run {
    let screenshots = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("storefront-screenshots")
        .join(choice);
    let _ = std::fs::remove_dir_all(&screenshots);
    let started = Instant::now();
    let mut script = Script::start_in(
        "tests/node",
        "storefront.mjs",
        &[
            &storefront.url,
            &app.key_a,
            screenshots.to_str().unwrap(),
            choice,
        ],
    );
    let mut lines = Vec::new();
    while let Some(line) = script.next_line().await {
        println!("{line}");
        lines.push(line);
    }
    let succeeded = script.succeeded().await;
    println!(
        "{choice}: {:.1} s in the browser; screenshots in {}",
        started.elapsed().as_secs_f64(),
        screenshots.display()
    );
    let run = Run(lines);
    // Nothing failed in the browser, no console error, and the key never reached it.
    assert_eq!(run.get("ERRORS"), "[]", "{choice}");
    assert_eq!(
        run.get("LEAKS"),
        "[]",
        "{choice}: the API key reached the browser"
    );
    assert!(
        succeeded && run.0.last().is_some_and(|line| line == "DONE"),
        "{choice}: the browser script failed:\n{}",
        run.0.join("\n")
    );
    let inspected: Vec<usize> = run
        .get("INSPECTED")
        .split(' ')
        .map(|count| count.parse().unwrap())
        .collect();
    assert!(inspected[0] > 10 && inspected[1] > 10, "{inspected:?}");
    assert_eq!(run.get("FLIGHTS"), "3");
    run
}

/// The organization's emissions, oldest first, with the estimate each was recorded from.
async fn emissions(app: &TestApp) -> Vec<Value> {
    let data = app
        .ok(
            "{ emissions(first: 10) { nodes { id estimateId tailNumber origin destination
               offsetStatus offsetPercentage externalReference } } }",
            json!({}),
        )
        .await;
    data["emissions"]["nodes"].as_array().unwrap().clone()
}

/// What the estimate an emission was recorded from priced 150 % at, and its SAF blend.
async fn estimated_150(app: &TestApp, emission: &Value) -> (Value, String) {
    let data = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on EmissionEstimate {
               safBlendPercent offsetOptions(percentages: [150]) { price { amount currency } } } } }",
            json!({ "id": emission["estimateId"] }),
        )
        .await;
    let estimate = &data["node"];
    (
        estimate["offsetOptions"][0]["price"].clone(),
        estimate["safBlendPercent"].as_str().unwrap().to_owned(),
    )
}

async fn payments(app: &TestApp) -> Vec<Value> {
    let data = app
        .ok(
            "{ payments(first: 10) { nodes { status retirementStatus customerEmail
               amount { amount currency } provision { offsetPercentage }
               certificate { url beneficiaryName } } } }",
            json!({}),
        )
        .await;
    data["payments"]["nodes"].as_array().unwrap().clone()
}

/// US dollars as the page shows them (en-US): `"1234.50"` → `"$1,234.50"`.
fn dollars(amount: &str) -> String {
    let (whole, cents) = amount.split_once('.').unwrap();
    let mut grouped = String::new();
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("${grouped}.{cents}")
}

/// The page showed the 150 % option of the very estimate the flight was recorded from, and the
/// hosted checkout charged it.
fn shows_the_estimates_price(run: &Run, price: &Value) {
    let amount = price["amount"].as_str().unwrap();
    let currency = price["currency"].as_str().unwrap();
    assert_eq!(currency, "USD");
    assert_eq!(
        run.get("PRICE"),
        format!("{amount} {currency} {}", dollars(amount))
    );
    assert!(
        run.get("SLIDER").starts_with("150 percent: ")
            && run.get("SLIDER").ends_with(&dollars(amount)),
        "the slider announces its value and price: {}",
        run.get("SLIDER")
    );
    assert_eq!(run.get("CHECKOUT"), format!("{amount} {currency}"));
}

#[tokio::test]
#[cfg_attr(
    not(browser_tests),
    ignore = "Browser skipped: BROWSER_TESTS is not set (needs Node, `npm ci --prefix tests/node`, `npm ci --prefix examples/storefront` and Chromium)"
)]
async fn a_customer_offsets_150_percent_of_a_flight_and_opens_the_certificate() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let storefront = Storefront::start(&app).await;
    let run = browse(&storefront, &app, "pay").await;

    let recorded = emissions(&app).await;
    assert_eq!(recorded.len(), 1, "one flight booked: {recorded:?}");
    let flight = &recorded[0];
    assert_eq!(
        (
            &flight["tailNumber"],
            &flight["origin"],
            &flight["destination"]
        ),
        (&json!("N300SK"), &json!("KTEB"), &json!("KDJT"))
    );
    assert!(
        flight["externalReference"]
            .as_str()
            .unwrap()
            .starts_with("SKY-")
    );
    assert_eq!(flight["offsetStatus"], "OFFSET");
    assert_eq!(flight["offsetPercentage"], "150");
    let (price, saf) = estimated_150(&app, flight).await;
    assert_eq!(saf, "30.00", "the customer chose the SAF blend");
    shows_the_estimates_price(&run, &price);

    let paid = payments(&app).await;
    assert_eq!(paid.len(), 1);
    let payment = &paid[0];
    assert_eq!(
        (&payment["status"], &payment["retirementStatus"]),
        (&json!("SUCCEEDED"), &json!("RETIRED"))
    );
    assert_eq!(payment["amount"], price, "charged what the page showed");
    assert_eq!(payment["customerEmail"], "jane.doe@example.com");
    assert_eq!(payment["provision"]["offsetPercentage"], 150);

    // Followed live: paid, then retired, without reloading the page.
    assert_eq!(run.get("STATE"), "Credits retired");
    assert_eq!(run.get("STEPS"), "Flight booked, Paid, Credits retired");
    assert_eq!(run.get("LOADS"), "1");
    assert_ne!(run.get("INSPECTED").split(' ').nth(2), Some("0"));

    let certificate = &payment["certificate"];
    assert_eq!(run.get("CERTIFICATE"), certificate["url"].as_str().unwrap());
    assert_eq!(certificate["beneficiaryName"], "Jane Doe");
    assert_eq!(run.get("CERT_BENEFICIARY"), "Jane Doe");
    let rows = run.all("CERT_FLIGHT");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows[0].starts_with("N300SK | ") && rows[0].contains(" | KTEB → KDJT | "),
        "{}",
        rows[0]
    );
}

#[tokio::test]
#[cfg_attr(
    not(browser_tests),
    ignore = "Browser skipped: BROWSER_TESTS is not set (needs Node, `npm ci --prefix tests/node`, `npm ci --prefix examples/storefront` and Chromium)"
)]
async fn a_declined_payment_shows_the_failure_and_0_percent_books_without_checkout() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let storefront = Storefront::start(&app).await;

    let run = browse(&storefront, &app, "decline").await;
    let recorded = emissions(&app).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0]["offsetStatus"], "NOT_OFFSET");
    let (price, saf) = estimated_150(&app, &recorded[0]).await;
    assert_eq!(saf, "0");
    shows_the_estimates_price(&run, &price);
    assert_eq!(run.get("STATE"), "Payment failed");
    assert_eq!(run.get("STEPS"), "Flight booked");
    assert_eq!(run.get("LOADS"), "1");
    // "Try again" opened a second checkout for the same offset.
    assert_eq!(run.get("RETRY"), run.get("CHECKOUT"));
    let statuses: Vec<Value> = payments(&app)
        .await
        .iter()
        .map(|payment| json!([payment["status"], payment["amount"]]))
        .collect();
    assert_eq!(
        statuses,
        [json!(["FAILED", price]), json!(["PENDING", price])]
    );

    // 0 %: the flight is recorded, no checkout opened.
    let run = browse(&storefront, &app, "none").await;
    assert_eq!(run.get("PRICE"), "0 null No removal");
    assert_eq!(run.get("SLIDER"), "0 percent: no carbon removal");
    assert_eq!(run.get("STATE"), "No carbon removal");
    assert_eq!(run.get("INSPECTED").split(' ').nth(2), Some("0"));
    let recorded = emissions(&app).await;
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[1]["offsetStatus"], "NOT_OFFSET");
    assert_eq!(payments(&app).await.len(), 2, "no checkout for 0 %");
}
