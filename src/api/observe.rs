//! What each GraphQL operation does, seen from outside: a span (type and name, continuing the
//! HTTP request's trace), its count, latency and outcome, its errors by code, and the request
//! id in every error so a customer's report names the request.

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::Instant;

use async_graphql::parser::types::OperationType;
use async_graphql::{ErrorExtensionValues, Response};
use metrics::{counter, histogram};

/// Distinct operation names given a label of their own; later ones share `other`, so a client
/// inventing names cannot grow the metrics without bound.
const NAMED_OPERATIONS: usize = 100;
/// Longer names share `other` too.
const LONGEST_NAME: usize = 64;

static NAMES: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(Mutex::default);

/// The label of an operation's name.
fn name_label(name: Option<&str>) -> String {
    let Some(name) = name else {
        return "anonymous".to_owned();
    };
    if name.len() > LONGEST_NAME {
        return "other".to_owned();
    }
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    if names.contains(name) || names.len() < NAMED_OPERATIONS && names.insert(name.to_owned()) {
        name.to_owned()
    } else {
        "other".to_owned()
    }
}

/// The labels of the operation a request runs: its type and its name.
pub(super) struct Operation {
    kind: &'static str,
    name: String,
}

impl Operation {
    /// A request whose document never got as far as naming an operation.
    pub(super) fn unknown() -> Self {
        Operation {
            kind: "unknown",
            name: "unknown".to_owned(),
        }
    }

    pub(super) fn new(kind: Option<OperationType>, name: Option<&str>) -> Self {
        Operation {
            kind: kind.map_or("unknown", type_label),
            name: name_label(name),
        }
    }

    pub(super) fn is_subscription(&self) -> bool {
        self.kind == type_label(OperationType::Subscription)
    }

    /// The span an operation runs in, continuing the HTTP request's trace. The request's own
    /// span is told the operation too, so its log line says which one it ran.
    pub(super) fn span(&self) -> tracing::Span {
        let Operation { kind, name } = self;
        tracing::Span::current().record("graphql.operation", format!("{kind} {name}"));
        tracing::info_span!(
            "graphql.operation",
            otel.name = %format_args!("{kind} {name}"),
            graphql.operation.type = kind,
            graphql.operation.name = %name,
        )
    }

    /// Counts the operation, its latency, its outcome and its errors by code, and puts the
    /// request id in every error, so that a customer's report names the request.
    pub(super) fn finish(self, started: Instant, response: &mut Response) {
        let Operation { kind, name } = self;
        let outcome = if response.errors.is_empty() {
            "ok"
        } else {
            "error"
        };
        counter!(
            "contrail_graphql_operations_total",
            "type" => kind,
            "name" => name.clone(),
            "outcome" => outcome,
        )
        .increment(1);
        histogram!(
            "contrail_graphql_operation_duration_seconds",
            "type" => kind,
            "name" => name,
        )
        .record(started.elapsed().as_secs_f64());
        let request_id = crate::telemetry::request_id();
        for error in &mut response.errors {
            let extensions = error
                .extensions
                .get_or_insert_with(ErrorExtensionValues::default);
            let code = match extensions.get("code") {
                Some(async_graphql::Value::String(code)) => code.clone(),
                _ => "INTERNAL_SERVER_ERROR".to_owned(),
            };
            counter!("contrail_graphql_errors_total", "code" => code).increment(1);
            if let Some(id) = &request_id {
                extensions.set("requestId", id.as_str());
            }
        }
    }
}

fn type_label(kind: OperationType) -> &'static str {
    match kind {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    }
}
