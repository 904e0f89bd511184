//! Following payments: the state at once, every change in order, on any instance, for the
//! payment's organization or its customer's browser, and nothing that did not happen.

use std::time::Duration;

use contrail::events::Change;
use contrail::ids::{OrganizationId, PaymentId};
use contrail::payments::entity::{payment, payment_event};
use contrail::payments::{PaymentStatus, RetirementStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

use super::{Client, FOLLOW, error_code, state, states};
use crate::helpers::{Backend, TestApp};
use crate::on_both_databases;
use crate::payments::support::{
    CHECKOUT, browser, checkout, checkout_input, default_listing, deliver_at, event, press,
    session_json, sign,
};

on_both_databases!(
    a_payment_is_followed_until_its_credits_are_retired,
    a_client_secret_follows_its_payment_and_nothing_else,
    dashboards_hear_every_change,
    a_rolled_back_change_is_never_announced,
);

/// Opens a checkout for organization A; `createCheckout`'s payload.
async fn open_checkout(app: &TestApp) -> Value {
    let (listing, _) = default_listing(app).await;
    checkout(app, checkout_input(&listing, "1")).await
}

fn follow(id: &Value) -> Value {
    json!({ "id": id })
}

async fn a_payment_is_followed_until_its_credits_are_retired(app: TestApp) {
    let created = open_checkout(&app).await;
    let id = &created["payment"]["id"];
    let mut client = Client::with_key(&app.address, &app.key_a).await;
    client.subscribe("1", FOLLOW, follow(id)).await;
    let first = client.next().await;
    assert_eq!(
        first["payload"]["data"]["paymentStatusChanged"]["status"], "PENDING",
        "the state at once: {first}"
    );
    press(created["url"].as_str().unwrap(), "pay").await;
    let mut payloads = vec![first["payload"].clone()];
    payloads.extend(client.until_complete("1").await);
    assert_eq!(
        states(&payloads, "paymentStatusChanged"),
        [
            state("PENDING", "NOT_STARTED"),
            state("SUCCEEDED", "PENDING"),
            state("SUCCEEDED", "RETIRED"),
        ],
        "every change once, in order, then complete"
    );
    let last = &payloads[2]["data"]["paymentStatusChanged"];
    assert!(
        last["certificate"]["url"]
            .as_str()
            .is_some_and(|url| url.contains("/certificates/")),
        "{last}"
    );
    assert_eq!(
        app.app.events.watchers(),
        0,
        "a completed stream stops following"
    );
}

/// On PostgreSQL, a subscriber on one instance hears a payment change that a webhook made on
/// another.
#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "PostgreSQL skipped: TEST_DATABASE_URL is not set"
)]
async fn a_change_on_another_instance_reaches_the_subscriber() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let other = app.start_another_instance().await;
    let created = open_checkout(&app).await;
    let id = &created["payment"]["id"];
    let mut client = Client::with_key(&app.address, &app.key_a).await;
    client.subscribe("live", FOLLOW, follow(id)).await;
    let first = client.next().await;
    // The customer pays; Stripe tells the other instance.
    let mut session = session_json(&app, created["url"].as_str().unwrap()).await;
    session["status"] = json!("complete");
    session["payment_status"] = json!("paid");
    session["payment_intent"] = json!("pi_test_elsewhere");
    let payload = event("evt_elsewhere", "checkout.session.completed", &session);
    assert_eq!(
        deliver_at(&other.address, &payload, &sign(&app, &payload)).await,
        200
    );
    let mut payloads = vec![first["payload"].clone()];
    payloads.extend(client.until_complete("live").await);
    assert_eq!(
        states(&payloads, "paymentStatusChanged"),
        [
            state("PENDING", "NOT_STARTED"),
            state("SUCCEEDED", "PENDING"),
            state("SUCCEEDED", "RETIRED"),
        ]
    );
}

/// On PostgreSQL, the instance's listening connection is killed while a subscriber waits:
/// it reconnects, and the subscriber still ends with the final state.
#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "PostgreSQL skipped: TEST_DATABASE_URL is not set"
)]
async fn a_lost_listener_connection_loses_no_change() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let created = open_checkout(&app).await;
    let mut client = Client::with_key(&app.address, &app.key_a).await;
    client
        .subscribe("1", FOLLOW, follow(&created["payment"]["id"]))
        .await;
    client.next().await;
    let killed = app
        .db
        .execute_unprepared(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        )
        .await
        .unwrap();
    assert_eq!(killed.rows_affected(), 1, "one listening connection");
    // Paid while the listener reconnects: its notifications may be lost.
    press(created["url"].as_str().unwrap(), "pay").await;
    let payloads = client.until_complete("1").await;
    assert_eq!(
        states(&payloads, "paymentStatusChanged").last(),
        Some(&state("SUCCEEDED", "RETIRED"))
    );
}

async fn a_client_secret_follows_its_payment_and_nothing_else(app: TestApp) {
    let mine = open_checkout(&app).await["payment"].clone();
    let other = open_checkout(&app).await["payment"].clone();
    let (listing, _) = default_listing(&app).await;
    let bravo = app
        .graphql_as(
            Some(&app.key_b),
            CHECKOUT,
            json!({ "input": checkout_input(&listing, "1") }),
        )
        .await["data"]["createCheckout"]["payment"]
        .clone();
    let secret = mine["clientSecret"].as_str().unwrap();
    let mut browser = Client::initialised(&app.address, json!({ "clientSecret": secret })).await;
    browser.subscribe("mine", FOLLOW, follow(&mine["id"])).await;
    let first = browser.next().await;
    assert_eq!(
        first["payload"]["data"]["paymentStatusChanged"]["id"],
        mine["id"]
    );
    for (id, payment) in [("other", &other), ("bravo", &bravo)] {
        browser.subscribe(id, FOLLOW, follow(&payment["id"])).await;
        assert_eq!(refusal(&mut browser, id).await, "NOT_FOUND");
    }
    browser
        .subscribe("list", "subscription { paymentsChanged { id } }", json!({}))
        .await;
    assert_eq!(refusal(&mut browser, "list").await, "UNAUTHENTICATED");

    // A wrong secret, and another organization's key, see no payment at all.
    let mut stranger =
        Client::initialised(&app.address, json!({ "clientSecret": "pcs_guess" })).await;
    let mut competitor = Client::with_key(&app.address, &app.key_b).await;
    for client in [&mut stranger, &mut competitor] {
        client.subscribe("1", FOLLOW, follow(&mine["id"])).await;
        assert_eq!(refusal(client, "1").await, "NOT_FOUND");
    }
}

/// Operation `id` refused: an error without data, then the operation completes. Its code.
async fn refusal(client: &mut Client, id: &str) -> String {
    let refused = client.next().await;
    assert_eq!(refused["id"], id, "{refused}");
    assert!(refused["payload"]["data"].is_null(), "no data: {refused}");
    let code = error_code(&refused);
    assert_eq!(client.next().await, json!({ "id": id, "type": "complete" }));
    code
}

async fn dashboards_hear_every_change(app: TestApp) {
    let mut dashboard = Client::with_key(&app.address, &app.key_a).await;
    dashboard
        .subscribe(
            "all",
            "subscription { paymentsChanged { id status retirementStatus } }",
            json!({}),
        )
        .await;
    let mut competitor = Client::with_key(&app.address, &app.key_b).await;
    competitor
        .subscribe("all", "subscription { paymentsChanged { id } }", json!({}))
        .await;
    let created = open_checkout(&app).await;
    press(created["url"].as_str().unwrap(), "pay").await;
    let mut seen = Vec::new();
    while seen.last() != Some(&state("SUCCEEDED", "RETIRED")) {
        let message = dashboard.next().await;
        let payment = &message["payload"]["data"]["paymentsChanged"];
        assert_eq!(payment["id"], created["payment"]["id"], "{message}");
        seen.push(state(
            payment["status"].as_str().unwrap(),
            payment["retirementStatus"].as_str().unwrap(),
        ));
    }
    assert_eq!(
        seen,
        [
            state("PENDING", "NOT_STARTED"),
            state("SUCCEEDED", "PENDING"),
            state("SUCCEEDED", "RETIRED"),
        ]
    );
    competitor.silent_for(Duration::from_millis(300)).await;
}

async fn a_rolled_back_change_is_never_announced(app: TestApp) {
    let created = open_checkout(&app).await;
    let mut client = Client::with_key(&app.address, &app.key_a).await;
    client
        .subscribe("1", FOLLOW, follow(&created["payment"]["id"]))
        .await;
    client.next().await;
    let row = payment::Entity::find().one(&app.db).await.unwrap().unwrap();
    let txn = contrail::db::begin_write(&app.db).await.unwrap();
    payment::Entity::update_many()
        .col_expr(
            payment::Column::Status,
            Expr::value(PaymentStatus::Succeeded),
        )
        .filter(payment::Column::Id.eq(row.id))
        .exec(&txn)
        .await
        .unwrap();
    payment_event::ActiveModel {
        payment_id: Set(row.id),
        at: Set(chrono::Utc::now()),
        status: Set(PaymentStatus::Succeeded),
        retirement_status: Set(RetirementStatus::Pending),
        reason: Set("never committed".into()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .unwrap();
    let change = Change {
        organization: OrganizationId(row.organization_id.0),
        payment: PaymentId(row.id.0),
    };
    app.app.events.publish(&txn, change).await.unwrap();
    txn.rollback().await.unwrap();
    client.silent_for(Duration::from_secs(1)).await;

    // What does happen is heard.
    let back_to = press(created["url"].as_str().unwrap(), "cancel").await;
    browser().get(&back_to).send().await.unwrap();
    let payloads = client.until_complete("1").await;
    assert_eq!(
        states(&payloads, "paymentStatusChanged"),
        [state("CANCELLED", "NOT_STARTED")]
    );
}
