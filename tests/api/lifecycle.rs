use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use contrail::provisions::registry::{LocalRegistry, Registry, RegistryError, Retirement};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::fixtures::emission_with_net;
use crate::helpers::{Backend, Options, TestApp, error_code};
use crate::on_both_databases;
use crate::provisions::provision;

on_both_databases!(options = retire_in_an_hour; cancelling_returns_supply_and_voids_the_certificate);
on_both_databases!(retired_provisions_cannot_be_cancelled);

/// Retirement an hour after confirmation, so `CONFIRMED` can be seen and cancelled.
fn retire_in_an_hour() -> Options {
    Options {
        retirement_delay: Duration::from_secs(3_600),
        ..Options::default()
    }
}

const CANCEL: &str = "mutation($id: ID!) { cancelProvision(input: { provisionId: $id }) { provision { status cancelledAt certificate { status } allocations { released } } } }";

async fn default_available(app: &TestApp) -> Value {
    app.ok("{ listings { availableTonnes } }", json!({})).await["listings"][0]["availableTonnes"]
        .clone()
}

async fn cancelling_returns_supply_and_voids_the_certificate(app: TestApp) {
    app.register("G-ABCD").await;
    let emission = emission_with_net(&app, "G-ABCD", 2_000).await;
    let created = provision(
        &app,
        json!({ "emissionIds": [emission], "offsetPercentage": 100, "beneficiaryName": "Undo" }),
    )
    .await;
    assert_eq!(created["provision"]["status"], "CONFIRMED");
    assert_eq!(created["provision"]["certificate"]["status"], "PENDING");
    assert_eq!(default_available(&app).await, "4998.000000");

    let id = created["provision"]["id"].clone();
    let cancelled =
        app.ok(CANCEL, json!({ "id": id })).await["cancelProvision"]["provision"].clone();
    assert_eq!(cancelled["status"], "CANCELLED");
    assert!(cancelled["cancelledAt"].is_string());
    assert_eq!(cancelled["certificate"]["status"], "VOID");
    assert_eq!(cancelled["allocations"][0]["released"], true);
    assert_eq!(
        default_available(&app).await,
        "5000.000000",
        "grams back in supply"
    );
    let data = app
        .ok(
            "query($id: ID!) { emission(id: $id) { offsetKg offsetStatus } }",
            json!({ "id": emission }),
        )
        .await;
    assert_eq!(
        data["emission"],
        json!({ "offsetKg": "0.000", "offsetStatus": "NOT_OFFSET" })
    );
    // Cancelling again changes nothing; linking to a cancelled provision is refused.
    assert_eq!(
        app.ok(CANCEL, json!({ "id": id })).await["cancelProvision"]["provision"]["status"],
        "CANCELLED"
    );
    let link = app
        .graphql(
            "mutation($p: ID!, $e: ID!) { linkEmissionsToProvision(input: { provisionId: $p, emissionIds: [$e] }) { provision { id } } }",
            json!({ "p": id, "e": emission }),
        )
        .await;
    assert_eq!(error_code(&link).0, "CONFLICT");
    // The released grams are allocated again, from the start of the batch.
    let again = provision(
        &app,
        json!({ "quantityTonnes": "2", "beneficiaryName": "Again" }),
    )
    .await;
    assert_eq!(again["provision"]["allocations"][0]["startGram"], "0");

    // Another organization cannot cancel it.
    let foreign = app
        .graphql_as(
            Some(&app.key_b),
            CANCEL,
            json!({ "id": again["provision"]["id"] }),
        )
        .await;
    assert_eq!(error_code(&foreign).0, "NOT_FOUND");

    // A retirement that fell due while no server ran is carried out when one starts. (This
    // app's own worker sleeps until the hour is up.)
    app.db
        .execute_unprepared(
            "UPDATE provisions SET retire_after = created_at WHERE status = 'CONFIRMED'",
        )
        .await
        .unwrap();
    let _restarted = app.start_another_instance().await;
    let query = "query($id: ID!) { provision(id: $id) { status retiredAt registryReference certificate { status issuedAt } } }";
    let mut retired = Value::Null;
    for _ in 0..50 {
        retired = app
            .ok(query, json!({ "id": again["provision"]["id"] }))
            .await["provision"]
            .clone();
        if retired["status"] == "RETIRED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(retired["status"], "RETIRED", "{retired}");
    assert!(retired["retiredAt"].is_string());
    assert!(
        retired["registryReference"]
            .as_str()
            .unwrap()
            .starts_with("LOCAL-RET-")
    );
    assert_eq!(retired["certificate"]["status"], "ISSUED");
}

async fn retired_provisions_cannot_be_cancelled(app: TestApp) {
    let created = provision(
        &app,
        json!({ "quantityTonnes": "1", "beneficiaryName": "Done" }),
    )
    .await;
    assert_eq!(created["provision"]["status"], "RETIRED");
    let body = app
        .graphql(CANCEL, json!({ "id": created["provision"]["id"] }))
        .await;
    assert_eq!(error_code(&body).0, "CONFLICT");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("irreversible")
    );
    assert_eq!(
        default_available(&app).await,
        "4999.000000",
        "retired grams stay retired"
    );
}

on_both_databases!(options = retire_in_a_second; retires_after_the_configured_delay);

fn retire_in_a_second() -> Options {
    Options {
        retirement_delay: Duration::from_secs(1),
        ..Options::default()
    }
}

async fn retires_after_the_configured_delay(app: TestApp) {
    let created = provision(
        &app,
        json!({ "quantityTonnes": "1", "beneficiaryName": "Soon" }),
    )
    .await;
    assert_eq!(created["provision"]["status"], "CONFIRMED");
    let started = std::time::Instant::now();
    let query = "query($id: ID!) { provision(id: $id) { status certificate { status } } }";
    let mut provision = Value::Null;
    while started.elapsed() < Duration::from_secs(10) {
        provision = app
            .ok(query, json!({ "id": created["provision"]["id"] }))
            .await["provision"]
            .clone();
        if provision["status"] == "RETIRED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        provision,
        json!({ "status": "RETIRED", "certificate": { "status": "ISSUED" } })
    );
    assert!(
        started.elapsed() >= Duration::from_millis(800),
        "not before the delay"
    );
}

/// A registry that refuses until told otherwise, counting the attempts it sees.
#[derive(Default)]
struct MaintenanceRegistry {
    open: AtomicBool,
    attempts: AtomicUsize,
}

#[async_trait::async_trait]
impl Registry for MaintenanceRegistry {
    async fn retire(&self, retirement: &Retirement<'_>) -> Result<String, RegistryError> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        if self.open.load(Ordering::SeqCst) {
            LocalRegistry.retire(retirement).await
        } else {
            Err(RegistryError("registry under maintenance".into()))
        }
    }
}

#[tokio::test]
async fn a_refused_retirement_is_retried_later_sqlite() {
    a_refused_retirement_is_retried_later(Backend::Sqlite).await;
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "PostgreSQL skipped: TEST_DATABASE_URL is not set"
)]
async fn a_refused_retirement_is_retried_later_postgres() {
    a_refused_retirement_is_retried_later(Backend::Postgres).await;
}

async fn a_refused_retirement_is_retried_later(backend: Backend) {
    let registry = Arc::new(MaintenanceRegistry::default());
    let app = TestApp::builder(backend)
        .registry(registry.clone())
        .spawn()
        .await;
    let created = provision(
        &app,
        json!({ "quantityTonnes": "1", "beneficiaryName": "Patient" }),
    )
    .await;
    let query = "query($id: ID!) { provision(id: $id) { status certificate { status } } }";
    let id = json!({ "id": created["provision"]["id"] });
    assert_eq!(
        app.ok(query, id.clone()).await["provision"],
        json!({ "status": "CONFIRMED", "certificate": { "status": "PENDING" } })
    );
    assert_eq!(registry.attempts.load(Ordering::SeqCst), 1);
    // The next attempt waits a minute instead of hammering the registry.
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT retire_after, retirement_claimed_at FROM provisions",
        ))
        .await
        .unwrap()
        .unwrap();
    let retry_at: chrono::DateTime<chrono::Utc> = row.try_get("", "retire_after").unwrap();
    let claimed: Option<chrono::DateTime<chrono::Utc>> =
        row.try_get("", "retirement_claimed_at").unwrap();
    assert!(claimed.is_none(), "the claim is released");
    assert!(
        retry_at > chrono::Utc::now() + chrono::Duration::seconds(50),
        "backed off until {retry_at}"
    );
    app.app.retirements.wake();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        registry.attempts.load(Ordering::SeqCst),
        1,
        "not retried early"
    );

    // Once due again, the worker retries and the registry, back up, retires.
    registry.open.store(true, Ordering::SeqCst);
    app.db
        .execute_unprepared("UPDATE provisions SET retire_after = created_at")
        .await
        .unwrap();
    app.app.retirements.wake();
    let mut provision = Value::Null;
    for _ in 0..100 {
        provision = app.ok(query, id.clone()).await["provision"].clone();
        if provision["status"] == "RETIRED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        provision,
        json!({ "status": "RETIRED", "certificate": { "status": "ISSUED" } })
    );
    assert_eq!(registry.attempts.load(Ordering::SeqCst), 2);
}

/// A registry that hangs until released, as one that stops answering without closing the
/// connection would.
#[derive(Default)]
struct HangingRegistry {
    released: tokio::sync::Notify,
    open: AtomicBool,
}

#[async_trait::async_trait]
impl Registry for HangingRegistry {
    async fn retire(&self, retirement: &Retirement<'_>) -> Result<String, RegistryError> {
        if !self.open.load(Ordering::SeqCst) {
            self.released.notified().await;
        }
        LocalRegistry.retire(retirement).await
    }
}

#[tokio::test]
async fn a_job_stuck_on_a_call_makes_the_instance_unready_sqlite() {
    a_job_stuck_on_a_call_makes_the_instance_unready(Backend::Sqlite).await;
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "PostgreSQL skipped: TEST_DATABASE_URL is not set"
)]
async fn a_job_stuck_on_a_call_makes_the_instance_unready_postgres() {
    a_job_stuck_on_a_call_makes_the_instance_unready(Backend::Postgres).await;
}

/// Polls `/readyz` until it answers `status`; returns its body.
async fn readiness_becomes(app: &TestApp, status: u16) -> String {
    let started = std::time::Instant::now();
    loop {
        let response = app.client().get(app.url("/readyz")).send().await.unwrap();
        if response.status().as_u16() == status {
            return response.text().await.unwrap();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "/readyz never answered {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn a_job_stuck_on_a_call_makes_the_instance_unready(backend: Backend) {
    let registry = Arc::new(HangingRegistry::default());
    let app = TestApp::builder(backend)
        .registry(registry.clone())
        .stalled_after(Duration::from_secs(1))
        // Retired by the job, not within the request.
        .options(Options {
            retirement_delay: Duration::from_millis(200),
            ..Options::default()
        })
        .spawn()
        .await;
    // Jobs resting between rounds (mail, reconciliation) are never stalled.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(readiness_becomes(&app, 200).await, "ready");
    let created = provision(
        &app,
        json!({ "quantityTonnes": "1", "beneficiaryName": "Patient" }),
    )
    .await;
    assert!(created["provision"]["id"].is_string());
    // The retirement job hangs on the registry: after a second the probe says so, by name.
    let body = readiness_becomes(&app, 503).await;
    assert_eq!(body, "background jobs stalled: retirement");
    // The liveness probe stays cheap and up: the process is alive, only not ready.
    let health = app.client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    registry.open.store(true, Ordering::SeqCst);
    registry.released.notify_waiters();
    assert_eq!(readiness_becomes(&app, 200).await, "ready");
    let query = "query($id: ID!) { provision(id: $id) { status } }";
    let id = json!({ "id": created["provision"]["id"] });
    let started = std::time::Instant::now();
    while app.ok(query, id.clone()).await["provision"]["status"] != "RETIRED" {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "retired once released"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
