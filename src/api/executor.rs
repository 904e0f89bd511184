//! How every GraphQL request runs, over HTTP and WebSocket alike: the request guard, then
//! async-graphql, then the error codes and the operation's span, metrics and request id.
//!
//! These wrap the schema rather than hook into it as async-graphql extensions: with any
//! extension registered, async-graphql passes every field of an answer through the extension
//! chain (a type lookup and a boxed future per field and extension), a tenth of the server's
//! CPU on a page of 100 emissions.

use std::sync::Arc;
use std::time::Instant;

use async_graphql::{Data, Executor, Request, Response, ServerError};
use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};
use tracing::Instrument;

use super::errors::code_library_errors;
use super::guard::{RequestGuard, selected_operation};
use super::observe::Operation;
use super::schema::ContrailSchema;
use crate::telemetry::metrics::Live;

/// The schema with the guard in front of it: what the HTTP and WebSocket routes run requests on.
#[derive(Clone)]
pub struct GraphQL {
    schema: ContrailSchema,
    guard: Arc<RequestGuard>,
}

impl GraphQL {
    pub(super) fn new(schema: ContrailSchema, guard: RequestGuard) -> Self {
        GraphQL {
            schema,
            guard: Arc::new(guard),
        }
    }

    /// The guard's verdict on `request`: its operation's labels, with the parsed document put
    /// in the request; or the error refusing it.
    fn admit(&self, request: &mut Request) -> Result<Operation, ServerError> {
        let document = self.guard.check(request)?;
        let operation = match selected_operation(&document, request.operation_name.as_deref()) {
            Some((name, operation)) => Operation::new(Some(operation.ty), name),
            None => Operation::new(None, request.operation_name.as_deref()),
        };
        request.set_parsed_query(document);
        Ok(operation)
    }
}

impl Executor for GraphQL {
    async fn execute(&self, mut request: Request) -> Response {
        let started = Instant::now();
        let (operation, mut response) = match self.admit(&mut request) {
            Ok(operation) => {
                let span = operation.span();
                let response = self.schema.execute(request).instrument(span).await;
                (operation, response)
            }
            Err(refusal) => (Operation::unknown(), Response::from_errors(vec![refusal])),
        };
        code_library_errors(&mut response.errors);
        operation.finish(started, &mut response);
        response
    }

    fn execute_stream(
        &self,
        mut request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let operation = match self.admit(&mut request) {
            Ok(operation) => operation,
            Err(refusal) => {
                return stream::once(async { Response::from_errors(vec![refusal]) }).boxed();
            }
        };
        // Counted for as long as the stream lives.
        let live = operation
            .is_subscription()
            .then(|| Live::start("contrail_subscriptions"));
        self.schema
            .execute_stream_with_session_data(request, session_data.unwrap_or_default())
            .map(move |mut response| {
                let _ = &live;
                code_library_errors(&mut response.errors);
                response
            })
            .boxed()
    }
}
