use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{Backend, Options, TestApp, error_code};

async fn spawn() -> TestApp {
    TestApp::spawn(Backend::Sqlite).await
}

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn().await;
    for path in ["/healthz", "/readyz"] {
        let response = app.client().get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn graphiql_is_served_without_any_external_host() {
    let app = spawn().await;
    let response = app.client().get(app.url("/graphql")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("graphiql"), "{html}");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "references an external host: {html}"
    );
    for (asset, content_type) in [
        ("graphiql.js", "text/javascript"),
        ("graphiql.css", "text/css"),
    ] {
        let response = app
            .client()
            .get(app.url(&format!("/graphql/assets/{asset}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(content_type)
        );
        let body = response.text().await.unwrap();
        assert!(body.len() > 10_000, "{asset} is the real bundle");
        assert!(
            !body.contains("@import url(http"),
            "{asset} loads nothing from the network"
        );
    }
    let missing = app
        .client()
        .get(app.url("/graphql/assets/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn get_runs_queries_but_not_mutations() {
    let app = spawn().await;
    let response = app
        .client()
        .get(app.url("/graphql"))
        .query(&[("query", "{ aircraftModels(search: \"E55P\") { code } }")])
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["aircraftModels"][0]["code"], "E55P");

    let response = app
        .client()
        .get(app.url("/graphql"))
        .bearer_auth(&app.key_a)
        .query(&[("query", "mutation { registerAircraft(input: { tailNumber: \"N1\", modelCode: \"E55P\" }) { aircraft { id } } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(app.count_rows("aircraft").await, 0);
}

#[tokio::test]
async fn every_error_has_a_code() {
    let app = spawn().await;
    let parse = app.graphql("{ fleet { ", json!({})).await;
    assert_eq!(error_code(&parse).0, "GRAPHQL_PARSE_FAILED");
    let validation = app.graphql("{ noSuchField }", json!({})).await;
    assert_eq!(error_code(&validation).0, "GRAPHQL_VALIDATION_FAILED");
    let coercion = app
        .graphql(
            "query($n: Int!) { emissions(first: $n) { totalCount } }",
            json!({ "n": "ten" }),
        )
        .await;
    assert!(!error_code(&coercion).0.is_empty(), "{coercion}");
    // A document that holds no operation of the name asked for, or several and none named.
    let two = "query A { fleet { totalCount } } query B { fleet { totalCount } }";
    for body in [
        json!({ "query": two, "operationName": "C" }),
        json!({ "query": two }),
    ] {
        let answer: Value = app
            .client()
            .post(app.url("/graphql"))
            .bearer_auth(&app.key_a)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            error_code(&answer).0,
            "GRAPHQL_VALIDATION_FAILED",
            "{answer}"
        );
    }
    // Connection arguments async-graphql checks itself, in a resolver.
    let both = app
        .graphql("{ emissions(first: 1, last: 1) { totalCount } }", json!({}))
        .await;
    assert_eq!(error_code(&both).0, "BAD_USER_INPUT", "{both}");
}

/// Opens a WebSocket on `/graphql` with `protocol` and sends `connection_init` with A's key.
async fn connect(
    app: &TestApp,
    protocol: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let mut request = app
        .url("/graphql")
        .replace("http://", "ws://")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", protocol.parse().unwrap());
    let (mut socket, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("WebSocket upgrade");
    assert_eq!(response.headers()["sec-websocket-protocol"], protocol);
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", app.key_a) } });
    socket.send(Message::text(init.to_string())).await.unwrap();
    let ack: Value =
        serde_json::from_str(socket.next().await.unwrap().unwrap().to_text().unwrap()).unwrap();
    assert_eq!(ack["type"], "connection_ack");
    socket
}

async fn next_json(
    socket: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> Value {
    loop {
        match socket.next().await.unwrap().unwrap() {
            Message::Text(text) => return serde_json::from_str(&text).unwrap(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected message {other:?}"),
        }
    }
}

#[tokio::test]
async fn websocket_speaks_both_protocols_and_authenticates_in_connection_init() {
    let app = spawn().await;
    app.register("N123AB").await;
    for (protocol, subscribe, next) in [
        ("graphql-transport-ws", "subscribe", "next"),
        ("graphql-ws", "start", "data"),
    ] {
        let mut socket = connect(&app, protocol).await;
        let message = json!({ "id": "1", "type": subscribe, "payload": { "query": "{ fleet { nodes { tailNumber } } }" } });
        socket
            .send(Message::text(message.to_string()))
            .await
            .unwrap();
        let reply = next_json(&mut socket).await;
        assert_eq!(reply["type"], next, "{protocol}: {reply}");
        assert_eq!(
            reply["payload"]["data"]["fleet"]["nodes"][0]["tailNumber"],
            "N123AB"
        );
        assert_eq!(next_json(&mut socket).await["type"], "complete");
    }
}

#[tokio::test]
async fn production_mode_hides_graphiql_and_introspection() {
    let options = Options {
        mode: contrail::config::Mode::Production,
        ..Options::default()
    };
    let app = TestApp::spawn_with(Backend::Sqlite, options).await;
    let response = app.client().get(app.url("/graphql")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let body = app
        .graphql("{ __schema { types { name } } }", json!({}))
        .await;
    assert!(
        body["data"]["__schema"].is_null(),
        "introspection answers nothing: {body}"
    );
    let body = app
        .graphql("{ aircraftModels(search: \"E55P\") { code } }", json!({}))
        .await;
    assert_eq!(body["data"]["aircraftModels"][0]["code"], "E55P");
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode() {
    let app = spawn().await;
    let statement =
        sea_orm::Statement::from_string(sea_orm::DbBackend::Sqlite, "PRAGMA journal_mode");
    let row = sea_orm::ConnectionTrait::query_one_raw(&app.db, statement)
        .await
        .unwrap()
        .unwrap();
    let mode: String = row.try_get("", "journal_mode").unwrap();
    assert_eq!(mode, "wal");
}
