//! Every request observed: an id (kept from the client's `x-request-id` when sane), a span that
//! continues the caller's W3C `traceparent`, its metrics, its statements counted, and one log
//! line when answered. Also the `/metrics` listener's router.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use metrics::{counter, histogram};
use metrics_exporter_prometheus::PrometheusHandle;
use opentelemetry::propagation::Extractor;
use sea_orm::DatabaseConnection;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::telemetry::{RequestId, with_request_id};

pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = RequestId::from_client(
        request
            .headers()
            .get(&REQUEST_ID)
            .and_then(|value| value.to_str().ok()),
    );
    // Templates, not paths: a label per certificate id would grow without bound.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let method = method_label(request.method());
    let span = tracing::info_span!(
        "http.request",
        otel.name = %format_args!("{method} {route}"),
        otel.kind = "server",
        http.request.method = method,
        http.route = %route,
        request_id = %id,
        organization_id = tracing::field::Empty,
        graphql.operation = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
    );
    let caller = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&Headers(request.headers()))
    });
    // Without a trace pipeline there is no OpenTelemetry layer to take the parent: nothing to do.
    let _ = span.set_parent(caller);
    let statements = Arc::new(AtomicU32::new(0));
    let mut response = with_request_id(
        id.clone(),
        crate::db::counting_statements(statements.clone(), next.run(request)),
    )
    .instrument(span.clone())
    .await;

    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    span.record("http.response.status_code", status);
    counter!(
        "contrail_http_requests_total",
        "route" => route.clone(),
        "method" => method,
        "status" => status.to_string(),
    )
    .increment(1);
    histogram!("contrail_http_request_duration_seconds", "route" => route)
        .record(elapsed.as_secs_f64());
    let statements = statements.load(Ordering::Relaxed);
    histogram!("contrail_db_statements_per_request").record(f64::from(statements));
    span.in_scope(|| {
        tracing::info!(
            status,
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            statements,
            "answered"
        );
    });
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        response.headers_mut().insert(REQUEST_ID.clone(), value);
    }
    response
}

/// The method as a label: the standard ones, or `other` (clients may send any token).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Reads W3C trace context headers.
struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

/// `GET /metrics` for Prometheus, on the metrics listener only.
pub fn metrics_router(handle: PrometheusHandle, db: DatabaseConnection) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state((handle, db))
}

async fn metrics(
    State((handle, db)): State<(PrometheusHandle, DatabaseConnection)>,
) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::telemetry::metrics::render(&handle, &db).await,
    )
}
