//! The HTTP surface (SPEC §3): GraphQL over POST and GET, GraphiQL, the WebSocket endpoint,
//! health checks.

mod graphiql;
pub mod server;

use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::parser::types::OperationType;
use async_graphql::{Data, ServerError};
use async_graphql_axum::{GraphQLProtocol, GraphQLResponse, GraphQLWebSocket};
use axum::body::Body;
use axum::extract::{RawQuery, Request, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use sea_orm::DatabaseConnection;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::graphql::context::{DbLoader, Loaders, Viewer};
use crate::graphql::{self, ContrailSchema};
use crate::provisions::retirement::Retirements;

#[derive(Clone)]
pub struct AppState {
    pub schema: ContrailSchema,
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
}

impl AppState {
    pub fn new(db: DatabaseConnection, config: Arc<Config>, retirements: Retirements) -> Self {
        AppState {
            schema: graphql::build(db.clone(), config.clone(), retirements),
            db,
            config,
        }
    }

    /// Resolves the caller from an `Authorization: Bearer …` value.
    async fn viewer(&self, authorization: Option<&str>) -> Result<Viewer, crate::error::Error> {
        let Some(value) = authorization else {
            return Ok(Viewer::Anonymous);
        };
        let Some(secret) = value.trim().strip_prefix("Bearer ").map(str::trim) else {
            return Ok(Viewer::InvalidKey);
        };
        Ok(
            match crate::organizations::authenticate(&self.db, secret).await? {
                Some(organization) => Viewer::Organization(organization),
                None => Viewer::InvalidKey,
            },
        )
    }

    /// Per-request context. A WebSocket connection serves many operations over time, so its
    /// loader batches but never answers from a cache that could have gone stale.
    fn request_data(&self, viewer: Viewer, cache: bool) -> Data {
        let loader: Loaders = DataLoader::with_cache(
            DbLoader {
                db: self.db.clone(),
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

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/graphql/assets/{file}", get(graphiql::asset))
        .route(
            "/certificates/{public_id}",
            get(crate::certificates::page::show),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            request_timeout,
        ))
        // The last line of defence: nothing a client sends should get here (tests prove the
        // known cases never do), but a panic must answer, not drop the connection.
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Bounds the whole exchange, so no request holds a worker for ever.
async fn request_timeout(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(state.config.http_limits.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            graphql_error(
                "the request took too long and was abandoned",
                "REQUEST_TIMEOUT",
            ),
        ),
    }
}

fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|message| (*message).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(panic = %detail, "a request handler panicked");
    error_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        graphql_error("internal server error", "INTERNAL_SERVER_ERROR"),
    )
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
}

fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
}

async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    request: async_graphql::Request,
) -> Response {
    let viewer = match state.viewer(authorization(headers)).await {
        Ok(viewer) => viewer,
        Err(error) => {
            let error = async_graphql::Error::from(error).into_server_error(Default::default());
            return error_response(StatusCode::INTERNAL_SERVER_ERROR, error);
        }
    };
    let mut request = request;
    request.data = state.request_data(viewer, true);
    GraphQLResponse::from(state.schema.execute(request).await).into_response()
}

async fn graphql_post(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    match read_request(&state, body).await {
        Ok(request) => execute(&state, &headers, request).await,
        Err(response) => response,
    }
}

/// Reads a GraphQL request from a JSON body within the body size and time limits.
async fn read_request(state: &AppState, body: Body) -> Result<async_graphql::Request, Response> {
    let limits = &state.config.http_limits;
    let read = axum::body::to_bytes(body, limits.max_body_bytes);
    let bytes = match tokio::time::timeout(limits.body_timeout, read).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(error)) => {
            let too_large = std::error::Error::source(&error)
                .is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
            return Err(if too_large {
                error_response(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    graphql_error(
                        &format!("the request body exceeds {} bytes", limits.max_body_bytes),
                        "PAYLOAD_TOO_LARGE",
                    ),
                )
            } else {
                error_response(
                    StatusCode::BAD_REQUEST,
                    graphql_error("the request body could not be read", "BAD_REQUEST"),
                )
            });
        }
        Err(_) => {
            return Err(error_response(
                StatusCode::REQUEST_TIMEOUT,
                graphql_error("the request body did not arrive in time", "REQUEST_TIMEOUT"),
            ));
        }
    };
    serde_json::from_slice(&bytes).map_err(|error| {
        error_response(
            StatusCode::BAD_REQUEST,
            graphql_error(
                &crate::error::shorten_quotes(&format!(
                    "the body is not a GraphQL request in JSON: {error}"
                )),
                "BAD_REQUEST",
            ),
        )
    })
}

/// One path, three uses: a WebSocket upgrade for subscriptions, a query in the URL, or
/// GraphiQL for a browser.
async fn graphql_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
    protocol: Result<GraphQLProtocol, StatusCode>,
) -> Response {
    if let (Ok(upgrade), Ok(protocol)) = (upgrade, protocol) {
        return websocket(state, upgrade, protocol);
    }
    match query.filter(|query| !query.is_empty()) {
        Some(query) => match async_graphql::http::parse_query_string(&query) {
            Ok(request) => {
                // The document is parsed here to refuse mutations: bound it first.
                if let Err(refusal) =
                    graphql::guard::scan(&request.query, &state.config.query_limits)
                {
                    return error_response(StatusCode::BAD_REQUEST, refusal.into_server_error());
                }
                if !is_read_only(&request) {
                    return error_response(
                        StatusCode::METHOD_NOT_ALLOWED,
                        graphql_error("mutations must be sent with POST", "BAD_REQUEST"),
                    );
                }
                execute(&state, &headers, request).await
            }
            Err(error) => error_response(
                StatusCode::BAD_REQUEST,
                graphql_error(
                    &crate::error::shorten_quotes(&error.to_string()),
                    "BAD_REQUEST",
                ),
            ),
        },
        None if state.config.is_development() => graphiql::page(),
        None => (
            StatusCode::NOT_FOUND,
            "GraphiQL is disabled in production mode",
        )
            .into_response(),
    }
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

fn websocket(state: AppState, upgrade: WebSocketUpgrade, protocol: GraphQLProtocol) -> Response {
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            let schema = state.schema.clone();
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| async move {
                    // Browsers cannot set headers on a WebSocket: the key comes in the
                    // `connection_init` payload instead.
                    let key = ["Authorization", "authorization"]
                        .iter()
                        .find_map(|name| payload.get(name).and_then(|value| value.as_str()));
                    let viewer = state
                        .viewer(key)
                        .await
                        .map_err(async_graphql::Error::from)?;
                    Ok(state.request_data(viewer, false))
                })
                .serve()
        })
        .into_response()
}

fn graphql_error(message: &str, code: &str) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code);
    error.extensions = Some(extensions);
    error
}

fn error_response(status: StatusCode, error: ServerError) -> Response {
    let response = async_graphql::Response::from_errors(vec![error]);
    (status, Json(response)).into_response()
}
