//! GraphQL over HTTP and WebSocket on `/graphql`: POST runs any operation, GET runs queries
//! (or serves GraphiQL to a browser), and a GET with an upgrade opens a WebSocket.

use async_graphql::Data;
use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocketProtocols};
use async_graphql::parser::types::OperationType;
use async_graphql_axum::GraphQLResponse;
use axum::body::Body;
use axum::extract::{RawQuery, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{HttpState, error_response};
use crate::api::context::Viewer;
use crate::api::loaders::{DbLoader, Loaders};
use crate::error::Result;

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

async fn execute(
    state: &HttpState,
    headers: &HeaderMap,
    mut request: async_graphql::Request,
) -> Response {
    let viewer = match state.viewer(authorization(headers)).await {
        Ok(viewer) => viewer,
        Err(error) => {
            tracing::error!(%error, "cannot authenticate a request");
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_SERVER_ERROR",
                "internal server error",
            );
        }
    };
    request.data = state.request_data(viewer, true);
    GraphQLResponse::from(state.schema.execute(request).await).into_response()
}

pub async fn post(State(state): State<HttpState>, headers: HeaderMap, body: Body) -> Response {
    match read_request(&state, body).await {
        Ok(request) => execute(&state, &headers, request).await,
        Err(response) => response,
    }
}

/// Reads a GraphQL request from a JSON body within the body size and time limits.
async fn read_request(state: &HttpState, body: Body) -> Result<async_graphql::Request, Response> {
    let limits = &state.app.config.http_limits;
    let read = axum::body::to_bytes(body, limits.max_body_bytes);
    let bytes = match tokio::time::timeout(limits.body_timeout, read).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(error)) => {
            let too_large = std::error::Error::source(&error)
                .is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
            return Err(if too_large {
                error_response(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "PAYLOAD_TOO_LARGE",
                    &format!("the request body exceeds {} bytes", limits.max_body_bytes),
                )
            } else {
                error_response(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    "the request body could not be read",
                )
            });
        }
        Err(_) => {
            return Err(error_response(
                StatusCode::REQUEST_TIMEOUT,
                "REQUEST_TIMEOUT",
                "the request body did not arrive in time",
            ));
        }
    };
    serde_json::from_slice(&bytes).map_err(|error| {
        error_response(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            &crate::error::shorten_quotes(&format!(
                "the body is not a GraphQL request in JSON: {error}"
            )),
        )
    })
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
    let request = match async_graphql::http::parse_query_string(&query) {
        Ok(request) => request,
        Err(error) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                &crate::error::shorten_quotes(&error.to_string()),
            );
        }
    };
    // The document is parsed here to refuse mutations: bound it first.
    if let Err(refusal) = crate::api::guard::scan(&request.query, &state.app.config.query_limits) {
        return error_response(StatusCode::BAD_REQUEST, refusal.code, &refusal.message);
    }
    if !is_read_only(&request) {
        return error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "BAD_REQUEST",
            "mutations must be sent with POST",
        );
    }
    execute(&state, &headers, request).await
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
