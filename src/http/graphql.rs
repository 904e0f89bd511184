//! GraphQL over HTTP and WebSocket on `/graphql`: POST runs any operation, GET runs queries
//! (or serves GraphiQL to a browser), and a GET with an upgrade opens a WebSocket.

use async_graphql::Data;
use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocketProtocols};
use async_graphql::parser::types::OperationType;
use axum::body::Body;
use axum::extract::{RawQuery, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::media::{self, Media};
use super::{HttpState, idempotency, protection};
use crate::api::context::Viewer;
use crate::api::loaders::{DbLoader, Loaders};
use crate::error::Result;
use crate::retries::Fingerprint;

impl HttpState {
    /// Resolves the caller from an `Authorization: Bearer …` value.
    pub(super) async fn viewer(&self, authorization: Option<&str>) -> Result<Viewer> {
        let Some(value) = authorization else {
            return Ok(Viewer::Anonymous);
        };
        let Some(secret) = value.trim().strip_prefix("Bearer ").map(str::trim) else {
            return Ok(Viewer::InvalidKey);
        };
        Ok(
            match crate::organizations::authenticate(&self.app.db, secret).await? {
                Some(organization) => Viewer::Organization(organization),
                None => Viewer::InvalidKey,
            },
        )
    }

    /// Per-request context. A WebSocket connection serves many operations over time, so its
    /// loader batches but never answers from a cache that could have gone stale.
    pub(super) fn request_data(&self, viewer: Viewer, cache: bool) -> Data {
        let loader: Loaders = DataLoader::with_cache(
            DbLoader {
                db: self.app.db.clone(),
            },
            tokio::spawn,
            HashMapCache::default(),
        );
        loader.enable_all_cache(cache);
        let mut data = Data::default();
        data.insert(viewer);
        data.insert(loader);
        data
    }
}

fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
}

/// Runs `request` as the caller its headers name.
async fn execute(
    state: &HttpState,
    headers: &HeaderMap,
    media: Media,
    request: async_graphql::Request,
) -> Response {
    match state.viewer(authorization(headers)).await {
        Ok(viewer) => execute_as(state, viewer, media, request).await,
        Err(error) => internal_error(media, &error),
    }
}

pub(super) async fn execute_as(
    state: &HttpState,
    viewer: Viewer,
    media: Media,
    mut request: async_graphql::Request,
) -> Response {
    request.data = state.request_data(viewer, true);
    media.result(state.schema.execute(request).await)
}

pub(super) fn internal_error(media: Media, error: &crate::error::Error) -> Response {
    tracing::error!(%error, "cannot serve a request");
    media.refusal(
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL_SERVER_ERROR",
        "internal server error",
    )
}

/// The refusal of a client that accepts neither JSON media type.
fn not_acceptable() -> Response {
    Media::Json.refusal(
        StatusCode::NOT_ACCEPTABLE,
        "NOT_ACCEPTABLE",
        &format!("accept {} or application/json", media::GRAPHQL_RESPONSE),
    )
}

pub async fn post(State(state): State<HttpState>, headers: HeaderMap, body: Body) -> Response {
    let Some(media) = Media::negotiate(&headers) else {
        return not_acceptable();
    };
    if !media::is_json(&headers) {
        return media.refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "send the request as Content-Type: application/json",
        );
    }
    let (request, fingerprint) = match read_request(&state, media, body).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    match headers.get(protection::IDEMPOTENCY_KEY) {
        Some(key) => {
            let viewer = match state.viewer(authorization(&headers)).await {
                Ok(viewer) => viewer,
                Err(error) => return internal_error(media, &error),
            };
            let once = idempotency::Once {
                state: &state,
                media,
                viewer,
                fingerprint,
            };
            once.run(key, request).await
        }
        None => execute(&state, &headers, media, request).await,
    }
}

/// Reads a GraphQL request from a JSON body within the body size and time limits, with the
/// fingerprint of what it asks (its JSON, keys in order).
async fn read_request(
    state: &HttpState,
    media: Media,
    body: Body,
) -> Result<(async_graphql::Request, Fingerprint), Response> {
    let limits = &state.app.config.http_limits;
    let read = axum::body::to_bytes(body, limits.max_body_bytes);
    let bytes = match tokio::time::timeout(limits.body_timeout, read).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(error)) => {
            let too_large = std::error::Error::source(&error)
                .is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
            return Err(if too_large {
                media.refusal(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "PAYLOAD_TOO_LARGE",
                    &format!("the request body exceeds {} bytes", limits.max_body_bytes),
                )
            } else {
                media.refusal(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    "the request body could not be read",
                )
            });
        }
        Err(_) => {
            return Err(media.refusal(
                StatusCode::REQUEST_TIMEOUT,
                "REQUEST_TIMEOUT",
                "the request body did not arrive in time",
            ));
        }
    };
    let bad = |message: String| {
        media.refusal(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            &crate::error::shorten_quotes(&message),
        )
    };
    let body: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|error| bad(format!("the body is not JSON: {error}")))?;
    check_shape(&body).map_err(|message| bad(message.to_owned()))?;
    let fingerprint = Fingerprint::of(&[("request", &body.to_string())]);
    let request = serde_json::from_value(body)
        .map_err(|error| bad(format!("the body is not a GraphQL request: {error}")))?;
    Ok((request, fingerprint))
}

/// The request's parameters have the types the specification gives them.
fn check_shape(body: &serde_json::Value) -> Result<(), &'static str> {
    use serde_json::Value;
    let Value::Object(fields) = body else {
        return Err("the body must be a JSON object with a `query`");
    };
    match fields.get("query") {
        Some(Value::String(_)) => {}
        Some(_) => return Err("`query` must be a string"),
        None => return Err("`query` is required"),
    }
    if !matches!(
        fields.get("variables"),
        None | Some(Value::Null | Value::Object(_))
    ) {
        return Err("`variables` must be an object");
    }
    if !matches!(
        fields.get("operationName"),
        None | Some(Value::Null | Value::String(_))
    ) {
        return Err("`operationName` must be a string");
    }
    if !matches!(
        fields.get("extensions"),
        None | Some(Value::Null | Value::Object(_))
    ) {
        return Err("`extensions` must be an object");
    }
    Ok(())
}

/// One path, three uses: a WebSocket upgrade for subscriptions, a query in the URL, or
/// GraphiQL for a browser.
pub async fn get(
    State(state): State<HttpState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    if let (Ok(upgrade), Some(protocol)) = (upgrade, super::websocket::protocol(&headers)) {
        return websocket(state, upgrade, protocol);
    }
    let Some(query) = query.filter(|query| !query.is_empty()) else {
        return if state.app.config.is_development() {
            super::graphiql::page()
        } else {
            (
                StatusCode::NOT_FOUND,
                "GraphiQL is disabled in production mode",
            )
                .into_response()
        };
    };
    let Some(media) = Media::negotiate(&headers) else {
        return not_acceptable();
    };
    let request = match async_graphql::http::parse_query_string(&query) {
        Ok(request) => request,
        Err(error) => {
            return media.refusal(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                &crate::error::shorten_quotes(&error.to_string()),
            );
        }
    };
    // The document is parsed here to refuse mutations: bound it first.
    if let Err(refusal) = crate::api::guard::scan(&request.query, &state.app.config.query_limits) {
        return media.refusal(StatusCode::BAD_REQUEST, refusal.code, &refusal.message);
    }
    if !is_read_only(&request) {
        let mut refusal = media.refusal(
            StatusCode::METHOD_NOT_ALLOWED,
            "BAD_REQUEST",
            "mutations must be sent with POST",
        );
        refusal
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return refusal;
    }
    execute(&state, &headers, media, request).await
}

/// Whether a GET request holds only queries (GET must not change anything).
fn is_read_only(request: &async_graphql::Request) -> bool {
    match async_graphql::parser::parse_query(&request.query) {
        Ok(document) => document
            .operations
            .iter()
            .all(|(_, operation)| operation.node.ty == OperationType::Query),
        // Let execution report the syntax error.
        Err(_) => true,
    }
}

fn websocket(
    state: HttpState,
    upgrade: WebSocketUpgrade,
    protocol: WebSocketProtocols,
) -> Response {
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            let sockets = state.sockets.clone();
            sockets.track(super::websocket::serve(state, socket, protocol))
        })
        .into_response()
}
