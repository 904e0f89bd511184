//! What an operator sees of a running server: request ids in headers and errors, the product's
//! state as its gauges show it, Prometheus scraping a real checkout, OTLP traces continuing the
//! caller's trace, JSON logs naming the request, and no secret in any log line.

use std::io::Read;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use contrail::payments::{PaymentStatus, RetirementStatus};
use contrail::telemetry::metrics::ProductState;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use crate::helpers::{Backend, PreparedDatabase, TestApp};
use crate::on_both_databases;
use crate::payments::support::{checkout, checkout_input, default_listing, press, wait_for};
use crate::process::{Server, free_port};
use crate::smtp::SmtpSink;

on_both_databases!(
    requests_carry_their_id_into_errors,
    the_product_state_is_read_from_the_database,
);

const FAILING: &str = "{ emission(id: \"not an id\") { id } }";

async fn requests_carry_their_id_into_errors(app: TestApp) {
    let sent = |id: Option<&str>, content_type: &str| {
        let mut request = app
            .client()
            .post(app.url("/graphql"))
            .bearer_auth(&app.key_a)
            .header("content-type", content_type)
            .body(json!({ "query": FAILING }).to_string());
        if let Some(id) = id {
            request = request.header("x-request-id", id);
        }
        request.send()
    };
    let answered = sent(Some("checkout-7f3a.2"), "application/json")
        .await
        .unwrap();
    assert_eq!(answered.headers()["x-request-id"], "checkout-7f3a.2");
    let body: Value = answered.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(
        body["errors"][0]["extensions"]["requestId"],
        "checkout-7f3a.2"
    );

    // None sent, or one that is not sane: a fresh id, the same in the header and the error.
    for id in [None, Some("has spaces and; more")] {
        let answered = sent(id, "application/json").await.unwrap();
        let header = answered.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(header.len(), 32, "{header}");
        assert!(header.chars().all(|c| c.is_ascii_hexdigit()));
        let body: Value = answered.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["requestId"], header);
    }

    // Refused by the transport before any GraphQL runs: still the id.
    let refused = sent(Some("refused-1"), "text/plain").await.unwrap();
    assert_eq!(refused.status(), 415);
    assert_eq!(refused.headers()["x-request-id"], "refused-1");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["requestId"], "refused-1");

    // Successes carry it in the header only.
    let ok = app
        .client()
        .get(app.url("/healthz"))
        .header("x-request-id", "probe")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.headers()["x-request-id"], "probe");
}

async fn the_product_state_is_read_from_the_database(app: TestApp) {
    let before = ProductState::read(&app.db).await.unwrap();
    let (listing, _) = default_listing(&app).await;
    let opened = checkout(&app, checkout_input(&listing, "2")).await;
    let id = opened["payment"]["id"].clone();
    let waiting = ProductState::read(&app.db).await.unwrap();
    assert_eq!(
        waiting.payments,
        [(PaymentStatus::Pending, RetirementStatus::NotStarted, 1)]
    );

    press(opened["payment"]["checkoutUrl"].as_str().unwrap(), "pay").await;
    let paid = wait_for(&app, &id, |payment| {
        payment["retirementStatus"] == "RETIRED"
    })
    .await;
    assert_eq!(paid["retirementStatus"], "RETIRED");
    let after = ProductState::read(&app.db).await.unwrap();
    assert_eq!(
        after.payments,
        [(PaymentStatus::Succeeded, RetirementStatus::Retired, 1)]
    );
    assert_eq!(after.paid_unretired, 0);
    assert_eq!(after.oldest_paid_unretired, None);
    assert_eq!(after.retirement_backlog, 0);
    assert_eq!(after.oldest_due_retirement, None);
    let free = |state: &ProductState| -> i64 {
        state.available.iter().map(|(_, grams)| grams.get()).sum()
    };
    assert_eq!(free(&before) - free(&after), 2_000_000, "2 t allocated");
    // The verification e-mail is written, then sent to the test's SMTP sink.
    let started = Instant::now();
    while ProductState::read(&app.db).await.unwrap().outbox_depth > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the outbox drains"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `contrail serve` as an operator runs it, on a prepared database, with the demo supply.
struct Deployment {
    server: Server,
    prepared: PreparedDatabase,
    dir: PathBuf,
    http: reqwest::Client,
}

impl Deployment {
    async fn start(
        backend: Backend,
        name: &str,
        env: &[(&str, &str)],
        logs: Option<&std::fs::File>,
    ) -> Deployment {
        let prepared = PreparedDatabase::create(backend).await;
        let dir = std::env::temp_dir().join(format!("contrail_{name}_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut all = vec![("CONTRAIL_DATABASE_URL", prepared.database.url())];
        all.extend_from_slice(env);
        let port = free_port();
        let server = match logs {
            Some(file) => Server::start_logging(&dir, port, &all, file.try_clone().unwrap()),
            None => Server::start(&dir, port, &all),
        };
        server.ready().await;
        Deployment {
            server,
            prepared,
            dir,
            http: reqwest::Client::new(),
        }
    }

    async fn graphql(&self, query: &str, variables: Value, headers: &[(&str, &str)]) -> Value {
        let mut request = self
            .http
            .post(self.server.url("/graphql"))
            .bearer_auth(&self.prepared.key_a)
            .json(&json!({ "query": query, "variables": variables }));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let body: Value = request.send().await.unwrap().json().await.unwrap();
        assert!(body.get("errors").is_none(), "{body:#}");
        body["data"].clone()
    }

    /// Opens a checkout of 1 t, pays it on the hosted page and waits until it is retired;
    /// returns the payment as `createCheckout` answered it.
    async fn pay_a_checkout(&self) -> Value {
        let listings = self
            .graphql("{ listings { id isDefault } }", json!({}), &[])
            .await;
        let listing = listings["listings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|listing| listing["isDefault"] == true)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let opened = self
            .graphql(
                crate::payments::support::CHECKOUT,
                json!({ "input": checkout_input(&listing, "1") }),
                &[],
            )
            .await["createCheckout"]["payment"]
            .clone();
        press(opened["checkoutUrl"].as_str().unwrap(), "pay").await;
        let started = Instant::now();
        loop {
            let payment = self
                .graphql(
                    "query($id: ID!) { payment(id: $id) { retirementStatus } }",
                    json!({ "id": opened["id"] }),
                    &[],
                )
                .await;
            if payment["payment"]["retirementStatus"] == "RETIRED" {
                return opened;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "{payment}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn setting(&self, key: &str) -> String {
        let db = &self.prepared.db;
        let sql = match db.get_database_backend() {
            DbBackend::Postgres => "SELECT value FROM settings WHERE key = $1",
            _ => "SELECT value FROM settings WHERE key = ?",
        };
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                sql,
                [key.into()],
            ))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("the server stored {key}"));
        row.try_get("", "value").unwrap()
    }
}

impl Drop for Deployment {
    fn drop(&mut self) {
        let _ = self.server.child.kill();
        let _ = self.server.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
#[cfg_attr(
    not(prometheus_tests),
    ignore = "Prometheus skipped: PROMETHEUS_TESTS is not set (needs Debian's prometheus: prometheus and promtool)"
)]
async fn prometheus_scrapes_a_paid_checkout_on_sqlite() {
    prometheus_scrapes_a_paid_checkout(Backend::Sqlite).await;
}

#[tokio::test]
#[cfg_attr(
    not(all(prometheus_tests, postgres_tests)),
    ignore = "Prometheus or PostgreSQL skipped: PROMETHEUS_TESTS or TEST_DATABASE_URL is not set"
)]
async fn prometheus_scrapes_a_paid_checkout_on_postgres() {
    prometheus_scrapes_a_paid_checkout(Backend::Postgres).await;
}

async fn prometheus_scrapes_a_paid_checkout(backend: Backend) {
    let metrics_port = free_port();
    let listen = format!("127.0.0.1:{metrics_port}");
    let name = format!("metrics_{backend:?}").to_lowercase();
    let deployment = Deployment::start(
        backend,
        &name,
        &[("CONTRAIL_METRICS_LISTEN", &listen)],
        None,
    )
    .await;
    // The API's own port does not serve metrics: they stay on the operator's listener.
    let public = deployment
        .http
        .get(deployment.server.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 404);

    let prometheus_dir = deployment.dir.join("prometheus");
    std::fs::create_dir_all(&prometheus_dir).unwrap();
    let config = prometheus_dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: contrail\n    static_configs:\n      - targets: ['{listen}']\n"
        ),
    )
    .unwrap();
    let prometheus_port = free_port();
    let mut prometheus = std::process::Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            prometheus_dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{prometheus_port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("Debian's prometheus is installed (PROMETHEUS_TESTS is set)");
    let _stop = KillOnDrop(&mut prometheus);

    let opened = deployment.pay_a_checkout().await;
    assert!(opened["id"].is_string());

    let query = |expression: &'static str| {
        let http = deployment.http.clone();
        async move {
            let url = format!("http://127.0.0.1:{prometheus_port}/api/v1/query");
            let started = Instant::now();
            loop {
                if let Ok(response) = http.get(&url).query(&[("query", expression)]).send().await
                    && let Ok(body) = response.json::<Value>().await
                    && let Some(value) = body["data"]["result"][0]["value"][1].as_str()
                    && value.parse::<f64>().unwrap_or_default() >= 1.0
                {
                    return;
                }
                assert!(
                    started.elapsed() < Duration::from_secs(60),
                    "Prometheus never saw {expression}"
                );
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    };
    query("sum(contrail_checkouts_total{outcome=\"opened\"})").await;
    query("sum(contrail_checkouts_total{outcome=\"paid\"})").await;
    query("sum(contrail_webhook_events_total{type=\"checkout.session.completed\", outcome=\"verified\"})").await;
    query("contrail_payments{status=\"SUCCEEDED\", retirement=\"RETIRED\"}").await;
    query("sum(contrail_graphql_operations_total{type=\"mutation\", outcome=\"ok\"})").await;
    query("contrail_build_info").await;
    // Every statement waited for its connection, however briefly, and the wait was measured.
    query("sum(contrail_db_connection_wait_seconds_count)").await;
    query("up{job=\"contrail\"}").await;

    // The exposition itself passes promtool's lint.
    let exposition = deployment
        .http
        .get(format!("http://{listen}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        exposition.contains("contrail_http_requests_total{"),
        "{exposition}"
    );
    // Every series is one the rules and the dashboard know (tests/api/operations.rs).
    for line in exposition.lines() {
        let Some(declared) = line.strip_prefix("# TYPE ") else {
            continue;
        };
        let (name, kind) = declared.split_once(' ').unwrap();
        let known = crate::operations::METRICS
            .iter()
            .find(|metric| metric.name == name)
            .unwrap_or_else(|| panic!("{name} is exported but unknown to deploy/"));
        let expected = match known.kind {
            crate::operations::Kind::Counter => "counter",
            crate::operations::Kind::Gauge => "gauge",
            crate::operations::Kind::Histogram => "histogram",
        };
        assert_eq!(kind, expected, "{name}");
    }
    for line in exposition.lines().filter(|line| !line.starts_with('#')) {
        let Some((series, labels)) = line.split_once('{') else {
            continue;
        };
        let base = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| series.strip_suffix(suffix))
            .filter(|base| {
                crate::operations::METRICS
                    .iter()
                    .any(|metric| metric.name == *base)
            })
            .unwrap_or(series);
        let metric = crate::operations::METRICS
            .iter()
            .find(|metric| metric.name == base)
            .unwrap_or_else(|| panic!("{series} is exported but unknown to deploy/"));
        for pair in labels
            .trim_end_matches(|c: char| c != '}')
            .trim_end_matches('}')
            .split("\",")
        {
            let Some((label, value)) = pair.split_once("=\"") else {
                continue;
            };
            let value = value.trim_end_matches('"');
            if label == "le" {
                continue;
            }
            let (_, values) = metric
                .labels
                .iter()
                .find(|(known, _)| *known == label)
                .unwrap_or_else(|| panic!("{series} has the unknown label {label}"));
            assert!(
                values.is_empty() || values.contains(&value),
                "{series}: {label}={value} is unknown to deploy/"
            );
        }
    }
    assert!(!exposition.contains(&deployment.prepared.key_a));
    let mut promtool = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool is installed (PROMETHEUS_TESTS is set)");
    use std::io::Write;
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(exposition.as_bytes())
        .unwrap();
    let checked = promtool.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
    assert!(
        checked.status.success() && said.trim().is_empty(),
        "promtool check metrics: {said}"
    );
}

struct KillOnDrop<'a>(&'a mut std::process::Child);

impl Drop for KillOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An OTLP/HTTP receiver (JSON encoding) keeping every span it is sent.
struct Collector {
    address: std::net::SocketAddr,
    spans: Arc<Mutex<Vec<Value>>>,
}

impl Collector {
    async fn start() -> Collector {
        let spans: Arc<Mutex<Vec<Value>>> = Arc::default();
        let kept = spans.clone();
        let router = axum::Router::new().route(
            "/v1/traces",
            axum::routing::post(move |body: axum::body::Bytes| {
                let kept = kept.clone();
                async move {
                    let export: Value = serde_json::from_slice(&body).unwrap_or_default();
                    let mut kept = kept.lock().unwrap();
                    for resource in export["resourceSpans"].as_array().into_iter().flatten() {
                        for scope in resource["scopeSpans"].as_array().into_iter().flatten() {
                            kept.extend(scope["spans"].as_array().into_iter().flatten().cloned());
                        }
                    }
                    axum::Json(json!({}))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Collector { address, spans }
    }

    /// The spans of `trace` once `done` holds for them (at most 30 s).
    async fn trace(&self, trace: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let spans: Vec<Value> = self
                .spans
                .lock()
                .unwrap()
                .iter()
                .filter(|span| {
                    span["traceId"]
                        .as_str()
                        .is_some_and(|id| id.eq_ignore_ascii_case(trace))
                })
                .cloned()
                .collect();
            if done(&spans) {
                return spans;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the trace never completed: {spans:#?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn named<'a>(spans: &'a [Value], name: &str) -> Vec<&'a Value> {
    spans.iter().filter(|span| span["name"] == name).collect()
}

#[tokio::test]
async fn traces_continue_the_callers_trace() {
    let collector = Collector::start().await;
    let endpoint = format!("http://{}", collector.address);
    let deployment = Deployment::start(
        Backend::Sqlite,
        "traces",
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("OTEL_SERVICE_NAME", "contrail-under-test"),
        ],
        None,
    )
    .await;
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller = "00f067aa0ba902b7";
    deployment
        .graphql(
            "query Fleet { fleet { totalCount nodes { tailNumber } } }",
            json!({}),
            &[("traceparent", &format!("00-{trace}-{caller}-01"))],
        )
        .await;
    let spans = collector
        .trace(trace, |spans| {
            !named(spans, "POST /graphql").is_empty()
                && !named(spans, "query Fleet").is_empty()
                && spans.iter().any(|span| {
                    span["name"]
                        .as_str()
                        .is_some_and(|name| name.starts_with("sea_orm."))
                })
        })
        .await;
    let request = named(&spans, "POST /graphql")[0];
    assert!(
        request["parentSpanId"]
            .as_str()
            .is_some_and(|id| id.eq_ignore_ascii_case(caller)),
        "the request continues the caller's span: {request:#}"
    );
    let operation = named(&spans, "query Fleet")[0];
    assert_eq!(
        operation["parentSpanId"], request["spanId"],
        "{operation:#}"
    );
    let statements: Vec<&Value> = spans
        .iter()
        .filter(|span| {
            span["name"]
                .as_str()
                .is_some_and(|name| name.starts_with("sea_orm."))
                && span["parentSpanId"] == operation["spanId"]
        })
        .collect();
    assert!(
        !statements.is_empty(),
        "the operation's SQL statements: {spans:#?}"
    );
    // No span per resolved field.
    assert!(
        spans.len() < 12,
        "a handful of spans, not one per field: {spans:#?}"
    );
}

#[tokio::test]
async fn json_logs_name_the_request_and_never_a_secret() {
    let smtp = SmtpSink::start().await;
    let smtp_password = "smtp-pass-5e3c1a";
    let smtp_url = format!("smtp://mailer:{smtp_password}@{}", smtp.address);
    let log_path =
        std::env::temp_dir().join(format!("contrail_secrets_{}.log", std::process::id()));
    let log = std::fs::File::create(&log_path).unwrap();
    let deployment = Deployment::start(
        Backend::Sqlite,
        "secrets",
        &[
            ("RUST_LOG", "debug"),
            ("CONTRAIL_LOG_FORMAT", "json"),
            ("CONTRAIL_SMTP_URL", &smtp_url),
        ],
        Some(&log),
    )
    .await;
    let opened = deployment.pay_a_checkout().await;
    let failing = deployment
        .http
        .post(deployment.server.url("/graphql"))
        .bearer_auth(&deployment.prepared.key_a)
        .header("x-request-id", "customer-report-42")
        .json(&json!({ "query": FAILING }))
        .send()
        .await
        .unwrap();
    assert_eq!(failing.headers()["x-request-id"], "customer-report-42");
    let secrets = [
        ("the API key", deployment.prepared.key_a.clone()),
        (
            "the client secret",
            opened["clientSecret"].as_str().unwrap().to_owned(),
        ),
        (
            "the webhook secret",
            deployment.setting("stripe_webhook_secret").await,
        ),
        (
            "the Stripe key",
            deployment.setting("stripe_double_secret_key").await,
        ),
        ("the SMTP password", smtp_password.to_owned()),
    ];
    // Lines are written as things happen; the last request's line may lag a moment.
    let started = Instant::now();
    let logs = loop {
        let mut logs = String::new();
        std::fs::File::open(&log_path)
            .unwrap()
            .read_to_string(&mut logs)
            .unwrap();
        if logs.contains("customer-report-42") || started.elapsed() > Duration::from_secs(10) {
            break logs;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    drop(deployment);
    let _ = std::fs::remove_file(&log_path);

    assert!(
        logs.lines().count() > 20,
        "a debug log of a checkout: {logs}"
    );
    for (what, secret) in &secrets {
        assert!(!secret.is_empty(), "{what}");
        assert!(!logs.contains(secret.as_str()), "{what} is in the logs");
    }
    let lines: Vec<Value> = logs
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("a JSON line: {line}")))
        .collect();
    assert!(
        lines
            .iter()
            .all(|line| line["timestamp"].is_string() && line["level"].is_string())
    );
    let answered = lines
        .iter()
        .find(|line| {
            line["message"] == "answered"
                && line["spans"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|span| span["request_id"] == "customer-report-42")
        })
        .unwrap_or_else(|| panic!("the request's line: {logs}"));
    let request = &answered["spans"][0];
    assert_eq!(request["http.route"], "/graphql");
    assert_eq!(request["graphql.operation"], "query anonymous");
    assert!(request["organization_id"].is_number(), "{answered}");
    assert_eq!(answered["status"], 200);
    assert!(answered["duration_ms"].is_number());
}
