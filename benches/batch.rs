//! What a batch of ten operations costs against the same ten sent one by one: one POST of a
//! JSON array, ten POSTs in a row, and ten POSTs at once (as a page's components would send
//! them without batching). Prints, per round of ten operations, the client's wall time (mean,
//! p50, p99) and the server's CPU time, on one fleet of ten aircraft.
//!
//! `cargo bench --bench batch` runs on SQLite in a temporary directory, or on a fresh database
//! of the PostgreSQL server that `BENCH_DATABASE_URL` names.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

// Shared by the benches; each uses part of it (the subscriptions bench reads its memory and WebSocket address).
#[allow(dead_code)]
#[path = "support/server.rs"]
mod server;

use server::{Result, Server};

const OPERATIONS: usize = 10;
const WARM_UP_ROUNDS: usize = 20;
const ROUNDS: usize = 300;
const QUERY: &str = "query($first: Int!) { fleet(first: $first) { totalCount edges { node { id tailNumber model { code name } } } } }";
const REGISTER: &str = "mutation($tail: String!) { registerAircraft(input: { tailNumber: $tail, modelCode: \"E55P\" }) { aircraft { id } } }";

fn main() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("batch bench: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    let postgres = std::env::var("BENCH_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty());
    let server = Server::start(postgres.as_deref()).await?;
    let client = Client {
        http: reqwest::Client::new(),
        url: server.graphql_url(),
        key: server.key.to_string(),
    };
    for i in 1..=OPERATIONS {
        client
            .post(&json!({ "query": REGISTER, "variables": { "tail": format!("N{i}BQ") } }))
            .await?;
    }
    let operations: Vec<Value> = (1..=OPERATIONS)
        .map(|first| json!({ "query": QUERY, "variables": { "first": first } }))
        .collect();
    println!(
        "batch bench on {}: {ROUNDS} rounds of {OPERATIONS} fleet queries each",
        if postgres.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    for way in [Way::Batched, Way::OneByOne, Way::AllAtOnce] {
        for _ in 0..WARM_UP_ROUNDS {
            way.round(&client, &operations).await?;
        }
        let cpu_before = server.cpu_secs()?;
        let mut times = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let started = Instant::now();
            way.round(&client, &operations).await?;
            times.push(started.elapsed());
        }
        let cpu = server.cpu_secs()? - cpu_before;
        times.sort();
        let mean = times.iter().sum::<Duration>() / ROUNDS as u32;
        println!(
            "{:<34} wall per round: mean {:>7.2} ms, p50 {:>7.2} ms, p99 {:>7.2} ms; server CPU per round {:>6.2} ms",
            way.name(),
            millis(mean),
            millis(times[ROUNDS / 2]),
            millis(times[ROUNDS * 99 / 100]),
            cpu * 1_000.0 / ROUNDS as f64,
        );
    }
    Ok(())
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000.0
}

struct Client {
    http: reqwest::Client,
    url: String,
    key: String,
}

impl Client {
    async fn post(&self, body: &Value) -> Result<Value> {
        let response = self
            .http
            .post(&self.url)
            .bearer_auth(&self.key)
            .json(body)
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await?;
        if !status.is_success() || body.get("errors").is_some() {
            return Err(format!("{status}: {body}").into());
        }
        Ok(body)
    }
}

#[derive(Clone, Copy)]
enum Way {
    Batched,
    OneByOne,
    AllAtOnce,
}

impl Way {
    fn name(self) -> &'static str {
        match self {
            Way::Batched => "one batch of 10 (one POST)",
            Way::OneByOne => "10 single POSTs, one after another",
            Way::AllAtOnce => "10 single POSTs, all at once",
        }
    }

    async fn round(self, client: &Client, operations: &[Value]) -> Result<()> {
        match self {
            Way::Batched => {
                let answers = client.post(&Value::Array(operations.to_vec())).await?;
                let ok = answers.as_array().is_some_and(|answers| {
                    answers.len() == operations.len()
                        && answers.iter().all(|answer| answer.get("errors").is_none())
                });
                if !ok {
                    return Err(format!("a batch answered {answers}").into());
                }
            }
            Way::OneByOne => {
                for operation in operations {
                    client.post(operation).await?;
                }
            }
            Way::AllAtOnce => {
                let answers =
                    futures_util::future::join_all(operations.iter().map(|op| client.post(op)))
                        .await;
                for answer in answers {
                    answer?;
                }
            }
        }
        Ok(())
    }
}
