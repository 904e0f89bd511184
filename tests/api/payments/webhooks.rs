//! Webhooks as Stripe delivers them at its worst: twice, ten times at once, out of order, or
//! forged. Fulfilment happens exactly once and a bad signature changes nothing.

use futures_util::future::join_all;
use serde_json::json;
use stripe_webhook::Webhook;

use super::support::*;
use crate::helpers::TestApp;
use crate::on_both_databases;

on_both_databases!(
    a_redelivered_event_fulfils_once,
    a_late_payment_after_expiry_takes_fresh_credits,
    forged_and_stale_events_change_nothing,
);

async fn a_redelivered_event_fulfils_once(app: TestApp) {
    let (listing, _) = default_listing(&app).await;
    let created = checkout(&app, checkout_input(&listing, "1")).await;
    let url = created["url"].as_str().unwrap();
    press(url, "pay").await;
    let id = &created["payment"]["id"];
    wait_for(&app, id, is("SUCCEEDED", "RETIRED")).await;

    let session = session_json(&app, url).await;
    let payload = event("evt_redelivered", "checkout.session.completed", &session);
    let signature = sign(&app, &payload);
    assert_eq!(deliver(&app, &payload, &signature).await, 200);
    assert_eq!(deliver(&app, &payload, &signature).await, 200);
    let statuses = join_all((0..10).map(|_| deliver(&app, &payload, &signature))).await;
    assert!(statuses.iter().all(|status| *status == 200), "{statuses:?}");
    // Another event saying the same, and an expiry after the success: nothing changes.
    let again = event("evt_same_news", "checkout.session.completed", &session);
    assert_eq!(deliver(&app, &again, &sign(&app, &again)).await, 200);
    let expired = event("evt_too_late", "checkout.session.expired", &session);
    assert_eq!(deliver(&app, &expired, &sign(&app, &expired)).await, 200);

    let payment = payment(&app, id).await;
    assert_eq!(
        super::support::statuses(&payment),
        ("SUCCEEDED".into(), "RETIRED".into())
    );
    assert_eq!(app.count_rows("provisions").await, 1);
    assert_eq!(app.count_rows("allocations").await, 1);
    assert_eq!(app.count_rows("certificates").await, 1);
    assert_eq!(available(&app, &listing).await, "4999.000000");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(app.smtp.messages().len(), 1, "one e-mail");
    assert_eq!(payment["events"].as_array().unwrap().len(), 3, "{payment}");
}

async fn a_late_payment_after_expiry_takes_fresh_credits(app: TestApp) {
    let (listing, _) = default_listing(&app).await;
    let created = checkout(&app, checkout_input(&listing, "1")).await;
    let url = created["url"].as_str().unwrap();
    let id = &created["payment"]["id"];
    // Our side hears of an expiry (say, a clock skew) while the customer is still paying.
    let session = session_json(&app, url).await;
    let expired = event("evt_expired_early", "checkout.session.expired", &session);
    assert_eq!(deliver(&app, &expired, &sign(&app, &expired)).await, 200);
    let payment_now = payment(&app, id).await;
    assert_eq!(payment_now["status"], "EXPIRED");
    assert_eq!(
        available(&app, &listing).await,
        "5000.000000",
        "hold released"
    );

    press(url, "pay").await;
    let paid = wait_for(&app, id, is("SUCCEEDED", "RETIRED")).await;
    assert_eq!(
        super::support::statuses(&paid),
        ("SUCCEEDED".into(), "RETIRED".into()),
        "{paid}"
    );
    assert_eq!(paid["certificate"]["status"], "ISSUED");
    assert_eq!(
        available(&app, &listing).await,
        "4999.000000",
        "fresh credits, once"
    );
    assert_eq!(app.count_rows("certificates").await, 1);
    assert_eq!(app.smtp.wait_for(1).await.len(), 1);
}

async fn forged_and_stale_events_change_nothing(app: TestApp) {
    let (listing, _) = default_listing(&app).await;
    let created = checkout(&app, checkout_input(&listing, "1")).await;
    let url = created["url"].as_str().unwrap();
    let mut session = session_json(&app, url).await;
    session["status"] = json!("complete");
    session["payment_status"] = json!("paid");
    let payload = event("evt_forged", "checkout.session.completed", &session);

    let other_secret = Webhook::generate_test_header(&payload, "whsec_someone_else", None);
    assert_eq!(deliver(&app, &payload, &other_secret).await, 400);
    let signature = sign(&app, &payload);
    let tampered = payload.replace("\"paid\"", "\"unpaid\"");
    assert_eq!(deliver(&app, &tampered, &signature).await, 400);
    let stale = Webhook::generate_test_header(
        &payload,
        app.app.webhook_secret.expose(),
        Some(chrono::Utc::now().timestamp() - 301),
    );
    assert_eq!(deliver(&app, &payload, &stale).await, 400);
    assert_eq!(deliver(&app, &payload, "t=1,v1=nonsense").await, 400);
    let unsigned = app
        .client()
        .post(app.url("/webhooks/stripe"))
        .body(payload.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 400);

    let payment = payment(&app, &created["payment"]["id"]).await;
    assert_eq!(payment["status"], "PENDING");
    assert_eq!(app.count_rows("stripe_events").await, 0, "nothing recorded");
    assert_eq!(app.count_rows("certificates").await, 0);
}
