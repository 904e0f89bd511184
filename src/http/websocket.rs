//! GraphQL over WebSocket: `graphql-transport-ws` exactly as its protocol says, and the legacy
//! `graphql-ws` (subscriptions-transport-ws) as before.
//!
//! async-graphql runs the operations; this layer stands between it and the socket, because
//! its protocol handling gets close codes wrong (1002/1011 where the protocol says 4400, 4401,
//! 4403; no 4408 or 4409; close reasons longer than a close frame may carry). Every client
//! message is checked here first; only valid ones reach async-graphql, after
//! `connection_init` was authenticated here. The layer also bounds what a connection holds
//! (operations, buffered messages, connections per organization), pings idle connections so
//! proxies keep them, and says "going away" (1001) on shutdown.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_graphql::Data;
use async_graphql::http::{
    ClientMessage, WebSocket as GraphQLSocket, WebSocketProtocols as Protocols, WsMessage,
};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::HttpState;
use super::sockets::Admission;
use crate::api::context::Viewer;

/// How long a client may take to accept a message before it is dropped: a client that stops
/// reading cannot make the server buffer for it.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Client messages read ahead of async-graphql; beyond, the client's socket is not read.
const READ_AHEAD: usize = 16;
/// RFC 6455: a close frame carries at most 125 bytes, two of them the code.
const MAX_CLOSE_REASON: usize = 123;

/// The subprotocol a client asks for (the first one we speak).
pub fn protocol(headers: &axum::http::HeaderMap) -> Option<Protocols> {
    headers
        .get(axum::http::header::SEC_WEBSOCKET_PROTOCOL)?
        .to_str()
        .ok()?
        .split(',')
        .find_map(|protocol| protocol.trim().parse().ok())
}

/// Serves one upgraded connection until the client leaves, breaks the protocol, or the
/// server shuts down.
pub async fn serve(state: HttpState, socket: WebSocket, protocol: Protocols) {
    let _live = crate::telemetry::metrics::Live::start("contrail_websocket_connections");
    let closing = state.sockets.closing.clone();
    let limits = state.app.config.http_limits;
    let (mut sink, mut incoming) = socket.split();
    let (forward, mut forwarded) = mpsc::channel::<serde_json::Result<ClientMessage>>(READ_AHEAD);
    let prepared: Arc<Mutex<Option<Data>>> = Arc::default();
    let input = futures_util::stream::poll_fn(move |cx| forwarded.poll_recv(cx));
    let mut graphql = {
        let prepared = prepared.clone();
        GraphQLSocket::from_message_stream(state.graphql.clone(), input, protocol)
            .on_connection_init(move |_| async move {
                let data = prepared
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                data.ok_or_else(|| async_graphql::Error::new("not authenticated"))
            })
    };
    let mut session = Session {
        state,
        protocol,
        prepared,
        initialised: false,
        init_received: false,
        active: HashSet::new(),
        _admission: None,
    };
    let init_deadline = tokio::time::sleep(limits.ws_init_timeout);
    tokio::pin!(init_deadline);
    // Pings keep an idle connection open through proxies.
    let mut ping = tokio::time::interval_at(
        tokio::time::Instant::now() + limits.ws_ping_interval,
        limits.ws_ping_interval,
    );
    let close = loop {
        tokio::select! {
            biased;
            () = closing.cancelled() => break Some(Close::GOING_AWAY),
            () = &mut init_deadline, if !session.init_received => break Some(Close::INIT_TIMEOUT),
            message = incoming.next(), if forward.capacity() > 0 => {
                let text = match message {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Binary(_))) => break Some(session.invalid("binary messages are not part of the protocol")),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break None,
                };
                match session.receive(&text).await {
                    Step::Forward(message) => {
                        // Room was checked before reading.
                        if forward.try_send(Ok(*message)).is_err() {
                            break None;
                        }
                    }
                    Step::Reply(reply) => {
                        if !send(&mut sink, Message::Text(reply.into())).await {
                            break None;
                        }
                    }
                    Step::Close(close) => break Some(close),
                }
            }
            outgoing = graphql.next() => match outgoing {
                Some(WsMessage::Text(text)) => {
                    if !session.sent(&text) {
                        continue;
                    }
                    if !send(&mut sink, Message::Text(text.into())).await {
                        break None;
                    }
                }
                Some(WsMessage::Close(code, reason)) => break Some(Close { code, reason: reason.into() }),
                None => break None,
            },
            _ = ping.tick() => {
                if !send(&mut sink, Message::Ping(Default::default())).await {
                    break None;
                }
            }
        }
    };
    if let Some(close) = close {
        let frame = CloseFrame {
            code: close.code,
            reason: Utf8Bytes::from(truncate(&close.reason, MAX_CLOSE_REASON)),
        };
        send(&mut sink, Message::Close(Some(frame))).await;
    }
}

/// Sends within [`SEND_TIMEOUT`]; whether the client took it.
async fn send(sink: &mut SplitSink<WebSocket, Message>, message: Message) -> bool {
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, sink.send(message)).await,
        Ok(Ok(()))
    )
}

/// A close code and its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Close {
    code: u16,
    reason: std::borrow::Cow<'static, str>,
}

impl Close {
    const GOING_AWAY: Close = Close::new(1001, "the server is shutting down");
    const TRY_AGAIN_LATER: Close = Close::new(
        1013,
        "too many connections for this organization; try again later",
    );
    const INVALID: Close = Close::new(4400, "Invalid message received");
    const UNAUTHORIZED: Close = Close::new(4401, "Unauthorized");
    const FORBIDDEN: Close = Close::new(4403, "Forbidden");
    const INIT_TIMEOUT: Close = Close::new(4408, "Connection initialisation timeout");
    const TOO_MANY_INITS: Close = Close::new(4429, "Too many initialisation requests");

    const fn new(code: u16, reason: &'static str) -> Close {
        Close {
            code,
            reason: std::borrow::Cow::Borrowed(reason),
        }
    }
}

/// What to do with a client message.
enum Step {
    Forward(Box<ClientMessage>),
    Reply(String),
    Close(Close),
}

struct Session {
    state: HttpState,
    protocol: Protocols,
    /// The authenticated connection's data, handed to async-graphql at `connection_init`.
    prepared: Arc<Mutex<Option<Data>>>,
    init_received: bool,
    initialised: bool,
    /// Operations running, by id.
    active: HashSet<String>,
    _admission: Option<Admission>,
}

/// Just enough of a server message to know which operation ended.
#[derive(Deserialize)]
struct Outgoing<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    #[serde(borrow)]
    id: Option<&'a str>,
}

impl Session {
    fn exact(&self) -> bool {
        self.protocol == Protocols::GraphQLWS
    }

    /// A message the protocol does not allow: 4400 (the legacy protocol has no such code and
    /// closed with 1002).
    fn invalid(&self, why: &str) -> Close {
        if self.exact() {
            Close::INVALID
        } else {
            Close {
                code: 1002,
                reason: why.to_owned().into(),
            }
        }
    }

    async fn receive(&mut self, text: &str) -> Step {
        let Ok(value) = serde_json::from_str::<Value>(text) else {
            return Step::Close(self.invalid("the message is not JSON"));
        };
        let kind = value
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let allowed: &[&str] = if self.exact() {
            &["connection_init", "ping", "pong", "subscribe", "complete"]
        } else {
            &["connection_init", "start", "stop", "connection_terminate"]
        };
        if !allowed.contains(&kind) {
            return Step::Close(self.invalid("unknown message type"));
        }
        // Not a field of the request async-graphql reads: taken before it is dropped.
        let document_id = value
            .pointer("/payload/documentId")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let Ok(message) = serde_json::from_value::<ClientMessage>(value) else {
            return Step::Close(self.invalid("malformed message"));
        };
        match message {
            ClientMessage::ConnectionInit { payload } => self.initialise(payload).await,
            ClientMessage::Start { id, mut payload } => {
                if !self.initialised {
                    return Step::Close(Close::UNAUTHORIZED);
                }
                let trusted = self.state.app.config.security.trusted_documents.as_ref();
                let resolved =
                    self.state
                        .documents
                        .resolve(trusted, &mut payload, document_id.as_deref());
                if let Err(refusal) = resolved {
                    return Step::Reply(self.refusal(&id, refusal.code(), refusal.message()));
                }
                if self.active.contains(&id) {
                    if self.exact() {
                        return Step::Close(Close {
                            code: 4409,
                            reason: format!("Subscriber for {id} already exists").into(),
                        });
                    }
                    return Step::Reply(self.refusal(
                        &id,
                        "DUPLICATE_OPERATION_ID",
                        "an operation with this id is running",
                    ));
                }
                let limit = self.state.app.config.http_limits.ws_max_subscriptions;
                if self.active.len() >= limit as usize {
                    let message = format!(
                        "at most {limit} operations may run on one connection; complete one first"
                    );
                    return Step::Reply(self.refusal(&id, "TOO_MANY_SUBSCRIPTIONS", &message));
                }
                self.active.insert(id.clone());
                Step::Forward(Box::new(ClientMessage::Start { id, payload }))
            }
            ClientMessage::Stop { id } => {
                self.active.remove(&id);
                Step::Forward(Box::new(ClientMessage::Stop { id }))
            }
            other => Step::Forward(Box::new(other)),
        }
    }

    /// Authenticates `connection_init`: an API key (`Authorization: Bearer …`), a payment's
    /// `clientSecret`, or nothing (public data only). An unknown key is refused (4403); an
    /// unknown client secret is not, so that subscribing answers `NOT_FOUND` as for any
    /// payment one may not see.
    async fn initialise(&mut self, payload: Option<Value>) -> Step {
        if self.init_received {
            return Step::Close(Close::TOO_MANY_INITS);
        }
        self.init_received = true;
        let payload = payload.unwrap_or(Value::Null);
        let field = |names: &[&str]| {
            names
                .iter()
                .find_map(|name| payload.get(*name).and_then(Value::as_str))
        };
        let viewer = match (
            field(&["Authorization", "authorization"]),
            field(&["clientSecret"]),
        ) {
            (Some(key), _) => match self.state.viewer(Some(key)).await {
                Ok(Viewer::Organization(organization)) => {
                    Ok((Viewer::Organization(organization), Some(organization)))
                }
                Ok(_) => return Step::Close(Close::FORBIDDEN),
                Err(error) => Err(error),
            },
            (None, Some(secret)) => {
                crate::payments::find_by_client_secret(&self.state.app.db, secret)
                    .await
                    .map(|payment| match payment {
                        Some(payment) => {
                            (Viewer::Customer(payment.id), Some(payment.organization_id))
                        }
                        None => (Viewer::Anonymous, None),
                    })
            }
            (None, None) => Ok((Viewer::Anonymous, None)),
        };
        let (viewer, organization) = match viewer {
            Ok(viewer) => viewer,
            Err(error) => {
                tracing::error!(%error, "cannot authenticate a WebSocket");
                return Step::Close(Close::new(1011, "internal server error"));
            }
        };
        if let Some(organization) = organization {
            let limit = self.state.app.config.http_limits.ws_max_connections_per_org;
            match self.state.sockets.admit(organization, limit) {
                Some(admission) => self._admission = Some(admission),
                None => return Step::Close(Close::TRY_AGAIN_LATER),
            }
        }
        *self.prepared.lock().unwrap_or_else(PoisonError::into_inner) =
            Some(self.state.request_data(viewer, false));
        self.initialised = true;
        Step::Forward(Box::new(ClientMessage::ConnectionInit {
            payload: Some(payload),
        }))
    }

    /// An operation refused before it ran, as the protocol's `error` message.
    fn refusal(&self, id: &str, code: &str, message: &str) -> String {
        let error = json!({ "message": message, "extensions": { "code": code } });
        let payload = if self.exact() { json!([error]) } else { error };
        json!({ "type": "error", "id": id, "payload": payload }).to_string()
    }

    /// Notes operations that ended on the server's side; whether `text` should go out (not
    /// the `complete` async-graphql sends for an operation the client completed itself).
    fn sent(&mut self, text: &str) -> bool {
        match serde_json::from_str::<Outgoing>(text) {
            Ok(Outgoing {
                kind: "complete" | "error",
                id: Some(id),
            }) => self.active.remove(id),
            _ => true,
        }
    }
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_reasons_fit_a_close_frame() {
        let long = "é".repeat(100);
        let cut = truncate(&long, MAX_CLOSE_REASON);
        assert!(cut.len() <= MAX_CLOSE_REASON);
        assert!(long.starts_with(&cut));
        assert_eq!(truncate("short", MAX_CLOSE_REASON), "short");
    }
}
