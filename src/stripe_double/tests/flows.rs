//! A customer on the hosted page, and what Contrail learns from the webhooks: every event
//! type the double emits is parsed here by async-stripe's verifier.

use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use stripe::{ApiErrorsCode, IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_checkout::checkout_session::{ExpireCheckoutSession, RetrieveCheckoutSession};
use stripe_checkout::{CheckoutSessionPaymentStatus, CheckoutSessionStatus};
use stripe_core::refund::CreateRefund;
use stripe_webhook::EventObject;

use super::*;
use crate::stripe_double::entity::{event, session};

on_both_databases!(
    paying_completes_the_session_once_and_says_so_in_a_signed_event,
    asynchronous_payments_settle_after_the_delay,
    sessions_expire_on_request_and_on_time,
    refunds_report_the_charge,
    failed_deliveries_are_retried_in_order,
);

fn session_of(event: &Event) -> &CheckoutSession {
    match &event.data.object {
        EventObject::CheckoutSessionCompleted(session)
        | EventObject::CheckoutSessionAsyncPaymentSucceeded(session)
        | EventObject::CheckoutSessionAsyncPaymentFailed(session)
        | EventObject::CheckoutSessionExpired(session) => session,
        _ => panic!("not a session event: {}", event.type_.as_str()),
    }
}

async fn paying_completes_the_session_once_and_says_so_in_a_signed_event(backend: Backend) {
    let h = Harness::start(backend).await;
    let session = h
        .create_session(new_session().customer_email("buyer@example.com"))
        .await;

    let page = h
        .http
        .get(session.url.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let html = page.text().await.unwrap();
    assert!(html.contains("Test checkout (no real payment)"));
    assert!(html.contains("39.98 EUR"), "{html}");
    assert!(html.contains("Carbon removal") && !html.contains("<1 t>"));
    assert!(html.contains("value=\"buyer@example.com\""));
    let action = format!("action=\"{}/checkout/{}/pay\"", h.base, session.id);
    assert!(html.contains(&action), "{html}");

    // An empty field keeps the address the session was created with.
    let paid = h.press(&session, "pay", "").await;
    assert_eq!(paid.status(), StatusCode::SEE_OTHER);
    let expected = format!("https://shop.example/paid?session={}", session.id);
    assert_eq!(paid.headers()["location"], expected.as_str());
    assert_eq!(
        h.press(&session, "pay", "other@example.com").await.status(),
        StatusCode::CONFLICT
    );

    let events = h.receiver.wait_for(session.id.as_str(), 1).await;
    assert_eq!(types(&events), ["checkout.session.completed"]);
    let completed = session_of(&events[0]);
    assert_eq!(completed.payment_status, CheckoutSessionPaymentStatus::Paid);
    assert_eq!(completed.status, Some(CheckoutSessionStatus::Complete));
    assert_eq!(completed.client_reference_id.as_deref(), Some("payment-42"));
    let details = completed.customer_details.as_ref().unwrap();
    assert_eq!(details.email.as_deref(), Some("buyer@example.com"));

    let retrieved = RetrieveCheckoutSession::new(session.id.clone())
        .send(&h.stripe)
        .await
        .unwrap();
    assert_eq!(retrieved.status, Some(CheckoutSessionStatus::Complete));
    assert!(retrieved.payment_intent.is_some());
    assert_eq!(retrieved.url, None);
    let page = h.http.get(session.url.unwrap()).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("Paid"));

    let cancelled = h.create_session(new_session()).await;
    let missing = h.press(&cancelled, "pay", "not an address").await;
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    let left = h.press(&cancelled, "cancel", "").await;
    assert_eq!(left.headers()["location"], CANCEL_URL);
    let unknown = h.http.get(format!("{}/checkout/cs_test_nope", h.base));
    assert_eq!(
        unknown.send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

async fn asynchronous_payments_settle_after_the_delay(backend: Backend) {
    let h = Harness::start(backend).await;
    let later = h.create_session(new_session()).await;
    let declined = h.create_session(new_session()).await;
    let pressed = h.press(&later, "pay-later", "later@example.com").await;
    assert_eq!(pressed.status(), StatusCode::SEE_OTHER);
    let pressed = h.press(&declined, "decline", "declined@example.com").await;
    assert_eq!(pressed.status(), StatusCode::SEE_OTHER);

    let events = h.receiver.wait_for(later.id.as_str(), 2).await;
    assert_eq!(
        types(&events),
        [
            "checkout.session.completed",
            "checkout.session.async_payment_succeeded"
        ]
    );
    let (completed, settled) = (session_of(&events[0]), session_of(&events[1]));
    assert_eq!(
        completed.payment_status,
        CheckoutSessionPaymentStatus::Unpaid
    );
    assert!(completed.payment_intent.is_some());
    assert_eq!(settled.payment_status, CheckoutSessionPaymentStatus::Paid);

    let events = h.receiver.wait_for(declined.id.as_str(), 2).await;
    assert_eq!(
        types(&events),
        [
            "checkout.session.completed",
            "checkout.session.async_payment_failed"
        ]
    );
    assert_eq!(
        session_of(&events[1]).payment_status,
        CheckoutSessionPaymentStatus::Unpaid
    );
    let retrieved = RetrieveCheckoutSession::new(later.id.clone())
        .send(&h.stripe)
        .await
        .unwrap();
    assert_eq!(retrieved.payment_status, CheckoutSessionPaymentStatus::Paid);
}

async fn sessions_expire_on_request_and_on_time(backend: Backend) {
    let h = Harness::start(backend).await;
    let session = h.create_session(new_session()).await;
    let expire = ExpireCheckoutSession::new(session.id.clone());
    let expired = expire.send(&h.stripe).await.unwrap();
    assert_eq!(expired.status, Some(CheckoutSessionStatus::Expired));
    assert_eq!(expire.send(&h.stripe).await.unwrap().id, session.id);
    let events = h.receiver.wait_for(session.id.as_str(), 1).await;
    assert_eq!(types(&events), ["checkout.session.expired"]);
    assert_eq!(
        h.press(&session, "pay", "late@example.com").await.status(),
        StatusCode::CONFLICT
    );

    let paid = h.create_session(new_session()).await;
    h.press(&paid, "pay", "buyer@example.com").await;
    match ExpireCheckoutSession::new(paid.id.clone())
        .send(&h.stripe)
        .await
    {
        Err(StripeError::Stripe(_, 400)) => {}
        other => panic!("expected a 400 Stripe error, got {other:?}"),
    }

    // As Stripe does at `expires_at`, with no request at all.
    let timed = h.create_session(new_session()).await;
    let row = session::Entity::find_by_id(timed.id.as_str().to_owned())
        .one(&h.db)
        .await
        .unwrap()
        .unwrap();
    let mut row = row.into_active_model();
    row.expires_at = Set(chrono::Utc::now() - chrono::Duration::seconds(1));
    row.update(&h.db).await.unwrap();
    h.wake.wake();
    let events = h.receiver.wait_for(timed.id.as_str(), 1).await;
    assert_eq!(types(&events), ["checkout.session.expired"]);
    assert_eq!(
        session_of(&events[0]).status,
        Some(CheckoutSessionStatus::Expired)
    );
}

async fn refunds_report_the_charge(backend: Backend) {
    let h = Harness::start(backend).await;
    let session = h.create_session(new_session()).await;
    h.press(&session, "pay", "buyer@example.com").await;
    let intent = RetrieveCheckoutSession::new(session.id.clone())
        .send(&h.stripe)
        .await
        .unwrap()
        .payment_intent
        .unwrap()
        .id()
        .to_string();

    let partial = CreateRefund::new().payment_intent(&intent).amount(1000);
    let key = RequestStrategy::Idempotent(IdempotencyKey::new("refund-1").unwrap());
    let first = partial
        .customize()
        .request_strategy(key.clone())
        .send(&h.stripe)
        .await
        .unwrap();
    let again = partial
        .customize()
        .request_strategy(key)
        .send(&h.stripe)
        .await
        .unwrap();
    assert_eq!((first.id.clone(), first.amount), (again.id, 1000));
    let rest = CreateRefund::new()
        .payment_intent(&intent)
        .send(&h.stripe)
        .await
        .unwrap();
    assert_eq!(rest.amount, 2998);
    match CreateRefund::new()
        .payment_intent(&intent)
        .send(&h.stripe)
        .await
    {
        Err(StripeError::Stripe(error, 400)) => {
            assert_eq!(error.code, Some(ApiErrorsCode::ChargeAlreadyRefunded))
        }
        other => panic!("expected a 400 Stripe error, got {other:?}"),
    }

    let events = h.receiver.wait_for(&intent, 2).await;
    let refunded: Vec<(i64, bool)> = events
        .iter()
        .map(|event| match &event.data.object {
            EventObject::ChargeRefunded(charge) => (charge.amount_refunded, charge.refunded),
            _ => panic!("not a charge event: {}", event.type_.as_str()),
        })
        .collect();
    assert_eq!(refunded, [(1000, false), (3998, true)]);

    let declined = h.create_session(new_session()).await;
    h.press(&declined, "decline", "buyer@example.com").await;
    let unpaid = RetrieveCheckoutSession::new(declined.id.clone())
        .send(&h.stripe)
        .await
        .unwrap()
        .payment_intent
        .unwrap()
        .id()
        .to_string();
    match CreateRefund::new()
        .payment_intent(unpaid)
        .send(&h.stripe)
        .await
    {
        Err(StripeError::Stripe(_, 400)) => {}
        other => panic!("expected a 400 Stripe error, got {other:?}"),
    }
}

async fn failed_deliveries_are_retried_in_order(backend: Backend) {
    let failure = StatusCode::INTERNAL_SERVER_ERROR;
    let h = Harness::answering(backend, vec![failure, failure]).await;
    let session = h.create_session(new_session()).await;
    h.press(&session, "pay-later", "buyer@example.com").await;

    // The completion fails twice (retried after 1 s, then 2 s); the settlement, due long
    // before, waits for it.
    let events = h.receiver.wait_for(session.id.as_str(), 2).await;
    assert_eq!(
        types(&events),
        [
            "checkout.session.completed",
            "checkout.session.async_payment_succeeded"
        ]
    );
    let deliveries = h.receiver.deliveries();
    let ids: Vec<String> = deliveries
        .iter()
        .map(|delivery| {
            let body: serde_json::Value = serde_json::from_str(&delivery.body).unwrap();
            body["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 4);
    assert!(ids[..3].iter().all(|id| *id == ids[0]));
    assert_eq!(ids[0], events[0].id.as_str());

    let rows = event::Entity::find().all(&h.db).await.unwrap();
    let first = rows.iter().find(|row| row.event_id == ids[0]).unwrap();
    assert_eq!(first.attempts, 3);
    assert!(first.delivered_at.is_some());
    assert!(first.last_error.as_deref().unwrap().contains("500"));
}
