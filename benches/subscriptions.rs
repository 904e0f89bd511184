//! Subscription delivery on one server instance: N WebSocket clients each follow one of
//! M = N/10 payments with `paymentStatusChanged`, every payment is then paid on the Stripe test
//! double's hosted page, and each client should hear SUCCEEDED/PENDING, then
//! SUCCEEDED/RETIRED, then `complete`. Prints the delivery latency (receipt minus the
//! message's `updatedAt`, both on this machine's clock) and the server's resident memory.
//!
//! `cargo bench --bench subscriptions` runs N = 1,000 and N = 10,000; `-- 1000` picks N. The
//! server runs on SQLite in a temporary directory, or on a fresh database (dropped afterwards)
//! of the PostgreSQL server that `BENCH_DATABASE_URL` names.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::{SinkExt, StreamExt, TryStreamExt, stream};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

// Shared by the benches; each uses part of it (the batch bench reads its CPU time).
#[allow(dead_code)]
#[path = "support/server.rs"]
mod server;

use server::{Result, Server};

const DEFAULT_SUBSCRIBERS: [usize; 2] = [1_000, 10_000];
/// Subscribers following each payment.
const SUBSCRIBERS_PER_PAYMENT: usize = 10;
const CHECKOUTS_IN_FLIGHT: usize = 16;
const CONNECTIONS_IN_FLIGHT: usize = 200;
const PAYMENTS_PER_SECOND: u32 = 200;
const SUBSCRIBE_DEADLINE: Duration = Duration::from_secs(300);
const DELIVERY_DEADLINE: Duration = Duration::from_secs(120);
const PAY_TIMEOUT: Duration = Duration::from_secs(30);
/// Failure messages printed in full; the rest are only counted.
const FAILURES_SHOWN: usize = 5;
const EMAIL: &str = "bench@example.com";
const CREATE_CHECKOUT: &str = "mutation($input: CreateCheckoutInput!) {
    createCheckout(input: $input) { url payment { id } } }";
const FOLLOW: &str = "subscription($id: ID!) {
    paymentStatusChanged(paymentId: $id) { status retirementStatus updatedAt } }";

fn main() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("subscriptions bench: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    let postgres = std::env::var("BENCH_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty());
    for subscribers in subscriber_counts()? {
        measure(subscribers, postgres.as_deref()).await?.print();
    }
    Ok(())
}

/// The counts given on the command line, if any; cargo adds `--bench`, which is not ours.
fn subscriber_counts() -> Result<Vec<usize>> {
    let chosen = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .map(|arg| match arg.parse() {
            Ok(count) if count > 0 => Ok(count),
            _ => Err(format!("not a subscriber count: {arg:?}")),
        })
        .collect::<Result<Vec<usize>, String>>()?;
    Ok(if chosen.is_empty() {
        DEFAULT_SUBSCRIBERS.to_vec()
    } else {
        chosen
    })
}

/// What one run saw.
struct Report {
    subscribers: usize,
    payments: usize,
    database: &'static str,
    checkouts_created: Duration,
    subscribed: usize,
    subscribing: Duration,
    paying: Duration,
    refused_payments: usize,
    tally: Tally,
    rss_idle: f64,
    rss_subscribed: f64,
    rss_after: f64,
}

async fn measure(subscribers: usize, postgres: Option<&str>) -> Result<Report> {
    let payments = (subscribers / SUBSCRIBERS_PER_PAYMENT).max(1);
    let server = Server::start(postgres).await?;
    let api = Api::new(&server)?;

    let started = Instant::now();
    let checkouts = api.create_checkouts(payments).await?;
    let checkouts_created = started.elapsed();
    let rss_idle = server.rss_mib()?;

    let (events, mut received) = mpsc::unbounded_channel();
    let limiter = Arc::new(Semaphore::new(CONNECTIONS_IN_FLIGHT));
    let mut clients = JoinSet::new();
    let started = Instant::now();
    for index in 0..subscribers {
        let payment = checkouts[index % payments].payment_id.clone();
        let (url, key, limiter, events) = (
            server.ws_url(),
            api.key.clone(),
            limiter.clone(),
            events.clone(),
        );
        clients.spawn(async move {
            let socket = {
                let _permit = limiter.acquire().await;
                follow(&url, &key, &payment).await
            };
            match socket {
                Ok(socket) => {
                    let _ = events.send(Event::Subscribed);
                    listen(socket, &events).await;
                }
                Err(error) => {
                    let _ = events.send(Event::Failed(format!("subscribing: {error}")));
                }
            }
        });
    }
    let mut tally = Tally::default();
    let deadline = tokio::time::Instant::now() + SUBSCRIBE_DEADLINE;
    while tally.subscribed + tally.failures < subscribers {
        match tokio::time::timeout_at(deadline, received.recv()).await {
            Ok(Some(event)) => tally.record(event),
            _ => return Err(format!("only {} subscribed in time", tally.subscribed).into()),
        }
    }
    let subscribing = started.elapsed();
    let subscribed = tally.subscribed;
    let rss_subscribed = server.rss_mib()?;

    let payer = tokio::spawn(pay_all(
        api.pages.clone(),
        checkouts.into_iter().map(|checkout| checkout.url).collect(),
    ));
    let deadline = tokio::time::Instant::now() + DELIVERY_DEADLINE;
    while !tally.all_delivered(subscribers) {
        match tokio::time::timeout_at(deadline, received.recv()).await {
            Ok(Some(event)) => tally.record(event),
            _ => break,
        }
    }
    let rss_after = server.rss_mib()?;
    let (paying, refused_payments) = payer.await?;
    Ok(Report {
        subscribers,
        payments,
        database: if postgres.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        checkouts_created,
        subscribed,
        subscribing,
        paying,
        refused_payments,
        tally,
        rss_idle,
        rss_subscribed,
        rss_after,
    })
}

/// What a subscriber tells the bench.
enum Event {
    /// The payment's current state arrived: the subscription is live.
    Subscribed,
    Delivered {
        retired: bool,
        latency_ms: f64,
    },
    Completed,
    Failed(String),
}

#[derive(Default)]
struct Tally {
    subscribed: usize,
    paid_latencies: Vec<f64>,
    retired_latencies: Vec<f64>,
    completed: usize,
    failures: usize,
    failures_shown: Vec<String>,
}

impl Tally {
    fn record(&mut self, event: Event) {
        match event {
            Event::Subscribed => self.subscribed += 1,
            Event::Delivered {
                retired: false,
                latency_ms,
            } => self.paid_latencies.push(latency_ms),
            Event::Delivered {
                retired: true,
                latency_ms,
            } => self.retired_latencies.push(latency_ms),
            Event::Completed => self.completed += 1,
            Event::Failed(message) => {
                self.failures += 1;
                if self.failures_shown.len() < FAILURES_SHOWN {
                    self.failures_shown.push(message);
                }
            }
        }
    }

    fn delivered(&self) -> usize {
        self.paid_latencies.len() + self.retired_latencies.len()
    }

    /// Every subscriber has either completed or failed.
    fn all_delivered(&self, subscribers: usize) -> bool {
        self.completed + self.failures >= subscribers
    }
}

impl Report {
    fn print(mut self) {
        let tally = &mut self.tally;
        println!(
            "\n== {} subscribers on {} payments, one instance, {} ==",
            self.subscribers, self.payments, self.database
        );
        println!(
            "{:<32}{:>8} in {:>7.2} s",
            "payments created",
            self.payments,
            self.checkouts_created.as_secs_f64()
        );
        println!(
            "{:<32}{:>8} in {:>7.2} s",
            "subscribers with first state",
            self.subscribed,
            self.subscribing.as_secs_f64()
        );
        println!(
            "{:<32}{:>8} in {:>7.2} s  ({} refused)",
            "payments paid",
            self.payments - self.refused_payments,
            self.paying.as_secs_f64(),
            self.refused_payments
        );
        println!(
            "{:<32}{:>8} of {:>7}  (missing {})",
            "updates received",
            tally.delivered(),
            2 * self.subscribers,
            2 * self.subscribers - tally.delivered().min(2 * self.subscribers)
        );
        println!(
            "{:<32}{:>8} of {:>7}",
            "subscriptions completed", tally.completed, self.subscribers
        );
        println!("{:<32}{:>8}", "subscriber failures", tally.failures);
        for message in &tally.failures_shown {
            println!("    {message}");
        }
        println!(
            "{:<32}{:>8} {:>9} {:>9} {:>9}",
            "latency (ms)", "count", "p50", "p99", "max"
        );
        let mut all = [tally.paid_latencies.as_slice(), &tally.retired_latencies].concat();
        for (name, latencies) in [
            ("  SUCCEEDED / PENDING", &mut tally.paid_latencies),
            ("  SUCCEEDED / RETIRED", &mut tally.retired_latencies),
            ("  both", &mut all),
        ] {
            latencies.sort_by(f64::total_cmp);
            println!(
                "{name:<32}{:>8} {:>9.1} {:>9.1} {:>9.1}",
                latencies.len(),
                percentile(latencies, 0.50),
                percentile(latencies, 0.99),
                latencies.last().copied().unwrap_or(f64::NAN)
            );
        }
        println!(
            "{:<32}{:>8.1} idle, {:.1} subscribed, {:.1} after the changes",
            "server RSS (MiB)", self.rss_idle, self.rss_subscribed, self.rss_after
        );
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (fraction * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connects, authenticates and subscribes to `payment`; returns once its current state came.
async fn follow(url: &str, key: &str, payment: &str) -> Result<Socket> {
    let mut request = url.into_client_request()?;
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws"
            .parse()
            .expect("a valid header value"),
    );
    // tungstenite zero-fills its whole read buffer (128 KiB by default) on every read: small
    // buffers keep ten thousand clients from competing with the server for memory and CPU.
    let config = WebSocketConfig::default().read_buffer_size(4 * 1024);
    let (mut socket, _) =
        tokio_tungstenite::connect_async_with_config(request, Some(config), true).await?;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {key}") } });
    socket.send(Message::text(init.to_string())).await?;
    let ack = next_message(&mut socket).await?;
    if ack["type"] != "connection_ack" {
        return Err(format!("expected connection_ack, got {ack}").into());
    }
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": FOLLOW, "variables": { "id": payment } } });
    socket.send(Message::text(subscribe.to_string())).await?;
    let first = next_message(&mut socket).await?;
    if first["type"] != "next" || first["payload"]["data"]["paymentStatusChanged"].is_null() {
        return Err(format!("expected the payment's state, got {first}").into());
    }
    Ok(socket)
}

/// The next protocol message; tungstenite answers the server's pings while we read.
async fn next_message(socket: &mut Socket) -> Result<Value> {
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => return Ok(serde_json::from_str(&text)?),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => return Err(format!("expected a message, got {other:?}").into()),
        }
    }
}

/// Reports each update as it arrives. Keeps reading after `complete` (answering pings), so
/// every connection stays open until the bench ends.
async fn listen(mut socket: Socket, events: &mpsc::UnboundedSender<Event>) {
    let mut completed = false;
    while let Some(frame) = socket.next().await {
        let received = Utc::now();
        if completed {
            continue;
        }
        let event = match frame {
            Ok(Message::Text(text)) => match serde_json::from_str::<Value>(&text) {
                Ok(message) => update(&message, received),
                Err(error) => Event::Failed(format!("not JSON ({error}): {text}")),
            },
            Ok(Message::Close(frame)) => {
                Event::Failed(format!("the server closed the connection: {frame:?}"))
            }
            Ok(_) => continue,
            Err(error) => Event::Failed(format!("the connection broke: {error}")),
        };
        completed = matches!(event, Event::Completed);
        let failed = matches!(event, Event::Failed(_));
        let _ = events.send(event);
        if failed {
            return;
        }
    }
    if !completed {
        let _ = events.send(Event::Failed("the connection ended early".to_owned()));
    }
}

/// What a server message means for the bench.
fn update(message: &Value, received: DateTime<Utc>) -> Event {
    let payment = &message["payload"]["data"]["paymentStatusChanged"];
    let state = (
        payment["status"].as_str(),
        payment["retirementStatus"].as_str(),
    );
    let retired = match (message["type"].as_str(), state) {
        (Some("complete"), _) => return Event::Completed,
        (Some("next"), (Some("SUCCEEDED"), Some("PENDING"))) => false,
        (Some("next"), (Some("SUCCEEDED"), Some("RETIRED"))) => true,
        _ => return Event::Failed(format!("unexpected message: {message}")),
    };
    match payment["updatedAt"]
        .as_str()
        .map(DateTime::parse_from_rfc3339)
    {
        Some(Ok(updated_at)) => Event::Delivered {
            retired,
            latency_ms: (received - updated_at.to_utc()).as_seconds_f64() * 1_000.0,
        },
        _ => Event::Failed(format!("no valid updatedAt in {message}")),
    }
}

/// Presses Pay on each hosted checkout page, paced; how long until every request was
/// answered, and how many were refused.
async fn pay_all(pages: reqwest::Client, urls: Vec<String>) -> (Duration, usize) {
    let started = Instant::now();
    let mut pacing = tokio::time::interval(Duration::from_secs(1) / PAYMENTS_PER_SECOND);
    let mut requests = JoinSet::new();
    for url in urls {
        pacing.tick().await;
        let request = pages
            .post(format!("{url}/pay"))
            .form(&[("email", EMAIL)])
            .send();
        requests.spawn(request);
    }
    let mut refused = 0;
    while let Some(outcome) = requests.join_next().await {
        let problem = match outcome {
            Ok(Ok(response)) if response.status() == reqwest::StatusCode::SEE_OTHER => continue,
            Ok(Ok(response)) => format!("answered {}", response.status()),
            Ok(Err(error)) => error.to_string(),
            Err(error) => error.to_string(),
        };
        refused += 1;
        eprintln!("paying failed: {problem}");
    }
    (started.elapsed(), refused)
}

/// The GraphQL API as the demo organization, and the hosted pages as a browser.
struct Api {
    http: reqwest::Client,
    /// Redirects not followed: paying answers 303 to the merchant's (fictional) page.
    pages: reqwest::Client,
    graphql_url: String,
    key: Arc<str>,
}

struct Checkout {
    url: String,
    payment_id: String,
}

impl Api {
    fn new(server: &Server) -> Result<Api> {
        Ok(Api {
            http: reqwest::Client::new(),
            pages: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(PAY_TIMEOUT)
                .build()?,
            graphql_url: server.graphql_url(),
            key: server.key.clone(),
        })
    }

    /// The `data` of a request that must succeed.
    async fn graphql(&self, query: &str, variables: Value) -> Result<Value> {
        let response: Value = self
            .http
            .post(&self.graphql_url)
            .bearer_auth(&*self.key)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await?
            .json()
            .await?;
        match response.get("errors") {
            Some(errors) => Err(format!("GraphQL errors: {errors}").into()),
            None => Ok(response["data"].clone()),
        }
    }

    async fn create_checkouts(&self, count: usize) -> Result<Vec<Checkout>> {
        let listings = self
            .graphql("{ listings { id isDefault } }", json!({}))
            .await?;
        let listing = listings["listings"]
            .as_array()
            .and_then(|listings| listings.iter().find(|listing| listing["isDefault"] == true))
            .ok_or("no default listing")?["id"]
            .clone();
        let input = json!({
            "assetPriceSourceId": listing, "quantityTonnes": "0.01",
            "metadata": { "beneficiaryName": "Bench" },
            "successUrl": "https://shop.example/paid", "cancelUrl": "https://shop.example/cart",
            "customerEmail": EMAIL,
        });
        stream::iter(0..count)
            .map(|_| self.create_checkout(&input))
            .buffer_unordered(CHECKOUTS_IN_FLIGHT)
            .try_collect()
            .await
    }

    async fn create_checkout(&self, input: &Value) -> Result<Checkout> {
        let data = self
            .graphql(CREATE_CHECKOUT, json!({ "input": input }))
            .await?;
        let checkout = &data["createCheckout"];
        match (checkout["url"].as_str(), checkout["payment"]["id"].as_str()) {
            (Some(url), Some(id)) => Ok(Checkout {
                url: url.to_owned(),
                payment_id: id.to_owned(),
            }),
            _ => Err(format!("unexpected createCheckout answer: {data}").into()),
        }
    }
}
