//! What Contrail's reads cost, against a floor. Three workloads over loopback HTTP:
//!
//! - W1, a page of 100 emissions with their aircraft, its model, their offset and their
//!   provisions (`emissions(first: 100)`);
//! - W2, `estimateEmission` with its offset prices (a write, for comparison);
//! - W3, W1's page after the cursor of the 1,900th emission: paging deep should cost no more.
//!
//! The floor is a minimal server of this bench's own (axum, and sqlx with a pool of its own on
//! the same database) that answers W1 and W2 with one SQL statement each, which checks the key
//! and builds the whole JSON answer: W1's is checked equal to Contrail's before measuring, W2's
//! figures and prices too.
//!
//! Each scenario runs for 1 s of warm-up, then 5 s measured, with 1 client and with 16 (W3
//! with 1), and prints requests per second, p50 and p99 latency, SQL statements per request,
//! and server CPU time and thread context switches per request; then the process's resident
//! memory under load. Contrail runs in this process on a runtime of its own (2 worker threads
//! named `bench-server`) and the load on another (`bench-client`, 2 threads), so that server
//! CPU and switches are those of the server's threads alone (SQLite's connection threads
//! included; PostgreSQL's processes are not), read from /proc/self/task.
//!
//! Then what telemetry costs: two more Contrail instances on the same database, started alike,
//! each on a runtime of its own; the threads of one (`bench-observed`), and only they, carry
//! what an operator turns on in production (the Prometheus recorder, and OTLP traces with one
//! request in ten sampled, sent to a collector that drops them), the other's (`bench-plain`)
//! nothing. W1 and W2 go to one and the other in turn, in many short interleaved rounds
//! (off-on, on-off, ...) so that what drifts over a run (autovacuum, the page cache, the other
//! core's load) weighs on both alike; the table gives the mean of the rounds' changes and its
//! uncertainty (two standard errors).
//!
//! Each database starts fresh and is seeded through the API: 20 aircraft of 4 models, 2,000
//! emissions, 300 provisions of 1 to 3 emissions each (some emissions fully offset, some partly,
//! most not, a few of their provisions cancelled); PostgreSQL is then analyzed.
//!
//! `cargo bench --bench reads` runs on SQLite in a temporary directory;
//! `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench reads`
//! then runs again on a fresh database of that PostgreSQL server (dropped afterwards).

use std::future::{Future, IntoFuture};
use std::num::NonZeroU32;
use std::ops::Range;
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use contrail::app::App;
use contrail::config::{Config, Mode, RateLimits, Security};
use contrail::credits::ledger::{self, NewBatch};
use contrail::units::Grams;
use futures_util::{StreamExt, TryStreamExt, stream};
use metrics_exporter_prometheus::PrometheusRecorder;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use sea_orm::sqlx::postgres::{PgPool, PgPoolOptions};
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::sqlx::{self, AssertSqlSafe};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::runtime::{Handle, Runtime};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

// Shared by the benches; this one runs its server in-process, and the binary only to measure
// its memory.
#[allow(dead_code)]
#[path = "support/server.rs"]
mod server;

use server::{PostgresDatabase, Result, ScratchDirectory, Server};

const WARM_UP: Duration = Duration::from_secs(1);
const MEASURED: Duration = Duration::from_secs(5);
const CLIENTS: [usize; 2] = [1, 16];
/// Rounds of the telemetry comparison, each measuring both instances for a slice.
const TELEMETRY_ROUNDS: usize = 20;
const SLICE_WARM_UP: Duration = Duration::from_millis(250);
const SLICE: Duration = Duration::from_secs(2);

const AIRCRAFT: usize = 20;
const MODELS: [&str; 4] = ["E55P", "C25C", "CL35", "GLF6"];
const EMISSIONS: usize = 2_000;
const PROVISIONS: usize = 300;
/// 2026-01-01T00:00:00Z, the first flight's departure; one flight departs every 2 hours.
const FIRST_DEPARTURE: i64 = 1_767_225_600;
/// Mutations per seeding request: the server's default limit on aliases.
const ALIASES: usize = 50;
const SEEDING_REQUESTS_IN_FLIGHT: usize = 8;

const W1: &str = "emissions page of 100 (W1)";
const W3: &str = "page after the 1,900th (W3)";
const W2: &str = "estimateEmission (W2)";
const FLOOR_W1: &str = "floor: one SQL statement (W1)";
const FLOOR_W2: &str = "floor: one INSERT (W2)";

const PAGE_SIZE: usize = 100;
/// W3 pages from the cursor of this emission (1-based).
const DEEP_CURSOR_AT: usize = 1_900;

/// Requests per second, far above what the bench sends: one address and one key send all
/// the load here, and the rate limits that keep one client from taking an instance are not
/// what is measured.
const UNLIMITED: NonZeroU32 = NonZeroU32::new(1_000_000).unwrap();
/// Provisions stay CONFIRMED: no retirement runs behind a measurement.
const RETIREMENT_DELAY: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// The floor's pools, sized as `contrail::db` sizes Contrail's.
const SQLITE_POOL_SIZE: u32 = 8;
const POSTGRES_POOL_SIZE: u32 = 16;
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Threads whose CPU time is the server's: its runtime's, and SQLite's connection threads
/// (`sqlx-sqlite-worker-N`, cut to 15 bytes by the kernel).
const SERVER_THREADS: &[&str] = &["bench-server", "sqlx-sqlite-wor"];
/// The plain instance's, to which the observed one compares: its runtime's and SQLite's.
const PLAIN_THREADS: &[&str] = &["bench-plain", "sqlx-sqlite-wor"];
/// The observed instance's: its runtime's, SQLite's, and telemetry's own (the span batches'
/// exporter, its HTTP client, the histograms' upkeep).
const OBSERVED_THREADS: &[&str] = &[
    "bench-observed",
    "sqlx-sqlite-wor",
    "OpenTelemetry.T",
    "reqwest-interna",
    "metrics-upkeep",
];
/// `getconf CLK_TCK` on Linux.
const CLOCK_TICKS_PER_SEC: f64 = 100.0;

/// What W1 and W3 select of each emission.
macro_rules! emission_fields {
    () => {
        "id co2Kg netCo2Kg offsetKg offsetStatus departedAt aircraft { tailNumber model { code name fuelBurnKgPerHour } } provisions { id status quantityTonnes }"
    };
}
const PAGE: &str = concat!(
    "query($first: Int!) { emissions(first: $first) { edges { node { ",
    emission_fields!(),
    " } } } }"
);
const DEEP_PAGE: &str = concat!(
    "query($first: Int!, $after: String!) { emissions(first: $first, after: $after) { edges { node { ",
    emission_fields!(),
    " } } } }"
);
const ESTIMATE: &str = "mutation($input: EstimateEmissionInput!) { estimateEmission(input: $input) { estimate { id co2Kg offsetOptions { percentage price { amount currency } } } } }";
const CURSORS: &str = "query($first: Int!, $after: String) { emissions(first: $first, after: $after) { edges { cursor } } }";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("reads bench: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let collector = std::net::TcpListener::bind("127.0.0.1:0")?;
    collector.set_nonblocking(true)?;
    // SAFETY: no other thread runs yet. What an operator would set: traces to a collector, one
    // in ten sampled, and no per-request log lines (they would measure the terminal).
    unsafe {
        std::env::set_var(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://{}", collector.local_addr()?),
        );
        std::env::set_var("OTEL_TRACES_SAMPLER", "traceidratio");
        std::env::set_var("OTEL_TRACES_SAMPLER_ARG", "0.1");
        std::env::set_var("RUST_LOG", "warn");
    }
    let server = runtime("bench-server")?;
    let clients = runtime("bench-client")?;
    let (observation, telemetry) = observation()?;
    {
        let _guard = server.enter();
        let listener = tokio::net::TcpListener::from_std(collector)?;
        let sink = Router::new().route("/v1/traces", post(|| async { StatusCode::OK }));
        server.spawn(axum::serve(listener, sink).into_future());
    }
    let postgres = std::env::var("BENCH_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty());
    let ran = clients.block_on(async {
        bench(server.handle(), &observation, Backend::Sqlite).await?;
        if let Some(admin_url) = postgres {
            bench(server.handle(), &observation, Backend::Postgres(admin_url)).await?;
        }
        Ok(())
    });
    telemetry.shutdown();
    ran
}

/// Two worker threads, named so that the server's are told from the load's.
fn runtime(name: &str) -> Result<Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(name)
        .enable_all()
        .build()?)
}

/// What an operator runs in production, as `contrail::cli` installs it for the whole process:
/// the Prometheus recorder, and the logs and OTLP traces (set up from the environment [`run`]
/// prepared); here for the threads of [`Observation::runtime`] only.
struct Observation {
    dispatch: tracing::Dispatch,
    recorder: &'static PrometheusRecorder,
}

fn observation() -> Result<(Observation, contrail::telemetry::Telemetry)> {
    let recorder = Box::leak(Box::new(contrail::telemetry::metrics::recorder()?));
    let (subscriber, telemetry) =
        contrail::telemetry::subscriber(&contrail::config::TelemetrySettings {
            log_format: contrail::config::LogFormat::Text,
            metrics_listen: None,
        })?;
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let observation = Observation {
        dispatch: tracing::Dispatch::new(subscriber),
        recorder,
    };
    Ok((observation, telemetry))
}

impl Observation {
    /// A server runtime like [`runtime`]'s, whose threads carry the telemetry.
    fn runtime(&self) -> Result<Runtime> {
        let (dispatch, recorder) = (self.dispatch.clone(), self.recorder);
        Ok(tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("bench-observed")
            .on_thread_start(move || {
                // For the thread's whole life: the guards would undo it when dropped.
                std::mem::forget(tracing::dispatcher::set_default(&dispatch));
                std::mem::forget(metrics::set_default_local_recorder(recorder));
            })
            .enable_all()
            .build()?)
    }
}

/// Seeds a fresh database, measures every scenario on it and prints the table.
async fn bench(server: &Handle, observation: &Observation, backend: Backend) -> Result<()> {
    let scratch = backend.scratch().await?;
    let contrail = server.spawn(Contrail::start(scratch.url.clone())).await??;
    let http = reqwest::Client::new();
    let tails = seed(&http, server, &contrail).await?;
    let floor = server
        .spawn(Floor::start(
            scratch.url.clone(),
            contrail.endpoint.key.clone(),
        ))
        .await??;
    check_floor(&http, &contrail.endpoint, &floor.endpoint, &tails).await?;
    let deep_cursor = cursor_at(&http, &contrail.endpoint, DEEP_CURSOR_AT).await?;

    let page = [json!({ "query": PAGE, "variables": { "first": PAGE_SIZE } }).to_string()];
    let deep_page = [json!({
        "query": DEEP_PAGE,
        "variables": { "first": PAGE_SIZE, "after": deep_cursor },
    })
    .to_string()];
    let estimates: Vec<String> = tails
        .iter()
        .enumerate()
        .map(|(i, tail)| estimate_body(tail, 45 + 15 * (i % 8)))
        .collect();

    let (contrail_api, floor_api) = (&contrail.endpoint, &floor.endpoint);
    let scenarios = [
        Scenario::new(W1, contrail_api, &contrail_api.page_url, &page, &CLIENTS),
        Scenario::new(W3, contrail_api, &contrail_api.page_url, &deep_page, &[1]),
        Scenario::new(
            W2,
            contrail_api,
            &contrail_api.estimate_url,
            &estimates,
            &CLIENTS,
        ),
        Scenario::new(FLOOR_W1, floor_api, &floor_api.page_url, &page, &CLIENTS),
        Scenario::new(
            FLOOR_W2,
            floor_api,
            &floor_api.estimate_url,
            &estimates,
            &CLIENTS,
        ),
    ];
    let mut load = Load {
        http,
        peak_rss_mib: 0.0,
    };
    let mut rows = Vec::new();
    for scenario in &scenarios {
        for &clients in scenario.clients {
            // Each on a settled database: what the seeding and the write scenarios left (a
            // long write-ahead log, dirty pages, stale statistics) slowed whichever scenario
            // came next: on SQLite W1 by a tenth after the seeding, the one-INSERT floor by half.
            server.spawn(settle(contrail.db.clone())).await??;
            rows.push(load.measure(scenario, clients).await?);
        }
    }
    // Before a second instance, with telemetry, adds its own.
    let peak_rss_mib = load.peak_rss_mib;
    let server_rss_mib = server_rss_under_load(
        &mut load,
        &scratch.url,
        &contrail.endpoint.key,
        &page,
        &estimates,
    )
    .await?;
    // After the writes of W2 have settled: autovacuum and checkpoints after thousands of
    // inserts take the cores from the server for a while.
    server.spawn(settle(contrail.db.clone())).await??;
    // Runtimes of this database's own: shut down with their instances' background jobs (and
    // pools) before the database goes.
    let (plain_runtime, observed_runtime) = (runtime("bench-plain")?, observation.runtime()?);
    let attach = |runtime: &Runtime, threads| {
        let (url, key) = (scratch.url.clone(), contrail.endpoint.key.clone());
        runtime.spawn(Contrail::attach(url, key, threads))
    };
    let plain = attach(&plain_runtime, PLAIN_THREADS).await??;
    let observed = attach(&observed_runtime, OBSERVED_THREADS).await??;
    let mut comparisons = Vec::new();
    for (workload, bodies) in [("W1", &page[..]), ("W2", &estimates[..])] {
        for &clients in &CLIENTS {
            let mut rounds = Vec::new();
            for round in 0..TELEMETRY_ROUNDS {
                let [first, second] = if round.is_multiple_of(2) {
                    [&plain.endpoint, &observed.endpoint]
                } else {
                    [&observed.endpoint, &plain.endpoint]
                };
                let mut measured = Vec::new();
                for endpoint in [first, second] {
                    let url = match workload {
                        "W1" => &endpoint.page_url,
                        _ => &endpoint.estimate_url,
                    };
                    let scenario =
                        Scenario::new(workload, endpoint, url, bodies, &CLIENTS).sliced();
                    measured.push(load.measure(&scenario, clients).await?);
                }
                let [first, second] = <[Row; 2]>::try_from(measured).map_err(|_| "two rows")?;
                rounds.push(if round.is_multiple_of(2) {
                    (first, second)
                } else {
                    (second, first)
                });
            }
            comparisons.push(Comparison {
                workload,
                clients,
                rounds,
            });
        }
    }
    print_table(&backend, &rows, &comparisons, peak_rss_mib, server_rss_mib);

    observed.stop().await?;
    plain.stop().await?;
    observed_runtime.shutdown_background();
    plain_runtime.shutdown_background();
    floor.stop().await;
    contrail.stop().await?;
    // Only now that neither server holds it.
    drop(scratch);
    Ok(())
}

/// The most resident memory of the server alone, as an operator runs it (the `contrail`
/// binary, on this database) through W1 and then W2 with 16 clients.
async fn server_rss_under_load(
    load: &mut Load,
    database_url: &str,
    key: &Arc<str>,
    page: &[String],
    estimates: &[String],
) -> Result<f64> {
    let process = Server::attach(database_url, key.clone()).await?;
    let endpoint = Endpoint {
        page_url: process.graphql_url(),
        estimate_url: process.graphql_url(),
        key: key.clone(),
        statements: Arc::default(),
        threads: &[],
    };
    let clients = [CLIENTS[CLIENTS.len() - 1]];
    for (name, bodies) in [(W1, page), (W2, estimates)] {
        let scenario = Scenario::new(name, &endpoint, &endpoint.page_url, bodies, &clients);
        load.measure(&scenario, clients[0]).await?;
    }
    process.peak_rss_mib()
}

fn estimate_body(tail: &str, minutes: usize) -> String {
    json!({
        "query": ESTIMATE,
        "variables": { "input": { "tailNumber": tail, "durationMinutes": minutes } },
    })
    .to_string()
}

enum Backend {
    Sqlite,
    /// A PostgreSQL server, by the URL of a database to connect to while creating another.
    Postgres(String),
}

/// A fresh database: a SQLite file in a scratch directory, or a database of its own on the
/// PostgreSQL server; removed when dropped.
struct Scratch {
    url: String,
    _directory: Option<ScratchDirectory>,
    _database: Option<PostgresDatabase>,
}

impl Backend {
    fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres(_) => "PostgreSQL",
        }
    }

    /// Whose CPU time and context switches the table's server figures are.
    fn cpu_counted(&self) -> &'static str {
        match self {
            Backend::Sqlite => "the server's threads, SQLite's in-process work included",
            Backend::Postgres(_) => {
                "the server's threads, not PostgreSQL's processes (where the floor does its work)"
            }
        }
    }

    async fn scratch(&self) -> Result<Scratch> {
        let name = format!(
            "contrail_bench_reads_{}_{}",
            std::process::id(),
            chrono::Utc::now().timestamp_micros()
        );
        Ok(match self {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(name);
                let directory = ScratchDirectory::create(path.clone())?;
                Scratch {
                    url: format!("sqlite://{}/bench.db?mode=rwc", path.display()),
                    _directory: Some(directory),
                    _database: None,
                }
            }
            Backend::Postgres(admin_url) => {
                let database = PostgresDatabase::create(admin_url, &name).await?;
                Scratch {
                    url: database.url.clone(),
                    _directory: None,
                    _database: Some(database),
                }
            }
        })
    }
}

/// A server under test: where W1 and W2 go, the API key to send, and the count of SQL
/// statements it has run.
#[derive(Clone)]
struct Endpoint {
    page_url: String,
    estimate_url: String,
    key: Arc<str>,
    statements: Arc<AtomicU64>,
    /// Whose CPU time is this server's (by thread name prefix).
    threads: &'static [&'static str],
}

/// Contrail in this process, assembled as the API tests assemble it, its rate limits lifted.
struct Contrail {
    endpoint: Endpoint,
    graphql_url: String,
    db: DatabaseConnection,
    shutdown: oneshot::Sender<()>,
    served: JoinHandle<std::io::Result<()>>,
}

impl Contrail {
    /// Runs on the server runtime: the pools, the HTTP server and the jobs all live there.
    async fn start(database_url: String) -> Result<Contrail> {
        let db = contrail::db::connect(&database_url).await?;
        contrail::app::migrate(&db).await?;
        contrail::credits::seed_demo(&db).await?;
        let key = contrail::organizations::create(&db, "Bench Charter")
            .await?
            .secret;
        Contrail::serve(database_url, db, key.into(), SERVER_THREADS).await
    }

    /// Another instance on the database of the first, answering the same `key`, whose CPU
    /// time is that of `threads`.
    async fn attach(
        database_url: String,
        key: Arc<str>,
        threads: &'static [&'static str],
    ) -> Result<Contrail> {
        let db = contrail::db::connect(&database_url).await?;
        Contrail::serve(database_url, db, key, threads).await
    }

    async fn serve(
        database_url: String,
        mut db: DatabaseConnection,
        key: Arc<str>,
        threads: &'static [&'static str],
    ) -> Result<Contrail> {
        let statements = Arc::new(AtomicU64::new(0));
        let counter = statements.clone();
        // Contrail's own callback too: its statement metrics are part of what is measured.
        db.set_metric_callback(move |info| {
            contrail::db::observe_statement(info);
            counter.fetch_add(1, Ordering::Relaxed);
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let listen = listener.local_addr()?;
        let config = Config {
            database_url,
            listen,
            public_url: format!("http://{listen}"),
            // As deployed: no introspection, no suggestions, no Stripe test double.
            mode: Mode::Production,
            fee: Default::default(),
            estimate_validity: Duration::from_secs(24 * 60 * 60),
            retirement_delay: RETIREMENT_DELAY,
            // The defaults admit W1 (complexity 4,000 of 10,000), as a client would send it.
            query_limits: Default::default(),
            http_limits: Default::default(),
            payments: Default::default(),
            mail: Default::default(),
            security: Security {
                rate_limits: RateLimits {
                    per_key: UNLIMITED,
                    per_address: UNLIMITED,
                    ..Default::default()
                },
                ..Default::default()
            },
        };
        let app = App::builder(db.clone(), config).build().await?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        let served = tokio::spawn(contrail::serve(listener, app, async {
            let _ = stopped.await;
        }));
        let graphql_url = format!("http://{listen}/graphql");
        Ok(Contrail {
            endpoint: Endpoint {
                page_url: graphql_url.clone(),
                estimate_url: graphql_url.clone(),
                key,
                statements,
                threads,
            },
            graphql_url,
            db,
            shutdown,
            served,
        })
    }

    /// Sends aliased mutation `fields` as one request; returns their `data`.
    async fn mutate(&self, http: &reqwest::Client, fields: String) -> Result<Value> {
        let body = json!({ "query": format!("mutation {{ {fields} }}") });
        let answer = graphql(http, &self.graphql_url, &self.endpoint.key, &body).await?;
        Ok(answer["data"].clone())
    }

    async fn stop(self) -> Result<()> {
        let _ = self.shutdown.send(());
        self.served.await??;
        Ok(())
    }
}

/// POSTs a GraphQL request and returns the whole answer, which must be a 200 without errors.
async fn graphql(http: &reqwest::Client, url: &str, key: &str, body: &Value) -> Result<Value> {
    let response = http.post(url).bearer_auth(key).json(body).send().await?;
    let status = response.status();
    let answer: Value = response.json().await?;
    if status != reqwest::StatusCode::OK || answer.get("errors").is_some() {
        return Err(format!("{url} answered {status}: {answer}").into());
    }
    Ok(answer)
}

/// Seeds the fleet, its flights and their provisions through the API, many mutations a
/// request; returns the tail numbers.
async fn seed(http: &reqwest::Client, server: &Handle, contrail: &Contrail) -> Result<Vec<String>> {
    let tails: Vec<String> = (0..AIRCRAFT).map(|i| format!("N{}RB", 100 + i)).collect();
    let register = tails
        .iter()
        .enumerate()
        .map(|(i, tail)| register_aircraft(i, tail, MODELS[i % MODELS.len()]))
        .collect();
    contrail.mutate(http, register).await?;

    // Emission `i`: its id and net CO2 in grams.
    let emissions: Vec<(String, i64)> = in_batches(EMISSIONS, |batch| {
        let fields = batch
            .clone()
            .map(|i| record_flight(i, &tails[i % AIRCRAFT]))
            .collect();
        async move {
            let data = contrail.mutate(http, fields).await?;
            batch
                .map(|i| {
                    let emission = &data[format!("e{i}")]["emission"];
                    let id = emission["id"].as_str().ok_or("an emission without an id")?;
                    Ok((id.to_owned(), grams(&emission["netCo2Kg"])?))
                })
                .collect()
        }
    })
    .await?;

    // Rounded up, so that the supply cannot fall a gram short.
    let needed: i64 = (0..PROVISIONS)
        .map(|p| {
            let net: i64 = covered(p).map(|i| emissions[i].1).sum();
            (net * i64::from(percentage(p))).div_euclid(100) + 1
        })
        .sum();
    server
        .spawn(ensure_supply(contrail.db.clone(), Grams::new(needed)))
        .await??;

    let provisions: Vec<String> = in_batches(PROVISIONS, |batch| {
        let fields = batch
            .clone()
            .map(|p| {
                let ids: Vec<&str> = covered(p).map(|i| emissions[i].0.as_str()).collect();
                create_provision(p, &ids)
            })
            .collect();
        async move {
            let data = contrail.mutate(http, fields).await?;
            batch
                .map(|p| {
                    data[format!("p{p}")]["provision"]["id"]
                        .as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| "a provision without an id".into())
                })
                .collect()
        }
    })
    .await?;

    // Every tenth provision cancelled: listed with its emissions, offsetting nothing.
    let cancel = provisions
        .iter()
        .enumerate()
        .filter(|(p, _)| p % 10 == 9)
        .map(|(p, id)| cancel_provision(p, id))
        .collect();
    contrail.mutate(http, cancel).await?;
    Ok(tails)
}

fn register_aircraft(i: usize, tail: &str, model: &str) -> String {
    format!(
        "a{i}: registerAircraft(input: {{ tailNumber: \"{tail}\", modelCode: \"{model}\" }}) {{ aircraft {{ id }} }}\n"
    )
}

/// Flight `i`: 30 minutes to 4 hours, departing 2 hours after flight `i - 1`.
fn record_flight(i: usize, tail: &str) -> String {
    let minutes = 30 + 30 * (i * 7 % 8);
    let departed = FIRST_DEPARTURE + 7_200 * i as i64;
    let departed = chrono::DateTime::from_timestamp(departed, 0)
        .unwrap_or_default()
        .to_rfc3339();
    format!(
        "e{i}: createEmission(input: {{ tailNumber: \"{tail}\", durationMinutes: {minutes}, departedAt: \"{departed}\" }}) {{ emission {{ id netCo2Kg }} }}\n"
    )
}

fn create_provision(p: usize, emission_ids: &[&str]) -> String {
    format!(
        "p{p}: createProvision(input: {{ emissionIds: {ids}, offsetPercentage: {percentage}, beneficiaryName: \"Passenger {p}\" }}) {{ provision {{ id }} }}\n",
        ids = json!(emission_ids),
        percentage = percentage(p),
    )
}

fn cancel_provision(p: usize, id: &str) -> String {
    format!(
        "c{p}: cancelProvision(input: {{ provisionId: \"{id}\" }}) {{ provision {{ status }} }}\n"
    )
}

/// Provision `p`'s offset percentage: fully offsetting or more, or partly.
fn percentage(p: usize) -> u32 {
    [100, 40, 150, 70, 100][p % 5]
}

/// The emissions (by seeding order) provision `p` covers: 1 to 3 consecutive ones, spread
/// over the whole list; every fourth provision starts where the one before it did, so some
/// emissions are covered twice and their offsets add up.
fn covered(p: usize) -> Range<usize> {
    let start = |p: usize| p * EMISSIONS / PROVISIONS;
    let first = if p % 4 == 3 { start(p - 1) } else { start(p) };
    first..first + 1 + p % 3
}

/// Runs `request` for each batch of [`ALIASES`] items of `0..count`, a few at a time; returns
/// their results in order.
async fn in_batches<T, F, Fut>(count: usize, request: F) -> Result<Vec<T>>
where
    F: Fn(Range<usize>) -> Fut,
    Fut: Future<Output = Result<Vec<T>>>,
{
    stream::iter((0..count).step_by(ALIASES))
        .map(|start| request(start..(start + ALIASES).min(count)))
        .buffered(SEEDING_REQUESTS_IN_FLIGHT)
        .try_concat()
        .await
}

/// A mass the API shows in kilograms with 3 decimals, in grams.
fn grams(kg: &Value) -> Result<i64> {
    let kg = kg.as_str().ok_or("a mass that is not a string")?;
    let grams = rust_decimal::Decimal::from_str(kg)? * rust_decimal::Decimal::from(1_000);
    Ok(i64::try_from(grams)?)
}

/// Adds a batch of credits to the default listing if its free supply is short of what the
/// provisions need (the demo supply holds 5,000 t a listing); on the server runtime.
async fn ensure_supply(db: DatabaseConnection, needed: Grams) -> Result<()> {
    let listing = contrail::credits::default_listing(&db)
        .await?
        .ok_or("no default listing")?;
    let free = ledger::available(&db, &[listing.id])
        .await?
        .get(&listing.id)
        .copied()
        .unwrap_or_default();
    if free >= needed {
        return Ok(());
    }
    let txn = contrail::db::begin_write(&db).await?;
    ledger::add_batch(
        &txn,
        NewBatch {
            listing: listing.id,
            serial_prefix: "BENCH-READS".to_owned(),
            vintage: 2025,
            quantity: Grams::new(needed.get() - free.get()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Lets the database finish with what the seeding and the write scenarios left: dead rows
/// vacuumed, statistics fresh (as autovacuum would have them on a live database; without them
/// a fresh database's plans would depend on whether it has run yet), dirty pages written
/// (PostgreSQL), the write-ahead log folded back (SQLite, which keeps statistics only when
/// told to, and Contrail does not tell it).
async fn settle(db: DatabaseConnection) -> Result<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("VACUUM ANALYZE").await?;
        db.execute_unprepared("CHECKPOINT").await?;
    } else {
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await?;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    Ok(())
}

/// The cursor of the `position`-th emission (1-based), paging from the start as a client would.
async fn cursor_at(http: &reqwest::Client, contrail: &Endpoint, position: usize) -> Result<String> {
    let mut after: Option<String> = None;
    let mut seen = 0;
    loop {
        let answer = graphql(
            http,
            &contrail.page_url,
            &contrail.key,
            &json!({ "query": CURSORS, "variables": { "first": PAGE_SIZE, "after": after } }),
        )
        .await?;
        let edges = answer["data"]["emissions"]["edges"]
            .as_array()
            .filter(|edges| !edges.is_empty())
            .ok_or_else(|| format!("fewer than {position} emissions"))?;
        let cursor = |edge: &Value| {
            edge["cursor"]
                .as_str()
                .map(str::to_owned)
                .ok_or("an edge without a cursor")
        };
        if seen + edges.len() >= position {
            return Ok(cursor(&edges[position - seen - 1])?);
        }
        seen += edges.len();
        after = Some(cursor(&edges[edges.len() - 1])?);
    }
}

/// The floor must answer what Contrail answers, or it would not be the floor of the same work:
/// W1's page exactly, W2's figures and prices (the new estimate's id apart).
async fn check_floor(
    http: &reqwest::Client,
    contrail: &Endpoint,
    floor: &Endpoint,
    tails: &[String],
) -> Result<()> {
    let page = json!({ "query": PAGE, "variables": { "first": PAGE_SIZE } });
    let expected = graphql(http, &contrail.page_url, &contrail.key, &page).await?;
    let answered = graphql(http, &floor.page_url, &floor.key, &page).await?;
    let edges = |answer: &Value| answer["data"]["emissions"]["edges"].clone();
    let (expected, answered) = (edges(&expected), edges(&answered));
    if expected != answered {
        let empty = Vec::new();
        let (expected, answered) = (
            expected.as_array().unwrap_or(&empty),
            answered.as_array().unwrap_or(&empty),
        );
        let differs = (0..expected.len().max(answered.len()))
            .find(|&i| expected.get(i) != answered.get(i))
            .unwrap_or_default();
        return Err(format!(
            "the floor's page differs from Contrail's ({} and {} edges), first at edge {differs}:\nContrail: {}\nfloor:    {}",
            expected.len(),
            answered.len(),
            expected.get(differs).unwrap_or(&Value::Null),
            answered.get(differs).unwrap_or(&Value::Null),
        )
        .into());
    }

    let estimate: Value = serde_json::from_str(&estimate_body(&tails[0], 90))?;
    let figures = |mut answer: Value| {
        let mut estimate = answer["data"]["estimateEmission"]["estimate"].take();
        estimate.as_object_mut().map(|fields| fields.remove("id"));
        estimate
    };
    let expected = figures(graphql(http, &contrail.estimate_url, &contrail.key, &estimate).await?);
    let answered = figures(graphql(http, &floor.estimate_url, &floor.key, &estimate).await?);
    if expected != answered {
        return Err(
            format!("the floor's estimate differs from Contrail's:\nContrail: {expected}\nfloor:    {answered}")
                .into(),
        );
    }
    Ok(())
}

/// The floor: an HTTP server as small as answering W1 and W2 allows. Each request is one SQL
/// statement (counted once run, as Contrail's connection counts its own) that checks the key
/// and builds the whole JSON answer.
struct Floor {
    endpoint: Endpoint,
    pool: FloorPool,
    served: JoinHandle<std::io::Result<()>>,
}

#[derive(Clone)]
enum FloorPool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(Clone)]
struct FloorState {
    pool: FloorPool,
    page_sql: Arc<str>,
    estimate_sql: Arc<str>,
    statements: Arc<AtomicU64>,
}

impl Floor {
    /// Runs on the server runtime, as Contrail does.
    async fn start(database_url: String, key: Arc<str>) -> Result<Floor> {
        let (pool, page_sql, estimate_sql) = if database_url.starts_with("sqlite:") {
            // As `contrail::db` connects, so that both wait on SQLite's write lock alike.
            let options = SqliteConnectOptions::from_str(&database_url)?
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true);
            let pool = SqlitePoolOptions::new()
                .max_connections(SQLITE_POOL_SIZE)
                .connect_with(options)
                .await?;
            (FloorPool::Sqlite(pool), sqlite_page(), sqlite_estimate())
        } else {
            let pool = PgPoolOptions::new()
                .max_connections(POSTGRES_POOL_SIZE)
                .connect(&database_url)
                .await?;
            (
                FloorPool::Postgres(pool),
                postgres_page(),
                postgres_estimate(),
            )
        };
        let statements = Arc::new(AtomicU64::new(0));
        let state = FloorState {
            pool: pool.clone(),
            page_sql: page_sql.into(),
            estimate_sql: estimate_sql.into(),
            statements: statements.clone(),
        };
        let router = Router::new()
            .route("/page", post(floor_page))
            .route("/estimate", post(floor_estimate))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let served = tokio::spawn(axum::serve(listener, router).into_future());
        Ok(Floor {
            endpoint: Endpoint {
                page_url: format!("http://{address}/page"),
                estimate_url: format!("http://{address}/estimate"),
                key,
                statements,
                threads: SERVER_THREADS,
            },
            pool,
            served,
        })
    }

    async fn stop(self) {
        self.served.abort();
        match self.pool {
            FloorPool::Sqlite(pool) => pool.close().await,
            FloorPool::Postgres(pool) => pool.close().await,
        }
    }
}

/// The GraphQL request a client sends; the floor reads its variables only.
#[derive(Deserialize)]
struct FloorRequest<V> {
    variables: V,
}

#[derive(Deserialize)]
struct PageVariables {
    first: i64,
}

#[derive(Deserialize)]
struct EstimateVariables {
    input: EstimateInput,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EstimateInput {
    tail_number: String,
    duration_minutes: i32,
}

async fn floor_page(
    State(floor): State<FloorState>,
    headers: HeaderMap,
    Json(request): Json<FloorRequest<PageVariables>>,
) -> Response {
    let Some(key_hash) = key_hash(&headers) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let sql = AssertSqlSafe(floor.page_sql.clone());
    let first = request.variables.first;
    let answer = match &floor.pool {
        FloorPool::Sqlite(pool) => {
            sqlx::query_scalar(sql)
                .bind(key_hash)
                .bind(first)
                .fetch_optional(pool)
                .await
        }
        FloorPool::Postgres(pool) => {
            sqlx::query_scalar(sql)
                .bind(key_hash)
                .bind(first)
                .fetch_optional(pool)
                .await
        }
    };
    floor.statements.fetch_add(1, Ordering::Relaxed);
    json_response(answer)
}

async fn floor_estimate(
    State(floor): State<FloorState>,
    headers: HeaderMap,
    Json(request): Json<FloorRequest<EstimateVariables>>,
) -> Response {
    let Some(key_hash) = key_hash(&headers) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let sql = AssertSqlSafe(floor.estimate_sql.clone());
    let EstimateInput {
        tail_number,
        duration_minutes,
    } = request.variables.input;
    let answer = match &floor.pool {
        FloorPool::Sqlite(pool) => {
            sqlx::query_scalar(sql)
                .bind(key_hash)
                .bind(tail_number)
                .bind(duration_minutes)
                .fetch_optional(pool)
                .await
        }
        FloorPool::Postgres(pool) => {
            sqlx::query_scalar(sql)
                .bind(key_hash)
                .bind(tail_number)
                .bind(duration_minutes)
                .fetch_optional(pool)
                .await
        }
    };
    floor.statements.fetch_add(1, Ordering::Relaxed);
    json_response(answer)
}

/// The bearer key's hash, as `api_keys.key_hash` stores it.
fn key_hash(headers: &HeaderMap) -> Option<String> {
    let key = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?;
    Some(
        Sha256::digest(key.as_bytes())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect(),
    )
}

/// The statement's JSON as the body; no row means the key (or, for W2, the aircraft) is unknown.
fn json_response(answer: Result<Option<String>, sqlx::Error>) -> Response {
    match answer {
        Ok(Some(json)) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

// The floor's SQL. Masses are integer grams, shown in kilograms with 3 decimals and tonnes with
// 6; an emission's offset is the sum, over its CONFIRMED and RETIRED provisions, of the
// provision's quantity × the emission's net CO2 ÷ the net CO2 of all the provision's emissions,
// rounded to the gram once; global IDs are `Type:id` in unpadded base64url; timestamps are RFC
// 3339 in UTC, as async-graphql writes them.

/// Fuel burn as stored (thousandths of a US gallon per hour) to grams per hour, at 0.8 kg/L.
const GRAMS_PER_MILLI_US_GALLON: &str = "3.0283294272";
/// CORSIA's kg of CO2 per kg of fuel, in thousandths: 3.10 for Jet B and avgas, else 3.16.
const EMISSION_FACTOR_MILLI: &str =
    "CASE WHEN a.fuel_type IN ('JET_B', 'AVGAS_100LL') THEN 3100 ELSE 3160 END";
const METHODOLOGY_VERSION: &str = "contrail-2026.2";
/// `estimateEmission`'s default `offsetOptions`.
const OFFSET_OPTIONS: [u32; 3] = [50, 100, 150];
/// Ids up to 9 digits: a longer one would come out null on SQLite.
const MAX_ID_DIGITS: u32 = 9;
const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn postgres_page() -> String {
    let emission_id = postgres_global_id("Emission", "page.id");
    let provision_id = postgres_global_id("Provision", "p.id");
    let kg = |grams: &str| postgres_decimal(grams, 3);
    let (co2, net, offset) = (
        kg("page.co2_grams"),
        kg("page.net_co2_grams"),
        kg("page.offset_grams"),
    );
    let tonnes = postgres_decimal("p.quantity_grams", 6);
    let fuel_burn = postgres_decimal(
        &format!("(m.fuel_burn_milli_us_gal_per_hour * {GRAMS_PER_MILLI_US_GALLON})"),
        3,
    );
    format!(
        r#"WITH org AS (
    SELECT organization_id AS id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL
), page AS MATERIALIZED (
    SELECT listed.*, COALESCE((
        SELECT ROUND(SUM(p.quantity_grams::numeric * listed.net_co2_grams / (
            SELECT SUM(linked.net_co2_grams) FROM provision_emissions pl
            JOIN emissions linked ON linked.id = pl.emission_id WHERE pl.provision_id = p.id
        )))
        FROM provision_emissions pe JOIN provisions p ON p.id = pe.provision_id
        WHERE pe.emission_id = listed.id AND p.status IN ('CONFIRMED', 'RETIRED')
    ), 0)::bigint AS offset_grams
    FROM (
        SELECT e.id, e.aircraft_id, e.co2_grams, e.net_co2_grams, e.departed_at
        FROM emissions e JOIN org ON e.organization_id = org.id
        ORDER BY e.id LIMIT $2
    ) listed
)
SELECT json_build_object('data', json_build_object('emissions', json_build_object('edges', (
    SELECT COALESCE(json_agg(json_build_object('node', json_build_object(
        'id', {emission_id},
        'co2Kg', {co2},
        'netCo2Kg', {net},
        'offsetKg', {offset},
        'offsetStatus', CASE WHEN page.offset_grams = 0 THEN 'NOT_OFFSET'
            WHEN page.offset_grams >= page.net_co2_grams THEN 'OFFSET' ELSE 'PARTIALLY_OFFSET' END,
        'departedAt', to_char(page.departed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
        'aircraft', json_build_object('tailNumber', a.tail_number, 'model', json_build_object(
            'code', m.code, 'name', m.name, 'fuelBurnKgPerHour', {fuel_burn})),
        'provisions', (
            SELECT COALESCE(json_agg(json_build_object(
                'id', {provision_id}, 'status', p.status, 'quantityTonnes', {tonnes}
            ) ORDER BY p.id DESC), '[]')
            FROM provision_emissions pe JOIN provisions p ON p.id = pe.provision_id
            WHERE pe.emission_id = page.id)
    )) ORDER BY page.id), '[]')
    FROM page
    JOIN aircraft a ON a.id = page.aircraft_id
    JOIN aircraft_models m ON m.code = a.model_code
))))::text
FROM org"#
    )
}

fn sqlite_page() -> String {
    let emission_id = sqlite_global_id("Emission", "page.id");
    let provision_id = sqlite_global_id("Provision", "p.id");
    let kg = |grams: &str| sqlite_decimal(grams, 3);
    let (co2, net, offset) = (
        kg("page.co2_grams"),
        kg("page.net_co2_grams"),
        kg("page.offset_grams"),
    );
    let tonnes = sqlite_decimal("p.quantity_grams", 6);
    // Rounded to the gram in integers: SQLite's ROUND works on floating point.
    let fuel_burn = sqlite_decimal(
        "((m.fuel_burn_milli_us_gal_per_hour * 30283294272 + 5000000000) / 10000000000)",
        3,
    );
    // `LIMIT CAST(?2 AS INTEGER)`, not `LIMIT ?2`: SQLite plans with the value of a bare
    // parameter there, and so prepares the statement again whenever it is bound.
    format!(
        r#"WITH org AS (
    SELECT organization_id AS id FROM api_keys WHERE key_hash = ?1 AND revoked_at IS NULL
), page AS MATERIALIZED (
    SELECT listed.*, CAST(ifnull((
        SELECT ROUND(SUM(CAST(p.quantity_grams AS REAL) * listed.net_co2_grams / (
            SELECT SUM(linked.net_co2_grams) FROM provision_emissions pl
            JOIN emissions linked ON linked.id = pl.emission_id WHERE pl.provision_id = p.id
        )))
        FROM provision_emissions pe JOIN provisions p ON p.id = pe.provision_id
        WHERE pe.emission_id = listed.id AND p.status IN ('CONFIRMED', 'RETIRED')
    ), 0) AS INTEGER) AS offset_grams
    FROM (
        SELECT e.id, e.aircraft_id, e.co2_grams, e.net_co2_grams, e.departed_at
        FROM emissions e JOIN org ON e.organization_id = org.id
        ORDER BY e.id LIMIT CAST(?2 AS INTEGER)
    ) listed
)
SELECT json_object('data', json_object('emissions', json_object('edges', json((
    SELECT json_group_array(json_object('node', json_object(
        'id', {emission_id},
        'co2Kg', {co2},
        'netCo2Kg', {net},
        'offsetKg', {offset},
        'offsetStatus', CASE WHEN page.offset_grams = 0 THEN 'NOT_OFFSET'
            WHEN page.offset_grams >= page.net_co2_grams THEN 'OFFSET' ELSE 'PARTIALLY_OFFSET' END,
        'departedAt', strftime('%Y-%m-%dT%H:%M:%S+00:00', page.departed_at),
        'aircraft', json_object('tailNumber', a.tail_number, 'model', json_object(
            'code', m.code, 'name', m.name, 'fuelBurnKgPerHour', {fuel_burn})),
        'provisions', json((
            SELECT json_group_array(json_object(
                'id', {provision_id}, 'status', p.status, 'quantityTonnes', {tonnes}
            ) ORDER BY p.id DESC)
            FROM provision_emissions pe JOIN provisions p ON p.id = pe.provision_id
            WHERE pe.emission_id = page.id))
    )) ORDER BY page.id)
    FROM page
    JOIN aircraft a ON a.id = page.aircraft_id
    JOIN aircraft_models m ON m.code = a.model_code
)))))
FROM org"#
    )
}

/// The estimate's figures as `contrail-2026.2` computes them for a flight without SAF; priced at
/// the default listing without a fee, as the bench runs Contrail.
fn estimate_insert(
    parameters: [&str; 3],
    round: impl Fn(&str) -> String,
    now: &str,
    in_a_day: &str,
) -> String {
    let [key_hash, tail, minutes] = parameters;
    let fuel = round("f.fuel_grams");
    let co2 = round("f.fuel_grams * f.factor / 1000");
    format!(
        r#"WITH flight AS (
    SELECT k.organization_id, a.id AS aircraft_id, a.model_code, a.fuel_type,
        m.fuel_burn_milli_us_gal_per_hour AS fuel_burn, {EMISSION_FACTOR_MILLI} AS factor,
        m.fuel_burn_milli_us_gal_per_hour * {GRAMS_PER_MILLI_US_GALLON} * {minutes} / 60 AS fuel_grams
    FROM api_keys k
    JOIN aircraft a ON a.organization_id = k.organization_id AND a.tail_number = {tail}
        AND a.archived_at IS NULL
    JOIN aircraft_models m ON m.code = a.model_code
    WHERE k.key_hash = {key_hash} AND k.revoked_at IS NULL
)
INSERT INTO emission_estimates (organization_id, aircraft_id, model_code, duration_minutes,
    fuel_type, saf_blend_bps, saf_pathway, methodology_version, fuel_burn_milli_us_gal_per_hour,
    emission_factor_milli, saf_lifecycle_deci_grams, fuel_burned_grams, co2_grams,
    saf_reduction_grams, net_co2_grams, created_at, listing_id, unit_price_minor, currency,
    fee_bps, expires_at)
SELECT f.organization_id, f.aircraft_id, f.model_code, {minutes}, f.fuel_type, 0, NULL,
    '{METHODOLOGY_VERSION}', f.fuel_burn, f.factor, NULL, {fuel}, {co2}, 0, {co2}, {now}, l.id,
    l.unit_price_minor, l.currency, 0, {in_a_day}
FROM flight f
JOIN listings l ON l.id = (SELECT MIN(id) FROM listings WHERE is_default)"#
    )
}

fn postgres_estimate() -> String {
    let insert = estimate_insert(
        ["$1", "$2", "$3::integer"],
        |value| format!("ROUND({value})::bigint"),
        "now()",
        "now() + interval '1 day'",
    );
    let options: Vec<String> = OFFSET_OPTIONS
        .iter()
        .map(|percentage| {
            let price = postgres_decimal(&postgres_price_minor(*percentage), 2);
            format!("json_build_object('percentage', {percentage}, 'price', json_build_object('amount', {price}, 'currency', currency))")
        })
        .collect();
    format!(
        "{insert}\nRETURNING json_build_object('data', json_build_object('estimateEmission', json_build_object('estimate', json_build_object(\
         'id', {id}, 'co2Kg', {co2}, 'offsetOptions', json_build_array({options})))))::text",
        id = postgres_global_id("EmissionEstimate", "id"),
        co2 = postgres_decimal("co2_grams", 3),
        options = options.join(", "),
    )
}

fn sqlite_estimate() -> String {
    let insert = estimate_insert(
        ["?1", "?2", "?3"],
        |value| format!("CAST(ROUND({value}) AS INTEGER)"),
        "strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')",
        "strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', '+1 day')",
    );
    let options: Vec<String> = OFFSET_OPTIONS
        .iter()
        .map(|percentage| {
            let price = sqlite_decimal(&sqlite_price_minor(*percentage), 2);
            format!("json_object('percentage', {percentage}, 'price', json_object('amount', {price}, 'currency', currency))")
        })
        .collect();
    format!(
        "{insert}\nRETURNING json_object('data', json_object('estimateEmission', json_object('estimate', json_object(\
         'id', {id}, 'co2Kg', {co2}, 'offsetOptions', json_array({options})))))",
        id = sqlite_global_id("EmissionEstimate", "id"),
        co2 = sqlite_decimal("co2_grams", 3),
        options = options.join(", "),
    )
}

/// The price in minor units of `percentage` % of the estimate's net CO2: the quantity rounded
/// to the gram, then the price to the minor unit (cents: the demo listings price in US dollars,
/// shown with 2 decimals).
fn postgres_price_minor(percentage: u32) -> String {
    format!(
        "ROUND(ROUND(net_co2_grams * {percentage} / 100.0) * unit_price_minor * (10000 + fee_bps) / 10000000000.0)"
    )
}

fn sqlite_price_minor(percentage: u32) -> String {
    format!(
        "CAST(ROUND(ROUND(net_co2_grams * {percentage} / 100.0) * unit_price_minor * (10000 + fee_bps) / 10000000000.0) AS INTEGER)"
    )
}

/// An integer in units of 10^-`places` as a decimal string, e.g. grams as `"1234.500"` kg.
fn postgres_decimal(units: &str, places: u32) -> String {
    format!("ROUND({units} / {}.0, {places})::text", 10_u64.pow(places))
}

fn sqlite_decimal(units: &str, places: u32) -> String {
    format!(
        "printf('%d.%0{places}d', {units} / {scale}, {units} % {scale})",
        scale = 10_u64.pow(places)
    )
}

fn postgres_global_id(kind: &str, key: &str) -> String {
    format!(
        "translate(rtrim(encode(convert_to('{kind}:' || {key}, 'UTF8'), 'base64'), '='), '+/', '-_')"
    )
}

/// SQLite has no base64: the ID of the integer `key` is spelled out with one branch per number
/// of digits, each byte of `Type:digits` as arithmetic on `key`. The characters that depend on
/// the prefix alone are worked out here rather than in SQL for every ID: SQLite's share of the
/// floor's page is a third less so.
fn sqlite_global_id(kind: &str, key: &str) -> String {
    let branches: String = (1..=MAX_ID_DIGITS)
        .map(|digits| {
            let bytes: Vec<Byte> =
                format!("{kind}:")
                    .bytes()
                    .map(Byte::Known)
                    .chain((0..digits).rev().map(|place| {
                        Byte::Sql(format!("({key} / {} % 10 + 48)", 10_u64.pow(place)))
                    }))
                    .collect();
            // Runs of known characters become one literal, each other one a lookup.
            let mut parts = Vec::new();
            let mut literal = String::new();
            for sextet in bytes.chunks(3).flat_map(sextets) {
                match sextet {
                    Byte::Known(sextet) => literal.push(char::from(BASE64URL[usize::from(sextet)])),
                    Byte::Sql(sextet) => {
                        if !literal.is_empty() {
                            parts.push(format!("'{}'", std::mem::take(&mut literal)));
                        }
                        parts.push(format!(
                            "substr('{}', {sextet} + 1, 1)",
                            BASE64URL.escape_ascii()
                        ));
                    }
                }
            }
            if !literal.is_empty() {
                parts.push(format!("'{literal}'"));
            }
            format!(
                " WHEN {key} < {} THEN {}",
                10_u64.pow(digits),
                parts.join(" || ")
            )
        })
        .collect();
    format!("CASE{branches} END")
}

/// A byte (or a sextet) of an ID being encoded: known, or computed in SQL.
enum Byte {
    Known(u8),
    Sql(String),
}

impl Byte {
    fn sql(&self) -> String {
        match self {
            Byte::Known(byte) => byte.to_string(),
            Byte::Sql(sql) => sql.clone(),
        }
    }
}

/// The base64 sextets of a group of up to 3 bytes: unpadded, n bytes make n + 1.
fn sextets(group: &[Byte]) -> Vec<Byte> {
    let zero = Byte::Known(0);
    let byte = |i: usize| group.get(i).unwrap_or(&zero);
    let (a, b, c) = (byte(0), byte(1), byte(2));
    let mut sextets = vec![
        combine(&zero, 0, 0, a, 2),
        combine(a, 0b11, 4, b, 4),
        combine(b, 0b1111, 2, c, 6),
        combine(c, 0b11_1111, 0, &zero, 0),
    ];
    sextets.truncate(group.len() + 1);
    sextets
}

/// `((high & mask) << left) | (low >> right)`, worked out when both bytes are known. SQLite gives
/// `&`, `|`, `<<` and `>>` one precedence, hence every bracket.
fn combine(high: &Byte, mask: u8, left: u32, low: &Byte, right: u32) -> Byte {
    match (high, low) {
        (Byte::Known(high), Byte::Known(low)) => {
            Byte::Known(((high & mask) << left) | (low >> right))
        }
        _ => Byte::Sql(format!(
            "((({} & {mask}) << {left}) | ({} >> {right}))",
            high.sql(),
            low.sql()
        )),
    }
}

/// One workload against one server: `bodies` POSTed to `url` (each client starts from its own
/// and takes them in turn), with each number of concurrent `clients`.
struct Scenario<'a> {
    name: &'static str,
    endpoint: &'a Endpoint,
    url: &'a str,
    bodies: &'a [String],
    clients: &'a [usize],
    warm_up: Duration,
    measured: Duration,
}

impl<'a> Scenario<'a> {
    /// A slice of the telemetry comparison: both instances are warm already.
    fn sliced(self) -> Self {
        Scenario {
            warm_up: SLICE_WARM_UP,
            measured: SLICE,
            ..self
        }
    }

    fn new(
        name: &'static str,
        endpoint: &'a Endpoint,
        url: &'a str,
        bodies: &'a [String],
        clients: &'a [usize],
    ) -> Self {
        Scenario {
            name,
            endpoint,
            url,
            bodies,
            clients,
            warm_up: WARM_UP,
            measured: MEASURED,
        }
    }
}

/// Drives the scenarios from the client runtime, and keeps the highest resident memory seen.
struct Load {
    http: reqwest::Client,
    peak_rss_mib: f64,
}

/// One scenario's figures.
struct Row {
    scenario: &'static str,
    clients: usize,
    requests_per_sec: f64,
    p50: Duration,
    p99: Duration,
    statements_per_request: f64,
    cpu_ms_per_request: f64,
    switches_per_request: f64,
}

/// One workload's telemetry comparison: each round's figures without telemetry and with it.
struct Comparison {
    workload: &'static str,
    clients: usize,
    rounds: Vec<(Row, Row)>,
}

impl Comparison {
    /// The mean of the rounds' changes of `figure` with telemetry, in %, and two standard errors
    /// of that mean.
    fn change(&self, figure: impl Fn(&Row) -> f64) -> (f64, f64) {
        let changes: Vec<f64> = self
            .rounds
            .iter()
            .map(|(off, on)| (figure(on) / figure(off) - 1.0) * 100.0)
            .collect();
        let count = changes.len() as f64;
        let mean = changes.iter().sum::<f64>() / count;
        let variance = changes
            .iter()
            .map(|change| (change - mean).powi(2))
            .sum::<f64>()
            / (count - 1.0);
        (mean, 2.0 * (variance / count).sqrt())
    }

    /// The median over the rounds of `figure` for the instance `side` picks.
    fn median(&self, side: impl Fn(&(Row, Row)) -> &Row, figure: impl Fn(&Row) -> f64) -> f64 {
        median(&sorted(self.rounds.iter().map(|round| figure(side(round)))))
    }
}

fn sorted(figures: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut figures: Vec<f64> = figures.collect();
    figures.sort_by(f64::total_cmp);
    figures
}

/// The median of `sorted` figures, which are not empty.
fn median(sorted: &[f64]) -> f64 {
    let middle = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    } else {
        sorted[middle]
    }
}

/// When requests count: those completed between `start` and `end`.
#[derive(Clone, Copy)]
struct Window {
    start: Instant,
    end: Instant,
}

impl Load {
    /// `clients` send the scenario's requests back to back, for the warm-up, then the measured
    /// window.
    async fn measure(&mut self, scenario: &Scenario<'_>, clients: usize) -> Result<Row> {
        let started = Instant::now();
        let window = Window {
            start: started + scenario.warm_up,
            end: started + scenario.warm_up + scenario.measured,
        };
        let stop = Arc::new(AtomicBool::new(false));
        let (endpoint, name) = (scenario.endpoint, scenario.name);
        let (url, bodies): (Arc<str>, Arc<[String]>) =
            (scenario.url.into(), scenario.bodies.into());
        let mut running = JoinSet::new();
        for client in 0..clients {
            running.spawn(send_until(
                self.http.clone(),
                url.clone(),
                endpoint.key.clone(),
                bodies.clone(),
                client,
                window,
                stop.clone(),
            ));
        }
        tokio::time::sleep_until(window.start.into()).await;
        let before = server_threads(endpoint.threads)?;
        let statements_before = endpoint.statements();
        tokio::time::sleep_until(window.end.into()).await;
        let after = server_threads(endpoint.threads)?;
        let statements_after = endpoint.statements();
        self.peak_rss_mib = self.peak_rss_mib.max(rss_mib()?);

        let mut latencies = Vec::new();
        let mut failures = Vec::new();
        while let Some(sent) = running.join_next().await {
            match sent? {
                Ok(mut times) => latencies.append(&mut times),
                Err(error) => failures.push(error),
            }
        }
        if let Some(first) = failures.first() {
            return Err(format!(
                "{name} with {clients} clients: {} failed request(s), the first: {first}",
                failures.len()
            )
            .into());
        }
        if latencies.is_empty() {
            return Err(format!("{name}: no request completed in {:?}", scenario.measured).into());
        }
        latencies.sort();
        let requests = latencies.len() as f64;
        Ok(Row {
            scenario: name,
            clients,
            requests_per_sec: requests / scenario.measured.as_secs_f64(),
            p50: percentile(&latencies, 0.50),
            p99: percentile(&latencies, 0.99),
            statements_per_request: (statements_after - statements_before) as f64 / requests,
            cpu_ms_per_request: (after.cpu_ticks - before.cpu_ticks) as f64 * 1_000.0
                / CLOCK_TICKS_PER_SEC
                / requests,
            switches_per_request: (after.switches - before.switches) as f64 / requests,
        })
    }
}

impl Endpoint {
    fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }
}

/// One client: sends a request as soon as the last is answered until the window ends (or
/// another client saw a failure); returns the latencies of the requests completed in the
/// window, or the first failure.
async fn send_until(
    http: reqwest::Client,
    url: Arc<str>,
    key: Arc<str>,
    bodies: Arc<[String]>,
    client: usize,
    window: Window,
    stop: Arc<AtomicBool>,
) -> Result<Vec<Duration>> {
    let mut latencies = Vec::new();
    let mut next = client;
    while Instant::now() < window.end && !stop.load(Ordering::Relaxed) {
        let body = bodies[next % bodies.len()].clone();
        next += 1;
        let sent = Instant::now();
        if let Err(error) = exchange(&http, &url, &key, body).await {
            stop.store(true, Ordering::Relaxed);
            return Err(error);
        }
        let done = Instant::now();
        if window.start <= done && done < window.end {
            latencies.push(done - sent);
        }
    }
    Ok(latencies)
}

/// What a client checks of an answer: data, and no errors (without building the JSON).
#[derive(Deserialize)]
struct Answer {
    data: Option<IgnoredAny>,
    errors: Option<IgnoredAny>,
}

async fn exchange(http: &reqwest::Client, url: &str, key: &str, body: String) -> Result<()> {
    let response = http
        .post(url)
        .bearer_auth(key)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await?;
    let status = response.status();
    let bytes = response.bytes().await?;
    let ok = status == reqwest::StatusCode::OK
        && serde_json::from_slice::<Answer>(&bytes)
            .is_ok_and(|answer| answer.data.is_some() && answer.errors.is_none());
    if !ok {
        let shown = &bytes[..bytes.len().min(500)];
        return Err(format!("{status}: {}", String::from_utf8_lossy(shown)).into());
    }
    Ok(())
}

/// The value below which a share `quantile` of the sorted `times` fall (nearest rank).
fn percentile(times: &[Duration], quantile: f64) -> Duration {
    let rank = (times.len() as f64 * quantile).ceil() as usize;
    times[rank.clamp(1, times.len()) - 1]
}

/// What the threads whose names start with one of `threads` have cost so far.
struct ThreadCost {
    /// CPU time, user and system, in clock ticks.
    cpu_ticks: u64,
    /// Context switches, voluntary and not: each a thread put to sleep or preempted, and
    /// (in a VM above all) among the dearest things a request does.
    switches: u64,
}

fn server_threads(threads: &[&str]) -> Result<ThreadCost> {
    let mut cost = ThreadCost {
        cpu_ticks: 0,
        switches: 0,
    };
    for task in std::fs::read_dir("/proc/self/task")? {
        let task = task?.path();
        // A thread may end between the listing and the reading.
        let (Ok(stat), Ok(status)) = (
            std::fs::read_to_string(task.join("stat")),
            std::fs::read_to_string(task.join("status")),
        ) else {
            continue;
        };
        let (head, rest) = stat
            .rsplit_once(')')
            .ok_or("no command in /proc/self/task/*/stat")?;
        let command = head.split_once('(').map_or("", |(_, command)| command);
        if !threads.iter().any(|prefix| command.starts_with(prefix)) {
            continue;
        }
        // utime and stime are fields 14 and 15 of proc(5): the 12th and 13th after the command.
        let fields: Vec<&str> = rest.split_whitespace().collect();
        for index in [11, 12] {
            cost.cpu_ticks += fields
                .get(index)
                .ok_or("a short /proc/self/task/*/stat")?
                .parse::<u64>()?;
        }
        for line in status.lines() {
            if let Some((name, value)) = line.split_once(':')
                && name.ends_with("ctxt_switches")
            {
                cost.switches += value.trim().parse::<u64>()?;
            }
        }
    }
    Ok(cost)
}

/// This process's resident memory (VmRSS), in MiB: the server, the floor and the clients.
fn rss_mib() -> Result<f64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or("no VmRSS in /proc/self/status")?;
    Ok(kib / 1024.0)
}

fn print_table(
    backend: &Backend,
    rows: &[Row],
    comparisons: &[Comparison],
    peak_rss_mib: f64,
    server_rss_mib: f64,
) {
    println!(
        "reads bench on {}: {EMISSIONS} emissions, {PROVISIONS} provisions, {} s per scenario after {} s of warm-up",
        backend.name(),
        MEASURED.as_secs(),
        WARM_UP.as_secs()
    );
    println!(
        "scenario                         clients    req/s   p50 ms   p99 ms  stmts/req  cpu ms/req  switches/req"
    );
    let millis = |time: Duration| time.as_secs_f64() * 1_000.0;
    for row in rows {
        println!(
            "{:<32} {:>7} {:>8.1} {:>8.2} {:>8.2} {:>10.2} {:>11.2} {:>13.1}",
            row.scenario,
            row.clients,
            row.requests_per_sec,
            millis(row.p50),
            millis(row.p99),
            row.statements_per_request,
            row.cpu_ms_per_request,
            row.switches_per_request,
        );
    }
    for (workload, contrail, floor) in [("W1", W1, FLOOR_W1), ("W2", W2, FLOOR_W2)] {
        let rate = |scenario: &str, clients: usize| {
            rows.iter()
                .find(|row| row.scenario == scenario && row.clients == clients)
                .map_or(f64::NAN, |row| row.requests_per_sec)
        };
        let ratios: Vec<String> = CLIENTS
            .iter()
            .map(|&clients| {
                let ratio = rate(contrail, clients) / rate(floor, clients);
                let unit = if clients == 1 { "client" } else { "clients" };
                format!("{ratio:.2} at {clients} {unit}")
            })
            .collect();
        println!("{workload} ratio Contrail/floor: {}", ratios.join(", "));
    }
    println!(
        "telemetry (metrics, OTLP traces 10 % sampled) against none: {TELEMETRY_ROUNDS} interleaved rounds of {} s on each instance; medians, and the mean change ± 2 standard errors",
        SLICE.as_secs()
    );
    println!(
        "workload  clients  req/s off  req/s on  change            cpu ms off  cpu ms on  change"
    );
    for comparison in comparisons {
        let rate = |row: &Row| row.requests_per_sec;
        let cpu = |row: &Row| row.cpu_ms_per_request;
        let (rate_change, rate_error) = comparison.change(rate);
        let (cpu_change, cpu_error) = comparison.change(cpu);
        println!(
            "{:<8} {:>8} {:>10.1} {:>9.1} {:>+6.1} ± {:.1} % {:>11.2} {:>10.2} {:>+6.1} ± {:.1} %",
            comparison.workload,
            comparison.clients,
            comparison.median(|(off, _)| off, rate),
            comparison.median(|(_, on)| on, rate),
            rate_change,
            rate_error,
            comparison.median(|(off, _)| off, cpu),
            comparison.median(|(_, on)| on, cpu),
            cpu_change,
            cpu_error,
        );
    }
    println!("cpu ms/req, switches/req: {}", backend.cpu_counted());
    println!(
        "RSS under load: the server alone {server_rss_mib:.0} MiB at most (the `contrail` binary \
         on this database, W1 then W2 with 16 clients); this process {peak_rss_mib:.0} MiB (the \
         highest of the scenarios' ends: server, floor and clients)"
    );
    println!();
}
