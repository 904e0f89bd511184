//! The Stripe API as async-stripe sees it: sessions created, replayed, retrieved; errors in
//! Stripe's shape.

use stripe::{
    ApiErrorsCode, ApiErrorsType, IdempotencyKey, RequestStrategy, StripeError, StripeRequest,
};
use stripe_checkout::checkout_session::RetrieveCheckoutSession;
use stripe_checkout::{CheckoutSessionPaymentStatus, CheckoutSessionStatus};

use super::*;

on_both_databases!(
    creates_replays_and_retrieves_a_session,
    refuses_what_stripe_refuses,
    answers_malformed_requests_with_stripe_errors,
);

fn idempotent(key: &str) -> RequestStrategy {
    RequestStrategy::Idempotent(IdempotencyKey::new(key).unwrap())
}

async fn creates_replays_and_retrieves_a_session(backend: Backend) {
    let h = Harness::start(backend).await;
    let expires_at = chrono::Utc::now().timestamp() + 3600;
    let request = new_session()
        .customer_email("buyer@example.com")
        .expires_at(expires_at)
        .expand(vec!["line_items".to_owned()]);
    let created = request
        .customize()
        .request_strategy(idempotent("payment-42-create"))
        .send(&h.stripe)
        .await
        .unwrap();
    let replayed = request
        .customize()
        .request_strategy(idempotent("payment-42-create"))
        .send(&h.stripe)
        .await
        .unwrap();
    assert_eq!(replayed.id, created.id);
    assert!(created.id.as_str().starts_with("cs_test_"));
    assert!(created.id.as_str().len() >= 30);

    let other = new_session()
        .customize()
        .request_strategy(idempotent("payment-42-create"))
        .send(&h.stripe)
        .await;
    match other {
        Err(StripeError::Stripe(error, 400)) => {
            assert_eq!(error.type_, ApiErrorsType::IdempotencyError)
        }
        other => panic!("expected an idempotency error, got {other:?}"),
    }

    let line_items = created.line_items.expect("line_items expanded");
    assert_eq!(line_items.data.len(), 1);
    assert_eq!(line_items.data[0].amount_total, 3998);

    let session = RetrieveCheckoutSession::new(created.id.clone())
        .send(&h.stripe)
        .await
        .unwrap();
    assert_eq!(session.id, created.id);
    assert_eq!(session.amount_total, Some(3998));
    assert_eq!(session.currency, Some(stripe_types::Currency::EUR));
    assert_eq!(session.client_reference_id.as_deref(), Some("payment-42"));
    assert_eq!(session.customer_email.as_deref(), Some("buyer@example.com"));
    assert_eq!(session.expires_at, expires_at);
    assert_eq!(session.status, Some(CheckoutSessionStatus::Open));
    assert_eq!(session.payment_status, CheckoutSessionPaymentStatus::Unpaid);
    assert!(session.payment_intent.is_none());
    assert_eq!(session.success_url.as_deref(), Some(SUCCESS_URL));
    assert_eq!(
        session.url,
        Some(format!("{}/checkout/{}", h.base, created.id))
    );
    assert_eq!(
        session.metadata.unwrap().get("order").map(String::as_str),
        Some("42")
    );
    assert!(session.line_items.is_none());
}

async fn refuses_what_stripe_refuses(backend: Backend) {
    let h = Harness::start(backend).await;
    let expect_error = |result: Result<CheckoutSession, StripeError>, status: u16| match result {
        Err(StripeError::Stripe(error, got)) if got == status => error,
        other => panic!("expected a {status} Stripe error, got {other:?}"),
    };

    let wrong_key = stripe_client(&h.base, "sk_test_wrong");
    let error = expect_error(new_session().send(&wrong_key).await, 401);
    assert_eq!(error.type_, ApiErrorsType::InvalidRequestError);

    let error = expect_error(
        RetrieveCheckoutSession::new("cs_test_missing")
            .send(&h.stripe)
            .await,
        404,
    );
    assert_eq!(error.code, Some(ApiErrorsCode::ResourceMissing));

    let too_soon = chrono::Utc::now().timestamp() + 60;
    let error = expect_error(
        new_session().expires_at(too_soon).send(&h.stripe).await,
        400,
    );
    assert_eq!(error.param.as_deref(), Some("expires_at"));

    let error = expect_error(
        CreateCheckoutSession::new()
            .mode(CheckoutSessionMode::Payment)
            .success_url(SUCCESS_URL)
            .send(&h.stripe)
            .await,
        400,
    );
    assert_eq!(error.param.as_deref(), Some("line_items"));
    assert_eq!(error.code, Some(ApiErrorsCode::ParameterMissing));

    let error = expect_error(
        new_session().success_url("not a url").send(&h.stripe).await,
        400,
    );
    assert_eq!(error.param.as_deref(), Some("success_url"));
}

async fn answers_malformed_requests_with_stripe_errors(backend: Backend) {
    let h = Harness::start(backend).await;
    let post = |path: &str, body: &'static str| {
        h.http
            .post(format!("{}/_stripe/v1/{path}", h.base))
            .bearer_auth(SECRET)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    for (path, body, status) in [
        (
            "checkout/sessions",
            "mode=payment&line_items[0][quantity]=many",
            400,
        ),
        ("checkout/sessions", "line_items[0][price_data]=%FF%FE", 400),
        (
            "checkout/sessions",
            "mode=payment&line_items[0][quantity]=1&success_url=https://a.example/&line_items[0][price_data][currency]=eur&line_items[0][price_data][unit_amount]=-5&line_items[0][price_data][product_data][name]=x",
            400,
        ),
        ("refunds", "amount=5", 400),
        ("refunds", "payment_intent=pi_test_unknown", 400),
        ("nothing/here", "", 404),
    ] {
        let response = post(path, body).await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{path} {body}");
        let error: serde_json::Value = response.json().await.unwrap();
        assert_eq!(error["error"]["type"], "invalid_request_error", "{error}");
        assert!(error["error"]["message"].is_string());
    }
    let unauthenticated = h
        .http
        .get(format!("{}/_stripe/v1/checkout/sessions/cs_test_x", h.base))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status().as_u16(), 401);
}
