//! graphql-transport-ws as its protocol says: each close code provoked by a raw client, close
//! reasons that fit a close frame, pings both ways, and the limits of a connection.

use std::time::Duration;

use contrail::config::HttpLimits;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::{Client, FOLLOW, error_code};
use crate::helpers::{Backend, Options, TestApp};
use crate::payments::support::{checkout, checkout_input, default_listing};

async fn spawn(limits: HttpLimits) -> TestApp {
    let options = Options {
        http_limits: limits,
        ..Options::default()
    };
    TestApp::spawn_with(Backend::Sqlite, options).await
}

/// A payment that stays `PENDING`: something to follow for as long as a test needs.
async fn pending_payment(app: &TestApp) -> Value {
    let (listing, _) = default_listing(app).await;
    checkout(app, checkout_input(&listing, "1")).await["payment"]["id"].clone()
}

async fn transport_ws(app: &TestApp) -> Client {
    Client::connect(&app.address, "graphql-transport-ws").await
}

fn init(app: &TestApp) -> Value {
    json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", app.key_a) } })
}

#[tokio::test]
async fn each_protocol_violation_closes_with_its_code() {
    let app = spawn(HttpLimits {
        ws_init_timeout: Duration::from_millis(500),
        ..HttpLimits::default()
    })
    .await;
    let payment = pending_payment(&app).await;

    // 4400: not JSON, an unknown type, a malformed subscribe, a binary frame.
    for text in [
        "not json",
        r#"{"type":"start","id":"1","payload":{"query":"{ __typename }"}}"#,
        r#"{"type":"subscribe","id":"1"}"#,
    ] {
        let mut client = Client::initialised(&app.address, json!({})).await;
        client.send_text(text).await;
        assert_eq!(client.closed().await.0, 4400, "{text}");
    }

    // 4401: subscribing before the connection is acknowledged.
    let mut client = transport_ws(&app).await;
    client.subscribe("1", "{ __typename }", json!({})).await;
    assert_eq!(client.closed().await, (4401, "Unauthorized".into()));

    // 4403: an API key that is not valid.
    let mut client = transport_ws(&app).await;
    client
        .send(
            json!({ "type": "connection_init", "payload": { "Authorization": "Bearer ctr_nope" } }),
        )
        .await;
    assert_eq!(client.closed().await, (4403, "Forbidden".into()));

    // 4408: no connection_init in time.
    let mut client = transport_ws(&app).await;
    assert_eq!(
        client.closed().await,
        (4408, "Connection initialisation timeout".into())
    );

    // 4409: an operation id already running; its reason cut to fit a close frame.
    let mut client = Client::with_key(&app.address, &app.key_a).await;
    let long_id = "x".repeat(300);
    let variables = json!({ "id": payment });
    client.subscribe(&long_id, FOLLOW, variables.clone()).await;
    client.next().await;
    client.subscribe(&long_id, FOLLOW, variables).await;
    let (code, reason) = client.closed().await;
    assert_eq!(code, 4409);
    assert!(reason.starts_with("Subscriber for xxx"), "{reason}");

    // 4429: a second connection_init.
    let mut client = transport_ws(&app).await;
    client.send(init(&app)).await;
    assert_eq!(client.next().await["type"], "connection_ack");
    client.send(init(&app)).await;
    assert_eq!(
        client.closed().await,
        (4429, "Too many initialisation requests".into())
    );
}

#[tokio::test]
async fn pings_are_answered_and_idle_connections_kept_alive() {
    let app = spawn(HttpLimits {
        ws_ping_interval: Duration::from_millis(300),
        ..HttpLimits::default()
    })
    .await;
    let mut client = Client::with_key(&app.address, &app.key_a).await;
    client
        .send(json!({ "type": "ping", "payload": { "at": 1 } }))
        .await;
    assert_eq!(client.next().await["type"], "pong");
    let ping = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Some(Ok(Message::Ping(_))) = client_frame(&mut client).await {
                return;
            }
        }
    })
    .await;
    assert!(ping.is_ok(), "the server pings an idle connection");
}

async fn client_frame(
    client: &mut Client,
) -> Option<Result<Message, tokio_tungstenite::tungstenite::Error>> {
    client.socket.next().await
}

#[tokio::test]
async fn a_connection_runs_a_bounded_number_of_operations() {
    let app = spawn(HttpLimits {
        ws_max_subscriptions: 2,
        ..HttpLimits::default()
    })
    .await;
    let payment = pending_payment(&app).await;
    let mut client = Client::with_key(&app.address, &app.key_a).await;
    for id in ["1", "2"] {
        client.subscribe(id, FOLLOW, json!({ "id": payment })).await;
        assert_eq!(client.next().await["type"], "next");
    }
    client
        .subscribe("3", FOLLOW, json!({ "id": payment }))
        .await;
    let refused = client.next().await;
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["id"], "3");
    assert_eq!(error_code(&refused), "TOO_MANY_SUBSCRIPTIONS");
    // Completing one makes room.
    client.send(json!({ "id": "1", "type": "complete" })).await;
    client
        .subscribe("3", FOLLOW, json!({ "id": payment }))
        .await;
    let next = client.next().await;
    assert_eq!(next["type"], "next", "{next}");
}

#[tokio::test]
async fn an_organization_holds_a_bounded_number_of_connections() {
    let app = spawn(HttpLimits {
        ws_max_connections_per_org: 2,
        ..HttpLimits::default()
    })
    .await;
    let first = Client::with_key(&app.address, &app.key_a).await;
    let _second = Client::with_key(&app.address, &app.key_a).await;
    let mut third = transport_ws(&app).await;
    third.send(init(&app)).await;
    let (code, reason) = third.closed().await;
    assert_eq!(code, 1013, "{reason}");
    assert!(reason.contains("too many connections"), "{reason}");
    // Another organization is not affected, and a closed connection makes room.
    let _bravo = Client::with_key(&app.address, &app.key_b).await;
    drop(first);
    let mut admitted = None;
    for _ in 0..50 {
        let mut client = transport_ws(&app).await;
        client.send(init(&app)).await;
        match client.next_or_close().await {
            Ok(ack) if ack["type"] == "connection_ack" => {
                admitted = Some(client);
                break;
            }
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    assert!(admitted.is_some(), "a slot was freed");
}
