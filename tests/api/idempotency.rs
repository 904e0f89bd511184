//! `Idempotency-Key`: a retry answers the first response without running again, another
//! request under the key is refused, concurrent retries run once, and a day later the key is
//! free again.

use futures_util::future::join_all;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::on_both_databases;

on_both_databases!(
    a_retry_answers_the_first_response,
    concurrent_requests_with_one_key_run_once,
);

const PROVISION: &str = "mutation($name: String!) { createProvision(input: { quantityTonnes: \"1\", beneficiaryName: $name }) { provision { id } } }";

async fn send(app: &TestApp, key: &str, name: &str) -> (u16, Option<String>, Value) {
    let response = app
        .client()
        .post(app.url("/graphql"))
        .bearer_auth(&app.key_a)
        .header("idempotency-key", key)
        .json(&json!({ "query": PROVISION, "variables": { "name": name } }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let replayed = response
        .headers()
        .get("idempotent-replayed")
        .map(|value| value.to_str().unwrap().to_owned());
    (status, replayed, response.json().await.unwrap())
}

async fn a_retry_answers_the_first_response(app: TestApp) {
    let (status, replayed, first) = send(&app, "order-42", "Jane").await;
    assert_eq!((status, replayed), (200, None), "{first}");
    let (status, replayed, again) = send(&app, "order-42", "Jane").await;
    assert_eq!((status, replayed.as_deref()), (200, Some("true")));
    assert_eq!(again, first, "the stored response, byte for byte");
    assert_eq!(app.count_rows("provisions").await, 1, "ran once");

    let (status, _, other) = send(&app, "order-42", "Someone else").await;
    assert_eq!(status, 409, "{other}");
    assert_eq!(other["errors"][0]["extensions"]["code"], "CONFLICT");
    assert_eq!(app.count_rows("provisions").await, 1);

    // Keys belong to an organization: another one may use the same key.
    let response = app
        .client()
        .post(app.url("/graphql"))
        .bearer_auth(&app.key_b)
        .header("idempotency-key", "order-42")
        .json(&json!({ "query": PROVISION, "variables": { "name": "Bravo" } }))
        .send()
        .await
        .unwrap();
    assert!(response.headers().get("idempotent-replayed").is_none());
    assert_eq!(app.count_rows("provisions").await, 2);

    // A malformed key is refused, naming the header.
    let (status, _, refused) = send(&app, "two words", "Jane").await;
    assert_eq!(status, 400);
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Idempotency-Key:"),
        "{refused}"
    );

    // A day later the key is free again.
    app.db
        .execute_unprepared("UPDATE idempotency_keys SET expires_at = created_at")
        .await
        .unwrap();
    let (status, replayed, later) = send(&app, "order-42", "Someone else").await;
    assert_eq!((status, replayed), (200, None), "{later}");
    assert_eq!(app.count_rows("provisions").await, 3);
}

async fn concurrent_requests_with_one_key_run_once(app: TestApp) {
    let answers = join_all((0..10).map(|_| send(&app, "burst-1", "Jane"))).await;
    for (status, _, body) in &answers {
        assert_eq!(*status, 200, "{body}");
    }
    let first = &answers[0].2;
    assert!(
        answers.iter().all(|(_, _, body)| body == first),
        "one response for all"
    );
    let replays = answers
        .iter()
        .filter(|(_, replayed, _)| replayed.is_some())
        .count();
    assert_eq!(replays, 9, "one ran, nine were answered its response");
    assert_eq!(app.count_rows("provisions").await, 1);
}
