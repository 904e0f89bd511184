//! When things go wrong: the provider is down, a webhook is lost, a payment comes after its
//! credits were sold, a customer is refunded.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_graphql::ID;
use contrail::api::id::parse;
use contrail::ids::PaymentId;
use contrail::payments::fulfilment;
use contrail::payments::gateway::{Notification, ProviderEvent};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use super::support::*;
use crate::fixtures::listing_with_batches;
use crate::helpers::{Backend, Options, TestApp, error_code};
use crate::on_both_databases;

on_both_databases!(options = stripe_unreachable; an_unreachable_provider_leaves_nothing_behind);
on_both_databases!(options = retire_in_an_hour; a_refund_before_retirement_returns_the_credits);
on_both_databases!(a_refund_after_retirement_keeps_the_certificate);

fn stripe_unreachable() -> Options {
    let mut options = Options::default();
    options.payments.stripe_secret_key = Some(contrail::config::Secret::new("sk_test_unreachable"));
    options.payments.stripe_webhook_secret = Some(contrail::config::Secret::new("whsec_test"));
    // Nothing listens on port 1.
    options.payments.stripe_api_base = Some("http://127.0.0.1:1/".into());
    options
}

fn retire_in_an_hour() -> Options {
    super::checkout::retire_in_an_hour()
}

async fn an_unreachable_provider_leaves_nothing_behind(app: TestApp) {
    let (listing, _) = default_listing(&app).await;
    let body = app
        .graphql(CHECKOUT, json!({ "input": checkout_input(&listing, "1") }))
        .await;
    assert_eq!(error_code(&body).0, "PAYMENT_PROVIDER_ERROR", "{body}");
    assert!(body["data"].is_null() || body["data"]["createCheckout"].is_null());
    let quote = app
        .ok(
            "mutation($l: ID!) { createQuote(input: { assetPriceSourceId: $l, quantityTonnes: \"1\" }) { quote { id } } }",
            json!({ "l": listing }),
        )
        .await["createQuote"]["quote"]["id"]
        .clone();
    let from_quote = json!({ "input": {
        "quoteId": quote, "metadata": { "beneficiaryName": "X" },
        "successUrl": "https://shop.example/paid", "cancelUrl": "https://shop.example/cart",
    } });
    let body = app.graphql(CHECKOUT, from_quote).await;
    assert_eq!(error_code(&body).0, "PAYMENT_PROVIDER_ERROR", "{body}");
    for table in [
        "payments",
        "payment_events",
        "provisions",
        "allocations",
        "provision_emissions",
    ] {
        assert_eq!(app.count_rows(table).await, 0, "{table}");
    }
    assert_eq!(
        available(&app, &listing).await,
        "5000.000000",
        "no hold left"
    );
    let quote = app
        .ok(
            "query($id: ID!) { quote(id: $id) { consumed } }",
            json!({ "id": quote }),
        )
        .await;
    assert_eq!(
        quote["quote"]["consumed"], false,
        "the quote is usable again"
    );
}

/// The payment's intent at the provider.
async fn payment_intent(app: &TestApp, id: PaymentId) -> String {
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT payment_intent FROM payments WHERE id = {}", id.0),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "payment_intent").unwrap()
}

fn payment_id(id: &Value) -> PaymentId {
    parse(&ID(id.as_str().unwrap().to_owned()), "id").unwrap()
}

async fn a_refund_before_retirement_returns_the_credits(app: TestApp) {
    let (listing, _) = default_listing(&app).await;
    let created = checkout(&app, checkout_input(&listing, "2")).await;
    press(created["url"].as_str().unwrap(), "pay").await;
    let id = created["payment"]["id"].clone();
    let paid = wait_for(&app, &id, is("SUCCEEDED", "PENDING")).await;
    assert_eq!(paid["provision"]["status"], "CONFIRMED");
    assert_eq!(available(&app, &listing).await, "4998.000000");

    // Refunded from the provider's side (a dashboard, a dispute): Stripe says `charge.refunded`.
    let payment = payment_id(&id);
    let intent = payment_intent(&app, payment).await;
    app.app.gateway.refund(payment, &intent).await.unwrap();
    let refunded = wait_for(&app, &id, is("REFUNDED", "FAILED")).await;
    assert_eq!(
        statuses(&refunded),
        ("REFUNDED".into(), "FAILED".into()),
        "{refunded}"
    );
    assert_eq!(refunded["provision"]["status"], "CANCELLED");
    assert_eq!(refunded["certificate"]["status"], "VOID");
    assert_eq!(
        available(&app, &listing).await,
        "5000.000000",
        "credits returned"
    );
}

async fn a_refund_after_retirement_keeps_the_certificate(app: TestApp) {
    let (listing, _) = default_listing(&app).await;
    let created = checkout(&app, checkout_input(&listing, "1")).await;
    press(created["url"].as_str().unwrap(), "pay").await;
    let id = created["payment"]["id"].clone();
    wait_for(&app, &id, is("SUCCEEDED", "RETIRED")).await;
    let payment = payment_id(&id);
    let intent = payment_intent(&app, payment).await;
    app.app.gateway.refund(payment, &intent).await.unwrap();
    let refunded = wait_for(&app, &id, is("REFUNDED", "RETIRED")).await;
    assert_eq!(
        statuses(&refunded),
        ("REFUNDED".into(), "RETIRED".into()),
        "{refunded}"
    );
    assert_eq!(
        refunded["provision"]["status"], "RETIRED",
        "retirement is irreversible"
    );
    assert_eq!(refunded["certificate"]["status"], "ISSUED");
    assert_eq!(available(&app, &listing).await, "4999.000000");
}

/// Sets every pending payment due for reconciliation and wakes the job.
async fn reconcile_now(app: &TestApp) {
    app.db
        .execute_unprepared(
            "UPDATE payments SET reconcile_after = created_at WHERE reconcile_after IS NOT NULL",
        )
        .await
        .unwrap();
    app.app.reconciliation_wake.wake();
}

#[tokio::test]
async fn a_lost_webhook_is_reconciled_exactly_once_sqlite() {
    a_lost_webhook_is_reconciled_exactly_once(Backend::Sqlite).await;
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "PostgreSQL skipped: TEST_DATABASE_URL is not set"
)]
async fn a_lost_webhook_is_reconciled_exactly_once_postgres() {
    a_lost_webhook_is_reconciled_exactly_once(Backend::Postgres).await;
}

/// The customer paid while no server heard of it (the webhook lost); the server that starts
/// next asks the provider and fulfils once, even with two instances at it.
async fn a_lost_webhook_is_reconciled_exactly_once(backend: Backend) {
    let gateway = Arc::new(ScriptedGateway::default());
    let app = TestApp::builder(backend)
        .gateway(gateway.clone())
        .spawn()
        .await;
    let (listing, _) = default_listing(&app).await;
    let created = checkout(&app, checkout_input(&listing, "1")).await;
    let id = created["payment"]["id"].clone();
    assert_eq!(created["url"], "https://pay.example/cs_scripted_1");
    gateway.pay(payment_id(&id));

    reconcile_now(&app).await;
    let _second = app.start_another_instance().await;
    let paid = wait_for(&app, &id, is("SUCCEEDED", "RETIRED")).await;
    assert_eq!(
        statuses(&paid),
        ("SUCCEEDED".into(), "RETIRED".into()),
        "{paid}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    reconcile_now(&app).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.count_rows("certificates").await, 1);
    assert_eq!(app.count_rows("allocations").await, 1);
    assert_eq!(available(&app, &listing).await, "4999.000000");
    assert_eq!(app.smtp.wait_for(1).await.len(), 1);
    assert_eq!(
        payment(&app, &id).await["events"].as_array().unwrap().len(),
        3
    );
}

#[tokio::test]
async fn a_payment_after_its_credits_were_sold_is_refunded() {
    let gateway = Arc::new(ScriptedGateway::default());
    let app = TestApp::builder(Backend::Sqlite)
        .gateway(gateway.clone())
        .spawn()
        .await;
    let listing = listing_with_batches(&app, 10_000, &[(2024, 1)]).await;
    let late = checkout(&app, checkout_input(&listing, "1")).await;
    let late_id = late["payment"]["id"].clone();
    let public_id = public_id(&app, payment_id(&late_id)).await;
    // The customer clicks "back" (the cancel link): the hold is released...
    let response = browser()
        .get(app.url(&format!("/checkout/cancel/{public_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(payment(&app, &late_id).await["status"], "CANCELLED");
    let sold = checkout(&app, checkout_input(&listing, "1")).await;
    assert_eq!(
        sold["payment"]["status"], "PENDING",
        "the released tonne sells again"
    );

    // ...but their bank debit, started in another tab, settles: Stripe says it was paid.
    gateway.pay(payment_id(&late_id));
    let session = app
        .app
        .gateway
        .retrieve_session(&format!("cs_scripted_{}", payment_id(&late_id).0))
        .await
        .unwrap();
    let event = ProviderEvent {
        id: "evt_late".into(),
        kind: "checkout.session.async_payment_succeeded".into(),
        notification: Notification::AsyncPaymentSucceeded(session),
    };
    fulfilment::handle(&app.app.fulfilment(), event)
        .await
        .unwrap();
    let refunded = payment(&app, &late_id).await;
    assert_eq!(
        statuses(&refunded),
        ("SUCCEEDED".into(), "FAILED".into()),
        "{refunded}"
    );
    assert_eq!(
        gateway.refunds.load(Ordering::SeqCst),
        1,
        "refunded, never paid and unserved"
    );
    assert_eq!(available(&app, &listing).await, "0.000000");
    assert_eq!(app.count_rows("certificates").await, 0);
}

async fn public_id(app: &TestApp, id: PaymentId) -> String {
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT public_id FROM payments WHERE id = {}", id.0),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "public_id").unwrap()
}

#[tokio::test]
async fn a_checkout_whose_session_never_opened_is_undone() {
    let gateway = Arc::new(ScriptedGateway::default());
    let app = TestApp::builder(Backend::Sqlite)
        .gateway(gateway.clone())
        .spawn()
        .await;
    let (listing, _) = default_listing(&app).await;
    checkout(&app, checkout_input(&listing, "1")).await;
    // As if the server had died between writing the payment and opening its session.
    app.db
        .execute_unprepared(
            "UPDATE payments SET session_id = NULL, created_at = '2020-01-01T00:00:00Z', reconcile_after = '2020-01-01T00:00:00Z'",
        )
        .await
        .unwrap();
    app.app.reconciliation_wake.wake();
    for _ in 0..100 {
        if app.count_rows("payments").await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.count_rows("payments").await, 0);
    assert_eq!(app.count_rows("provisions").await, 0);
    assert_eq!(available(&app, &listing).await, "5000.000000");
}
