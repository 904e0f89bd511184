//! What each GraphQL operation does, seen from outside: a span (type and name, continuing the
//! HTTP request's trace), its count, latency and outcome, its errors by code, and the request
//! id in every error so a customer's report names the request.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Instant;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextRequest,
    NextSubscribe,
};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{ErrorExtensionValues, Response, ServerResult, Variables};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use metrics::{counter, histogram};
use tracing::Instrument;

use crate::telemetry::metrics::Live;

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

pub struct Observe;

impl ExtensionFactory for Observe {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Observed::default())
    }
}

/// One request's operations, as its document declares them.
#[derive(Default)]
struct Observed {
    operations: Mutex<Vec<(Option<String>, OperationType)>>,
    /// The type and name label of the operation run; unknown until the document parses.
    ran: Mutex<Option<(&'static str, String)>>,
}

fn type_label(kind: OperationType) -> &'static str {
    match kind {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    }
}

#[async_trait::async_trait]
impl Extension for Observed {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let started = Instant::now();
        let mut response = next.run(ctx).await;
        let (kind, name) = self
            .ran
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .unwrap_or(("unknown", "unknown".to_owned()));
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
        response
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let live = Live::start("contrail_subscriptions");
        Box::pin(next.run(ctx, stream).map(move |response| {
            // Counted for as long as the stream lives.
            let _ = &live;
            response
        }))
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let operations = match &document.operations {
            DocumentOperations::Single(operation) => vec![(None, operation.node.ty)],
            DocumentOperations::Multiple(operations) => operations
                .iter()
                .map(|(name, operation)| (Some(name.to_string()), operation.node.ty))
                .collect(),
        };
        *self
            .operations
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = operations;
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let kind = self
            .operations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|(name, _)| name.is_none() || name.as_deref() == operation_name)
            .map_or("unknown", |(_, kind)| type_label(*kind));
        let name = name_label(operation_name);
        // On the request's span too, so its log line says which operation it ran.
        tracing::Span::current().record("graphql.operation", format!("{kind} {name}"));
        *self.ran.lock().unwrap_or_else(PoisonError::into_inner) = Some((kind, name.clone()));
        let span = tracing::info_span!(
            "graphql.operation",
            otel.name = %format_args!("{kind} {name}"),
            graphql.operation.type = kind,
            graphql.operation.name = %name,
        );
        next.run(ctx, operation_name).instrument(span).await
    }
}
