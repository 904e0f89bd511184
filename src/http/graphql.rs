//! GraphQL over HTTP and WebSocket on `/graphql`: POST runs any operation, GET runs queries
//! (or serves GraphiQL to a browser), and a GET with an upgrade opens a WebSocket.

use std::net::SocketAddr;
use std::num::NonZeroU32;

use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocketProtocols};
use async_graphql::parser::types::OperationType;
use async_graphql::{Data, Executor};
use axum::extract::{ConnectInfo, RawQuery, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::media::{self, Media};
use super::request::{Operation, Posted, read_get, read_post};
use super::{HttpState, idempotency, protection};
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
            match crate::organizations::authenticate(&self.app.db, &self.app.keys, secret).await? {
                Some(organization) => {
                    tracing::Span::current().record("organization_id", organization.0);
                    Viewer::Organization(organization)
                }
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
            |batch| tokio::spawn(crate::db::in_current_request(batch)),
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

fn internal_error(media: Media, error: &crate::error::Error) -> Response {
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

pub async fn post(State(state): State<HttpState>, request: axum::extract::Request) -> Response {
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    let Some(media) = Media::negotiate(headers) else {
        return not_acceptable();
    };
    if !media::is_json(headers) {
        return media.refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            &format!("send the request as Content-Type: {}", media::JSON),
        );
    }
    let (posted, fingerprint) = match read_post(&state, media, body).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    // The rate limit counted this request once; a batch counts as its operations.
    if let Some(more) = NonZeroU32::new(posted.len().saturating_sub(1) as u32)
        && let Some(peer) = parts.extensions.get::<ConnectInfo<SocketAddr>>()
        && let Some(wait) = state.limiter.wait_n(peer.0.ip(), headers, more)
    {
        return protection::too_many_requests(media, wait);
    }
    let viewer = match state.viewer(authorization(headers)).await {
        Ok(viewer) => viewer,
        Err(error) => return internal_error(media, &error),
    };
    let run = |viewer| run_posted(&state, viewer, media, posted);
    match headers.get(protection::IDEMPOTENCY_KEY) {
        Some(key) => {
            let once = idempotency::Once {
                state: &state,
                shape: idempotency::Shape::GraphQL(media),
                viewer,
                fingerprint,
            };
            once.run(key, run).await
        }
        None => run(viewer).await,
    }
}

/// Runs a POST's operations in order, each as if sent alone.
async fn run_posted(state: &HttpState, viewer: Viewer, media: Media, posted: Posted) -> Response {
    match posted {
        Posted::Single(operation) => media.result(state.run(viewer, *operation).await),
        Posted::Batch(operations) => {
            let mut responses = Vec::with_capacity(operations.len());
            for operation in operations {
                responses.push(state.run(viewer, operation).await);
            }
            media.batch(responses)
        }
    }
}

impl HttpState {
    /// Runs one operation, after putting in the document it names; a document this server
    /// cannot run (unknown, or outside the trusted manifest) runs nothing.
    async fn run(&self, viewer: Viewer, operation: Operation) -> async_graphql::Response {
        let mut request = operation.request;
        let trusted = self.app.config.security.trusted_documents.as_ref();
        let resolved =
            self.documents
                .resolve(trusted, &mut request, operation.document_id.as_deref());
        if let Err(refusal) = resolved {
            return refusal.response();
        }
        self.execute(viewer, request).await
    }

    async fn execute(
        &self,
        viewer: Viewer,
        mut request: async_graphql::Request,
    ) -> async_graphql::Response {
        request.data = self.request_data(viewer, true);
        self.graphql.execute(request).await
    }
}

/// Per connection, each way. Subscription messages are small; the library's 128 KiB would make
/// ten thousand followers of a payment cost gigabytes. Larger messages still pass, in pieces.
const WEBSOCKET_BUFFER_BYTES: usize = 8 * 1024;

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
    let mut operation = match read_get(&query) {
        Ok(operation) => operation,
        Err(why) => {
            return media.refusal(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                &crate::error::shorten_quotes(&why),
            );
        }
    };
    // A named document is put in first, so that the checks below see what would run.
    let trusted = state.app.config.security.trusted_documents.as_ref();
    let document_id = operation.document_id.take();
    if let Err(refusal) =
        state
            .documents
            .resolve(trusted, &mut operation.request, document_id.as_deref())
    {
        return media.result(refusal.response());
    }
    // The document is parsed here to refuse mutations: bound it first.
    let query = &operation.request.query;
    if let Err(refusal) = crate::api::guard::scan(query, &state.app.config.query_limits) {
        return media.refusal(StatusCode::BAD_REQUEST, refusal.code, &refusal.message);
    }
    if !is_read_only(&operation.request) {
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
    let viewer = match state.viewer(authorization(&headers)).await {
        Ok(viewer) => viewer,
        Err(error) => return internal_error(media, &error),
    };
    media.result(state.execute(viewer, operation.request).await)
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
        .read_buffer_size(WEBSOCKET_BUFFER_BYTES)
        .write_buffer_size(WEBSOCKET_BUFFER_BYTES)
        .on_upgrade(move |socket| {
            let sockets = state.sockets.clone();
            sockets.track(super::websocket::serve(state, socket, protocol))
        })
        .into_response()
}
