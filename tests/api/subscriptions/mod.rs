//! Live payment status over real WebSockets (SPEC §6, §9).

mod live;
mod protocol;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How long a test waits for the server to say something.
const PATIENCE: Duration = Duration::from_secs(15);

pub const FOLLOW: &str = "subscription($id: ID!) { paymentStatusChanged(paymentId: $id) {
    id status retirementStatus certificate { url } } }";

/// A raw WebSocket client, so tests see every frame the server sends.
pub struct Client {
    pub socket: Stream,
}

impl Client {
    /// Connects to `address` (`http://…`) speaking `protocol`; nothing sent yet.
    pub async fn connect(address: &str, protocol: &str) -> Client {
        let mut request = format!("{}/graphql", address.replace("http://", "ws://"))
            .into_client_request()
            .unwrap();
        request
            .headers_mut()
            .insert("sec-websocket-protocol", protocol.parse().unwrap());
        let (socket, response) = tokio_tungstenite::connect_async(request)
            .await
            .expect("WebSocket upgrade");
        assert_eq!(response.headers()["sec-websocket-protocol"], protocol);
        Client { socket }
    }

    /// Connects with `graphql-transport-ws`, sends `connection_init` with `payload` and waits
    /// for the acknowledgement.
    pub async fn initialised(address: &str, payload: Value) -> Client {
        let mut client = Client::connect(address, "graphql-transport-ws").await;
        client
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        assert_eq!(client.next().await["type"], "connection_ack");
        client
    }

    /// As an organization.
    pub async fn with_key(address: &str, key: &str) -> Client {
        Client::initialised(address, json!({ "Authorization": format!("Bearer {key}") })).await
    }

    pub async fn send(&mut self, message: Value) {
        self.send_text(&message.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.socket.send(Message::text(text)).await.unwrap();
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// The next protocol message (pings and pongs skipped).
    pub async fn next(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(PATIENCE, self.socket.next())
                .await
                .expect("the server said something in time");
            match frame {
                Some(Ok(Message::Text(text))) => return serde_json::from_str(&text).unwrap(),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => panic!("expected a message, got {other:?}"),
            }
        }
    }

    /// The next protocol message, or the close code if the server closed instead.
    pub async fn next_or_close(&mut self) -> Result<Value, u16> {
        loop {
            let frame = tokio::time::timeout(PATIENCE, self.socket.next())
                .await
                .expect("the server said something in time");
            match frame {
                Some(Ok(Message::Text(text))) => return Ok(serde_json::from_str(&text).unwrap()),
                Some(Ok(Message::Close(frame))) => {
                    return Err(frame.map_or(1005, |frame| frame.code.into()));
                }
                Some(Ok(_)) => continue,
                other => panic!("expected a message, got {other:?}"),
            }
        }
    }

    /// Nothing but keep-alives for `quiet`.
    pub async fn silent_for(&mut self, quiet: Duration) {
        let silence = tokio::time::timeout(quiet, async {
            loop {
                match self.socket.next().await {
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    other => return other,
                }
            }
        })
        .await;
        assert!(silence.is_err(), "expected silence, got {silence:?}");
    }

    /// The `next` payloads of operation `id` until it completes.
    pub async fn until_complete(&mut self, id: &str) -> Vec<Value> {
        let mut payloads = Vec::new();
        loop {
            let message = self.next().await;
            assert_eq!(message["id"], id, "{message}");
            match message["type"].as_str() {
                Some("next") => payloads.push(message["payload"].clone()),
                Some("complete") => return payloads,
                _ => panic!("unexpected {message}"),
            }
        }
    }

    /// Waits for the server to close the connection; its code and reason.
    pub async fn closed(&mut self) -> (u16, String) {
        loop {
            let frame = tokio::time::timeout(PATIENCE, self.socket.next())
                .await
                .expect("the server closed the connection in time");
            match frame {
                Some(Ok(Message::Close(Some(frame)))) => {
                    let reason = frame.reason.to_string();
                    assert!(
                        reason.len() <= 123,
                        "a close reason fits a close frame: {} bytes",
                        reason.len()
                    );
                    return (frame.code.into(), reason);
                }
                Some(Ok(Message::Close(None))) => panic!("closed without a code"),
                Some(Ok(_)) => continue,
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    }
}

/// `(status, retirementStatus)` of each payment in `payloads`.
pub fn states(payloads: &[Value], field: &str) -> Vec<(String, String)> {
    payloads
        .iter()
        .map(|payload| {
            let payment = &payload["data"][field];
            (
                payment["status"].as_str().unwrap_or_default().to_owned(),
                payment["retirementStatus"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect()
}

/// The `extensions.code` of an operation's first error, whether it came as `next` with
/// errors or as `error`.
pub fn error_code(message: &Value) -> String {
    let error = match message["type"].as_str() {
        Some("next") => &message["payload"]["errors"][0],
        Some("error") => &message["payload"][0],
        _ => panic!("not an error: {message}"),
    };
    error["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

pub fn state(status: &str, retirement: &str) -> (String, String) {
    (status.to_owned(), retirement.to_owned())
}
