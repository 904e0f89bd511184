//! How the REST routes refuse: `{ "error": { "code", "message", "field" } }` with the GraphQL
//! codes and their statuses, fields named in snake_case, unknown fields refused by name, the
//! transport's own refusals (415, 413, 429) in the same shape, and `Idempotency-Key`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Options, TestApp};
use crate::on_both_databases;
use crate::payments::support::default_listing;
use crate::rest::{call, call_as, expect, record_flight, register};

on_both_databases!(
    every_error_has_its_code_status_and_field,
    conflicts_expiry_and_supply_have_their_statuses,
    idempotency_keys_replay_rest_writes,
);
on_both_databases!(options = stripe_unreachable; an_unreachable_provider_is_a_502);
on_both_databases!(options = one_request_a_second; rest_requests_share_the_rate_limits);

fn stripe_unreachable() -> Options {
    let mut options = Options::default();
    options.payments.stripe_secret_key = Some(contrail::config::Secret::new("sk_test_unreachable"));
    options.payments.stripe_webhook_secret = Some(contrail::config::Secret::new("whsec_test"));
    // Nothing listens on port 1.
    options.payments.stripe_api_base = Some("http://127.0.0.1:1/".into());
    options
}

fn one_request_a_second() -> Options {
    let mut options = Options::default();
    options.security.rate_limits = contrail::config::RateLimits {
        per_key: std::num::NonZeroU32::new(1).unwrap(),
        per_address: std::num::NonZeroU32::new(1000).unwrap(),
        burst_secs: std::num::NonZeroU32::new(1).unwrap(),
    };
    options
}

/// Asserts an error answer: status, code and field.
fn refused(answer: &(u16, Value), status: u16, code: &str, field: Option<&str>) {
    let (got, body) = answer;
    assert_eq!(*got, status, "{body:#}");
    assert_eq!(body["error"]["code"], code, "{body:#}");
    assert_eq!(body["error"]["field"].as_str(), field, "{body:#}");
    assert!(body["error"]["message"].is_string(), "{body:#}");
}

async fn every_error_has_its_code_status_and_field(app: TestApp) {
    let fleet = json!({ "tail_number": "N123AB", "model_code": "E55P" });
    let anonymous = call_as(&app, None, Method::POST, "/api/fleet", Some(fleet.clone())).await;
    refused(&anonymous, 401, "UNAUTHENTICATED", None);
    let bad_key = call_as(&app, Some("ctr_nope"), Method::GET, "/api/fleet", None).await;
    refused(&bad_key, 401, "UNAUTHENTICATED", None);

    // Unknown fields are refused by name, nested ones by their path.
    let colour = json!({ "tail_number": "N123AB", "model_code": "E55P", "colour": "red" });
    let answer = call(&app, Method::POST, "/api/fleet", Some(colour)).await;
    refused(&answer, 400, "BAD_USER_INPUT", Some("colour"));
    assert!(
        answer.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("colour")
    );
    let nested = json!({ "asset_price_source_id": "x", "quantity_tonnes": "1",
        "metadata": { "beneficiary_name": "Jane", "tip": 5 },
        "success_url": "https://a.example", "cancel_url": "https://a.example" });
    let answer = call(&app, Method::POST, "/checkout", Some(nested)).await;
    refused(&answer, 400, "BAD_USER_INPUT", Some("metadata.tip"));
    // A rule of the domain on a nested field names it by its path too.
    let (listing, _) = default_listing(&app).await;
    let blank = json!({ "asset_price_source_id": listing, "quantity_tonnes": "1",
        "metadata": { "beneficiary_name": " " },
        "success_url": "https://a.example", "cancel_url": "https://a.example" });
    let answer = call(&app, Method::POST, "/checkout", Some(blank)).await;
    refused(
        &answer,
        400,
        "BAD_USER_INPUT",
        Some("metadata.beneficiary_name"),
    );
    assert_eq!(
        answer.1["error"]["message"],
        "metadata.beneficiary_name: must not be empty"
    );
    assert_eq!(
        app.count_rows("aircraft").await,
        0,
        "bad input writes nothing"
    );

    // Types, missing fields and the domain's own rules, each naming its field in snake_case.
    let cases = [
        (
            "/api/emissions/estimate",
            json!({ "tail_number": "N123AB", "duration_minutes": "ninety" }),
            "duration_minutes",
        ),
        ("/api/fleet", json!({ "model_code": "E55P" }), "tail_number"),
        (
            "/api/fleet",
            json!({ "tail_number": "N123AB", "model_code": "E55P", "fuel_type": "DIESEL" }),
            "fuel_type",
        ),
        (
            "/api/fleet",
            json!({ "tail_number": "not a tail", "model_code": "E55P" }),
            "tail_number",
        ),
        (
            "/api/fleet",
            json!({ "tail_number": "N123AB", "model_code": "ZZZZ" }),
            "model_code",
        ),
        (
            "/api/emissions/estimate",
            json!({ "tail_number": "N123AB", "duration_minutes": 0 }),
            "duration_minutes",
        ),
        (
            "/api/provisions",
            json!({ "quantity_tonnes": 1, "beneficiary_name": "Jane" }),
            "quantity_tonnes",
        ),
        (
            "/api/provisions",
            json!({ "quantity_tonnes": "0.0000001", "beneficiary_name": "Jane" }),
            "quantity_tonnes",
        ),
        (
            "/api/provisions/checkout",
            json!({ "emission_ids": [], "offset_percentage": 100 }),
            "emission_ids",
        ),
    ];
    for (path, body, field) in cases {
        let answer = call(&app, Method::POST, path, Some(body.clone())).await;
        refused(&answer, 400, "BAD_USER_INPUT", Some(field));
        assert!(
            answer.1["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(field),
            "{path} {body}: {:#}",
            answer.1
        );
    }
    // Messages name other fields in the same spelling.
    let answer = call(
        &app,
        Method::POST,
        "/api/provisions",
        Some(json!({ "emission_ids": ["x"], "beneficiary_name": "Jane" })),
    )
    .await;
    refused(&answer, 400, "BAD_USER_INPUT", Some("offset_percentage"));
    assert_eq!(
        answer.1["error"]["message"],
        "offset_percentage: is required with `emission_ids`"
    );

    // Not JSON, not an object, not declared JSON.
    let raw = |body: &'static str, content_type: &'static str| {
        app.client()
            .post(app.url("/api/fleet"))
            .bearer_auth(&app.key_a)
            .header("content-type", content_type)
            .body(body)
    };
    let answer = raw("{", "application/json").send().await.unwrap();
    assert_eq!(answer.status(), 400);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"]["code"], "BAD_REQUEST");
    let answer = raw("[]", "application/json").send().await.unwrap();
    assert_eq!(answer.status(), 400);
    let answer = raw(r#"{"tail_number":"N1"}"#, "text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 415);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"]["code"], "UNSUPPORTED_MEDIA_TYPE");

    // Larger than the GraphQL body limit.
    let huge = json!({ "tail_number": "N123AB", "model_code": "x".repeat(1_100_000) });
    let answer = call(&app, Method::POST, "/api/fleet", Some(huge)).await;
    refused(&answer, 413, "PAYLOAD_TOO_LARGE", None);

    // Unknown, foreign or malformed ids name nothing.
    register(&app, "N123AB").await;
    let emission = record_flight(&app, "N123AB").await;
    let path = format!("/api/emissions/{}", emission["id"].as_str().unwrap());
    for (key, path) in [
        (&app.key_b, path.as_str()),
        (&app.key_a, "/api/emissions/RW1pc3Npb246OTk5"),
        (&app.key_a, "/api/emissions/%F0%9F%9B%A9"),
        (&app.key_a, "/api/provisions/not-an-id"),
        (&app.key_a, "/payments/UGF5bWVudDo0Mg"),
    ] {
        let answer = call_as(&app, Some(key), Method::GET, path, None).await;
        refused(&answer, 404, "NOT_FOUND", None);
    }
    let link = json!({ "emission_ids": [emission["id"]] });
    let answer = call(
        &app,
        Method::PUT,
        "/api/provisions/nope/emissions",
        Some(link),
    )
    .await;
    refused(&answer, 404, "NOT_FOUND", None);

    // Pages.
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("cursor=garbage", "cursor"),
    ] {
        let answer = call(&app, Method::GET, &format!("/api/emissions?{query}"), None).await;
        refused(&answer, 400, "BAD_USER_INPUT", Some(field));
    }
}

async fn conflicts_expiry_and_supply_have_their_statuses(app: TestApp) {
    register(&app, "N123AB").await;
    let again = call(
        &app,
        Method::POST,
        "/api/fleet",
        Some(json!({ "tail_number": "N123AB", "model_code": "E55P" })),
    )
    .await;
    refused(&again, 409, "CONFLICT", None);

    // An external reference names what it made first.
    let flight = json!({ "tail_number": "N123AB", "duration_minutes": 60,
        "external_reference": "TRIP-1" });
    let first = expect(
        &app,
        Method::POST,
        "/api/emissions",
        Some(flight.clone()),
        201,
    )
    .await;
    let retried = expect(&app, Method::POST, "/api/emissions", Some(flight), 200).await;
    assert_eq!(
        retried["id"], first["id"],
        "a retry answers the recorded emission"
    );
    let other = json!({ "tail_number": "N123AB", "duration_minutes": 61,
        "external_reference": "TRIP-1" });
    let answer = call(&app, Method::POST, "/api/emissions", Some(other)).await;
    refused(&answer, 409, "CONFLICT", None);
    assert_eq!(answer.1["error"]["existing_id"], first["id"]);

    let (listing, available) = default_listing(&app).await;
    let quote = json!({ "asset_price_source_id": listing, "quantity_tonnes": "1" });
    let quote = expect(&app, Method::POST, "/quotes", Some(quote), 201).await;
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared("UPDATE quotes SET expires_at = created_at")
        .await
        .unwrap();
    let checkout = json!({ "quote_id": quote["id"], "metadata": { "beneficiary_name": "Jane" },
        "success_url": "https://shop.example/paid", "cancel_url": "https://shop.example/cart" });
    let answer = call(&app, Method::POST, "/checkout", Some(checkout)).await;
    refused(&answer, 410, "QUOTE_EXPIRED", None);

    let more: rust_decimal::Decimal = available.parse().unwrap();
    let too_much = json!({ "asset_price_source_id": listing,
        "quantity_tonnes": (more + rust_decimal::Decimal::ONE).to_string() });
    let answer = call(&app, Method::POST, "/quotes", Some(too_much)).await;
    refused(&answer, 422, "INSUFFICIENT_SUPPLY", None);
}

async fn idempotency_keys_replay_rest_writes(app: TestApp) {
    let send = |key: &'static str, tail: &'static str| {
        app.client()
            .post(app.url("/api/fleet"))
            .bearer_auth(&app.key_a)
            .header("idempotency-key", key)
            .json(&json!({ "tail_number": tail, "model_code": "E55P" }))
            .send()
    };
    let first = send("key-1", "N123AB").await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let replay = send("key-1", "N123AB").await.unwrap();
    assert_eq!(replay.status(), 201);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(
        replay, first,
        "the first answer, not a conflict on the tail number"
    );
    let other = send("key-1", "N999ZZ").await.unwrap();
    assert_eq!(other.status(), 409);
    let other: Value = other.json().await.unwrap();
    assert_eq!(other["error"]["code"], "CONFLICT");
    assert_eq!(app.count_rows("aircraft").await, 1);
}

async fn an_unreachable_provider_is_a_502(app: TestApp) {
    let (listing, _) = default_listing(&app).await;
    let body = json!({ "asset_price_source_id": listing, "quantity_tonnes": "1",
        "metadata": { "beneficiary_name": "Jane" },
        "success_url": "https://shop.example/paid", "cancel_url": "https://shop.example/cart" });
    let answer = call(&app, Method::POST, "/checkout", Some(body)).await;
    refused(&answer, 502, "PAYMENT_PROVIDER_ERROR", None);
    assert_eq!(app.count_rows("payments").await, 0, "nothing kept");
}

async fn rest_requests_share_the_rate_limits(app: TestApp) {
    // The one request a second this key may send goes to GraphQL; REST is then refused.
    app.ok("{ fleet { totalCount } }", json!({})).await;
    let response = app
        .client()
        .get(app.url("/api/fleet"))
        .bearer_auth(&app.key_a)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "RATE_LIMITED");
}
