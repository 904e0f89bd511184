use std::time::Duration;

use contrail::provisions::registry::{LocalRegistry, Registry, RegistryError, Retirement};
use contrail::provisions::retirement;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::fixtures::emission_with_net;
use crate::helpers::{Options, TestApp, error_code};
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

on_both_databases!(options = retire_in_an_hour; a_refused_retirement_is_retried_later);

struct RefusingRegistry;

#[async_trait::async_trait]
impl Registry for RefusingRegistry {
    async fn retire(&self, _: &Retirement<'_>) -> Result<String, RegistryError> {
        Err(RegistryError("registry under maintenance".into()))
    }
}

async fn a_refused_retirement_is_retried_later(app: TestApp) {
    let created = provision(
        &app,
        json!({ "quantityTonnes": "1", "beneficiaryName": "Patient" }),
    )
    .await;
    app.db
        .execute_unprepared("UPDATE provisions SET retire_after = created_at")
        .await
        .unwrap();
    assert_eq!(
        retirement::retire_due(&app.db, &RefusingRegistry)
            .await
            .unwrap(),
        1
    );
    let query = "query($id: ID!) { provision(id: $id) { status certificate { status } } }";
    let id = json!({ "id": created["provision"]["id"] });
    assert_eq!(
        app.ok(query, id.clone()).await["provision"],
        json!({ "status": "CONFIRMED", "certificate": { "status": "PENDING" } })
    );
    // Not due again at once: the next attempt waits, instead of hammering the registry.
    assert_eq!(
        retirement::retire_due(&app.db, &LocalRegistry)
            .await
            .unwrap(),
        0
    );
    app.db
        .execute_unprepared("UPDATE provisions SET retire_after = created_at")
        .await
        .unwrap();
    assert_eq!(
        retirement::retire_due(&app.db, &LocalRegistry)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        app.ok(query, id).await["provision"],
        json!({ "status": "RETIRED", "certificate": { "status": "ISSUED" } })
    );
}
