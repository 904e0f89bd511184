//! When an instance dies or is stopped: its claims lapse and another instance takes them over,
//! shutdown drains requests and says goodbye to WebSockets, and clients that retry with their
//! references on another instance never double anything.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use contrail::provisions::entity::provision;
use futures_util::{SinkExt, StreamExt};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::helpers::{Backend, Options, PreparedDatabase, TestApp, error_code};
use crate::on_both_databases;
use crate::process::{Server, free_port};
use crate::provisions::provision as create_provision;

on_both_databases!(options = retirement_in_an_hour; a_lapsed_claim_is_taken_over_and_a_live_one_is_not);

fn retirement_in_an_hour() -> Options {
    Options {
        retirement_delay: Duration::from_secs(3600),
        ..Options::default()
    }
}

const STATUS: &str = "query($id: ID!) { provision(id: $id) { status certificate { status } } }";

async fn a_lapsed_claim_is_taken_over_and_a_live_one_is_not(app: TestApp) {
    let dead = create_provision(
        &app,
        json!({ "quantityTonnes": "1", "beneficiaryName": "Dead" }),
    )
    .await["provision"]["id"]
        .clone();
    let live = create_provision(
        &app,
        json!({ "quantityTonnes": "1", "beneficiaryName": "Live" }),
    )
    .await["provision"]["id"]
        .clone();
    // Both due now; "Dead" was claimed by an instance that stopped renewing its lease a moment
    // too long ago, "Live" by one still renewing it.
    let now = Utc::now();
    let lease = chrono::Duration::from_std(contrail::jobs::LEASE).unwrap();
    for (name, claimed_at) in [
        ("Dead", now - lease - chrono::Duration::seconds(1)),
        ("Live", now - chrono::Duration::seconds(1)),
    ] {
        provision::Entity::update_many()
            .col_expr(provision::Column::RetireAfter, Expr::value(now))
            .col_expr(
                provision::Column::RetirementClaimedAt,
                Expr::value(claimed_at),
            )
            .filter(provision::Column::BeneficiaryName.eq(name))
            .exec(&app.db)
            .await
            .unwrap();
    }
    app.app.retirements.wake();
    let mut status = Value::Null;
    for _ in 0..100 {
        status = app.ok(STATUS, json!({ "id": dead })).await["provision"].clone();
        if status["status"] == "RETIRED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        status,
        json!({ "status": "RETIRED", "certificate": { "status": "ISSUED" } }),
        "the lapsed claim was taken over"
    );
    let live_status = app.ok(STATUS, json!({ "id": live })).await["provision"].clone();
    assert_eq!(
        live_status["status"], "CONFIRMED",
        "a live claim is left alone"
    );
    // Its retirement is under way elsewhere: too late to cancel.
    let cancel = app
        .graphql(
            "mutation($id: ID!) { cancelProvision(input: { provisionId: $id }) { provision { status } } }",
            json!({ "id": live }),
        )
        .await;
    assert_eq!(error_code(&cancel).0, "CONFLICT", "{cancel}");
}

/// Two instances of the real binary on one database.
struct Pair {
    _prepared: PreparedDatabase,
    key: String,
    db: DatabaseConnection,
    dir: std::path::PathBuf,
    env: Vec<(&'static str, String)>,
    servers: [Option<Server>; 2],
    ports: [u16; 2],
}

impl Pair {
    /// Retirements fall due `retirement_delay` seconds after confirmation.
    async fn start(backend: Backend, name: &str, retirement_delay: u32) -> Pair {
        let prepared = PreparedDatabase::create(backend).await;
        let dir = std::env::temp_dir().join(format!("contrail_{name}_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let env = vec![
            ("CONTRAIL_DATABASE_URL", prepared.database.url().to_owned()),
            (
                "CONTRAIL_RETIREMENT_DELAY_SECS",
                retirement_delay.to_string(),
            ),
            ("CONTRAIL_SHUTDOWN_GRACE_SECS", "10".to_owned()),
            // One address for both, as behind a load balancer: a checkout retried on the other
            // instance must send Stripe the same request (same redirect links) under its
            // idempotency key, or Stripe refuses it.
            (
                "CONTRAIL_PUBLIC_URL",
                "https://offsets.example.com".to_owned(),
            ),
            // Eight clients on one address with one key, and their retries.
            ("CONTRAIL_RATE_LIMIT_PER_KEY", "100000".to_owned()),
            ("CONTRAIL_RATE_LIMIT_PER_ADDRESS", "100000".to_owned()),
        ];
        let mut pair = Pair {
            key: prepared.key_a.clone(),
            db: prepared.db.clone(),
            _prepared: prepared,
            dir,
            env,
            servers: [None, None],
            ports: [free_port(), free_port()],
        };
        pair.restart(0).await;
        pair.restart(1).await;
        let register = json!({ "query": "mutation { registerAircraft(input: { tailNumber: \"N77FX\", modelCode: \"E55P\" }) { aircraft { id } } }" });
        pair.client(Client::new(), 0).send(&register).await;
        pair
    }

    async fn restart(&mut self, index: usize) {
        let env: Vec<(&str, &str)> = self.env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let server = Server::start(&self.dir, self.ports[index], &env);
        server.ready().await;
        self.servers[index] = Some(server);
    }

    fn client(&self, http: Client, first: usize) -> Clerk {
        Clerk {
            http,
            key: self.key.clone(),
            ports: self.ports,
            next: first,
            retries: Arc::default(),
        }
    }

    async fn count(&self, sql: &str) -> i64 {
        count(&self.db, sql).await
    }

    /// The ledger: no gram in two places, none lost.
    async fn assert_ledger_balanced(&self) {
        const PIECES: &str = "WITH pieces AS (
            SELECT batch_id, start_gram, end_gram FROM credit_free_ranges
            UNION ALL
            SELECT batch_id, start_gram, end_gram FROM allocations WHERE released_at IS NULL)";
        let unbalanced = self
            .count(&format!(
                "{PIECES} SELECT COUNT(*) FROM credit_batches b WHERE b.quantity_grams <>
                 (SELECT COALESCE(SUM(end_gram - start_gram), 0) FROM pieces p WHERE p.batch_id = b.id)"
            ))
            .await;
        assert_eq!(unbalanced, 0, "every batch balanced");
        let overlapping = self
            .count(&format!(
                "{PIECES}, numbered AS (SELECT *, ROW_NUMBER() OVER () AS n FROM pieces)
                 SELECT COUNT(*) FROM numbered a JOIN numbered b ON a.batch_id = b.batch_id
                 AND a.n < b.n AND a.start_gram < b.end_gram AND b.start_gram < a.end_gram"
            ))
            .await;
        assert_eq!(overlapping, 0, "no gram allocated twice");
    }
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let statement = sea_orm::Statement::from_string(db.get_database_backend(), sql);
    let row = db.query_one_raw(statement).await.unwrap().unwrap();
    row.try_get_by_index(0).unwrap()
}

type Client = reqwest::Client;

/// A client of both instances, as behind a load balancer: it alternates between them and
/// retries a request that got no answer on the other one.
struct Clerk {
    http: Client,
    key: String,
    ports: [u16; 2],
    next: usize,
    retries: Arc<AtomicUsize>,
}

impl Clerk {
    /// Sends `body` until an instance answers; returns `data`. A GraphQL error fails the test.
    async fn send(&mut self, body: &Value) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let port = self.ports[self.next];
            self.next = 1 - self.next;
            let sent = self
                .http
                .post(format!("http://127.0.0.1:{port}/graphql"))
                .bearer_auth(&self.key)
                .json(body)
                .send()
                .await;
            let answer = match sent {
                Ok(response) => response.json::<Value>().await,
                Err(error) => Err(error),
            };
            match answer {
                Ok(answer) => {
                    assert!(answer.get("errors").is_none(), "{body} answered {answer}");
                    return answer["data"].clone();
                }
                Err(error) => {
                    assert!(Instant::now() < deadline, "no instance answers: {error}");
                    self.retries.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    }
}

const EMISSION: &str =
    "mutation($input: CreateEmissionInput!) { createEmission(input: $input) { emission { id } } }";
const PROVISION: &str = "mutation($input: CreateProvisionInput!) { createProvision(input: $input) { provision { id } } }";
const CHECKOUT: &str =
    "mutation($input: CreateCheckoutInput!) { createCheckout(input: $input) { payment { id } } }";

/// What one client had acknowledged: reference → id.
#[derive(Default)]
struct Acknowledged {
    emissions: HashMap<String, String>,
    provisions: HashMap<String, String>,
    checkouts: HashMap<String, String>,
}

/// Records flights, offsets them and opens checkouts until `until`, each with a reference.
async fn work(mut clerk: Clerk, client: usize, listing: String, until: Instant) -> Acknowledged {
    let mut acked = Acknowledged::default();
    let mut turn = 0;
    while Instant::now() < until {
        turn += 1;
        let reference = format!("C{client}-{turn}");
        let emission = json!({ "tailNumber": "N77FX", "durationMinutes": 60 + turn % 60,
            "departedAt": "2026-11-02T08:30:00Z", "externalReference": format!("{reference}-E") });
        let data = clerk
            .send(&json!({ "query": EMISSION, "variables": { "input": emission } }))
            .await;
        let emission_id = data["createEmission"]["emission"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        acked
            .emissions
            .insert(format!("{reference}-E"), emission_id.clone());
        let provision = json!({ "emissionIds": [emission_id], "offsetPercentage": 10,
            "beneficiaryName": format!("Client {client}"), "externalReference": format!("{reference}-P") });
        let data = clerk
            .send(&json!({ "query": PROVISION, "variables": { "input": provision } }))
            .await;
        let id = data["createProvision"]["provision"]["id"].as_str().unwrap();
        acked
            .provisions
            .insert(format!("{reference}-P"), id.to_owned());
        if turn % 4 == 0 {
            let checkout = json!({ "assetPriceSourceId": listing, "quantityTonnes": "0.5",
                "metadata": { "beneficiaryName": "Jane Doe" },
                "successUrl": "https://shop.example/paid", "cancelUrl": "https://shop.example/cart",
                "customerEmail": "jane@example.com", "externalReference": format!("{reference}-K") });
            let data = clerk
                .send(&json!({ "query": CHECKOUT, "variables": { "input": checkout } }))
                .await;
            let id = data["createCheckout"]["payment"]["id"].as_str().unwrap();
            acked
                .checkouts
                .insert(format!("{reference}-K"), id.to_owned());
        }
    }
    acked
}

async fn default_listing(clerk: &mut Clerk) -> String {
    let data = clerk
        .send(&json!({ "query": "{ listings { id isDefault } }" }))
        .await;
    data["listings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|listing| listing["isDefault"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Two instances, eight clients for 16 s; one instance is killed with SIGKILL after 4 s, in the
/// middle of a backlog of retirements, and restarted at 10 s. Everything acknowledged exists
/// exactly once, the ledger balances, and the retirements the dead instance had claimed are
/// taken over.
#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "PostgreSQL skipped: TEST_DATABASE_URL is not set"
)]
async fn a_killed_instance_loses_and_doubles_nothing() {
    let mut pair = Pair::start(Backend::Postgres, "kill", 3600).await;
    let listing = default_listing(&mut pair.client(Client::new(), 0)).await;
    let started = Instant::now();
    let until = started + Duration::from_secs(16);
    let retries = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..8)
        .map(|client| {
            let mut clerk = pair.client(Client::new(), client % 2);
            clerk.retries = retries.clone();
            tokio::spawn(work(clerk, client, listing.clone(), until))
        })
        .collect();
    // A backlog of retirements falls due at once (as when a registry outage ends): both
    // instances work through it, a batch of claims at a time, when the kill comes.
    tokio::time::sleep_until((started + Duration::from_secs(4)).into()).await;
    pair.db
        .execute_unprepared("UPDATE provisions SET retire_after = NOW() WHERE status = 'CONFIRMED'")
        .await
        .unwrap();
    // The kill comes once the instances are into the backlog (a busy machine may take a while
    // to start), with time for both to hold claims.
    let claimed = "SELECT COUNT(*) FROM provisions WHERE status = 'CONFIRMED' \
                   AND retirement_claimed_at IS NOT NULL";
    while count(&pair.db, claimed).await == 0 && started.elapsed() < Duration::from_secs(8) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    pair.servers[0].take().unwrap().kill();
    let killed_at = Utc::now();
    let killed = Instant::now();
    // Claims made before the kill and not renewed since (renewal is every 5 s; one second after
    // the kill, live instances have finished or renewed theirs): the dead instance's.
    let orphaned_sql = format!(
        "SELECT COUNT(*) FROM provisions WHERE status = 'CONFIRMED'
         AND retirement_claimed_at < '{}'",
        killed_at.to_rfc3339()
    );
    let db = pair.db.clone();
    let takeover = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let orphaned = count(&db, &orphaned_sql).await;
        while count(&db, &orphaned_sql).await > 0 {
            assert!(
                killed.elapsed() < Duration::from_secs(60),
                "claims of the dead instance still unfinished 60 s after the kill"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        (orphaned, killed.elapsed())
    });
    tokio::time::sleep_until((started + Duration::from_secs(10)).into()).await;
    pair.restart(0).await;

    let mut acked = Acknowledged::default();
    for client in clients {
        let done = client.await.expect("a client ran to the end");
        acked.emissions.extend(done.emissions);
        acked.provisions.extend(done.provisions);
        acked.checkouts.extend(done.checkouts);
    }
    let (orphaned, taken_over) = takeover
        .await
        .expect("the dead instance's claims were taken over");
    let unretired = format!(
        "SELECT COUNT(*) FROM provisions WHERE status = 'CONFIRMED' AND retire_after <= '{}'",
        killed_at.to_rfc3339()
    );
    while pair.count(&unretired).await > 0 && killed.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "kill test: {} emissions, {} provisions, {} checkouts acknowledged; {} requests retried on \
         the other instance; {orphaned} retirements claimed by the killed instance, taken over \
         {:.1} s after the kill",
        acked.emissions.len(),
        acked.provisions.len(),
        acked.checkouts.len(),
        retries.load(Ordering::SeqCst),
        taken_over.as_secs_f64()
    );
    assert!(orphaned > 0, "the kill left claimed work behind");
    assert!(acked.emissions.len() > 50, "the load ran");
    assert_eq!(
        pair.count("SELECT COUNT(*) FROM emissions").await,
        acked.emissions.len() as i64,
        "every acknowledged emission exactly once, nothing else"
    );
    assert_eq!(
        pair.count("SELECT COUNT(*) FROM provisions").await,
        (acked.provisions.len() + acked.checkouts.len()) as i64,
        "every acknowledged provision (and checkout's provision) exactly once"
    );
    assert_eq!(
        pair.count("SELECT COUNT(*) FROM payments").await,
        acked.checkouts.len() as i64,
        "every acknowledged checkout exactly once"
    );
    assert_eq!(
        pair.count("SELECT COUNT(*) FROM (SELECT emission_id FROM provision_emissions GROUP BY emission_id HAVING COUNT(*) > 1) doubled")
            .await,
        0,
        "no flight offset twice"
    );
    assert_eq!(
        pair.count(&unretired).await,
        0,
        "nothing claimed stays unfinished 60 s after the kill"
    );
    pair.assert_ledger_balanced().await;
    let _ = std::fs::remove_dir_all(&pair.dir);
}

#[tokio::test]
async fn sigterm_under_load_fails_no_request_sqlite() {
    sigterm_under_load_fails_no_request(Backend::Sqlite).await;
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "PostgreSQL skipped: TEST_DATABASE_URL is not set"
)]
async fn sigterm_under_load_fails_no_request_postgres() {
    sigterm_under_load_fails_no_request(Backend::Postgres).await;
}

/// SIGTERM to one of two instances under load: every request sent to it is answered (a client
/// whose connection is refused goes to the other), its WebSockets are closed with 1001, and it
/// exits 0.
async fn sigterm_under_load_fails_no_request(backend: Backend) {
    let mut pair = Pair::start(backend, &format!("term_{backend:?}"), 1).await;
    let listing = default_listing(&mut pair.client(Client::new(), 0)).await;
    let mut socket = open_socket(pair.ports[0], &pair.key).await;
    let started = Instant::now();
    let until = started + Duration::from_secs(6);
    let failures = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..6)
        .map(|client| {
            // A fresh connection per request: a refused connection is one never sent.
            let http = Client::builder().pool_max_idle_per_host(0).build().unwrap();
            let (key, ports, listing) = (pair.key.clone(), pair.ports, listing.clone());
            let (failures, answered) = (failures.clone(), answered.clone());
            tokio::spawn(async move {
                let mut next = client % 2;
                let mut turn = 0;
                while Instant::now() < until {
                    turn += 1;
                    let body = json!({ "query": CHECKOUT, "variables": { "input": {
                        "assetPriceSourceId": listing, "quantityTonnes": "0.1",
                        "metadata": { "beneficiaryName": "Jane Doe" },
                        "successUrl": "https://shop.example/paid", "cancelUrl": "https://shop.example/cart",
                        "customerEmail": "jane@example.com", "externalReference": format!("T{client}-{turn}") } } });
                    let port = ports[next];
                    next = 1 - next;
                    let sent = http
                        .post(format!("http://127.0.0.1:{port}/graphql"))
                        .bearer_auth(&key)
                        .json(&body)
                        .send()
                        .await;
                    match sent {
                        Err(error) if error.is_connect() => continue,
                        Err(error) => {
                            eprintln!("request to {port} failed: {error}");
                            failures.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(response) => match response.json::<Value>().await {
                            Ok(body) if body.get("errors").is_none() => {
                                answered.fetch_add(1, Ordering::SeqCst);
                            }
                            outcome => {
                                eprintln!("request to {port} answered {outcome:?}");
                                failures.fetch_add(1, Ordering::SeqCst);
                            }
                        },
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep_until((started + Duration::from_secs(2)).into()).await;
    let server = pair.servers[0].take().unwrap();
    let stopping = Instant::now();
    let status = tokio::task::spawn_blocking(move || server.terminate())
        .await
        .unwrap();
    let stopped_in = stopping.elapsed();
    for client in clients {
        client.await.unwrap();
    }
    let close = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => continue,
                other => panic!("the WebSocket ended without a close frame: {other:?}"),
            }
        }
    })
    .await
    .expect("the WebSocket was closed");
    let _ = socket.close(None).await;
    println!(
        "SIGTERM under load ({backend:?}): {} requests answered, {} failed; stopped in {} ms",
        answered.load(Ordering::SeqCst),
        failures.load(Ordering::SeqCst),
        stopped_in.as_millis()
    );
    assert!(status.success(), "exit 0 after SIGTERM: {status:?}");
    assert_eq!(failures.load(Ordering::SeqCst), 0, "no request failed");
    assert!(answered.load(Ordering::SeqCst) > 10, "the load ran");
    assert_eq!(
        close.map(|frame| frame.code),
        Some(CloseCode::Away),
        "WebSockets are told the server is going away"
    );
    let _ = std::fs::remove_dir_all(&pair.dir);
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A graphql-transport-ws connection, initialised and acknowledged.
async fn open_socket(port: u16, key: &str) -> Socket {
    let mut request = format!("ws://127.0.0.1:{port}/graphql")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {key}") } });
    socket.send(Message::text(init.to_string())).await.unwrap();
    let ack: Value =
        serde_json::from_str(socket.next().await.unwrap().unwrap().to_text().unwrap()).unwrap();
    assert_eq!(ack["type"], "connection_ack");
    socket
}

/// Connections opened just before shutdown are answered, whether the accept loop took them
/// (hyper would close one it has read nothing from yet) or they were still queued in the kernel
/// (closing the listener would reset them): their requests were sent. The shutdown here is ready
/// at once, so the loop takes a few of them and leaves the rest queued.
#[tokio::test]
async fn connections_queued_at_shutdown_are_answered() {
    use contrail::http::server::{ConnectionLimits, serve};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let mut queued = Vec::new();
    for _ in 0..16 {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: contrail.test\r\n\r\n")
            .await
            .unwrap();
        queued.push(stream);
    }
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "served" }));
    let limits = ConnectionLimits {
        header_timeout: Duration::from_secs(5),
        shutdown_grace: Duration::from_secs(5),
    };
    serve(listener, app, limits, async {}).await.unwrap();
    for (index, mut stream) in queued.into_iter().enumerate() {
        let mut answer = String::new();
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut answer))
            .await
            .expect("the connection was closed");
        assert!(read.is_ok(), "connection {index}: {read:?}");
        assert!(
            answer.starts_with("HTTP/1.1 200") && answer.ends_with("served"),
            "connection {index}: {answer:?}"
        );
    }
}

/// PostgreSQL closes the instance's idle connections (a restart, a failover, a pooler's idle
/// timeout): the next request is still answered, on new connections, because a connection left
/// idle is pinged before it is handed out (only one used moments ago is not).
#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "PostgreSQL skipped: TEST_DATABASE_URL is not set"
)]
async fn connections_the_server_closed_are_replaced() {
    let app = TestApp::spawn(Backend::Postgres).await;
    app.register("N601CL").await;
    let page = "{ emissions(first: 5) { totalCount } fleet(first: 5) { nodes { tailNumber } } }";
    app.ok(page, json!({})).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let closed = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT count(pg_terminate_backend(pid)) AS closed FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "closed")
        .unwrap();
    assert!(closed > 0, "the instance's connections were closed");
    let answered = app.ok(page, json!({})).await;
    assert_eq!(answered["fleet"]["nodes"][0]["tailNumber"], "N601CL");
}
