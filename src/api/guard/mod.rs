//! The guard every GraphQL request passes before async-graphql parses, validates or runs it,
//! so that a hostile document is refused in time proportional to its length, and every input
//! value is coerced with an error naming its field.
//!
//! 1. [`scan`]: tokens and bracket nesting of the raw text (the parser recurses on nested
//!    values and would overflow the stack long before validation could object);
//! 2. [`cost`]: depth, aliases, root fields, directives and complexity of the operation, each
//!    fragment measured once;
//! 3. [`inputs`]: every argument value, variables included, checked against its input type.

mod cost;
mod inputs;
mod scan;
mod shape;

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest,
};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationDefinition};
use async_graphql::{Request, ServerError, ServerResult};

use crate::config::QueryLimits;

pub use cost::LIST_FACTOR;
pub use scan::scan;
pub use shape::SchemaShape;

/// Why the guard refused a request: a code of its own, a message, and the input field at fault
/// when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

impl Refusal {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Refusal {
            code,
            message: message.into(),
            field: None,
        }
    }

    fn bad_input(field: &str, message: impl std::fmt::Display) -> Self {
        Refusal {
            code: "BAD_USER_INPUT",
            message: format!("{field}: {message}"),
            field: Some(field.to_owned()),
        }
    }

    pub fn into_server_error(self) -> ServerError {
        if self.code != "BAD_USER_INPUT" {
            metrics::counter!("contrail_graphql_documents_rejected_total", "limit" => self.code)
                .increment(1);
        }
        super::errors::request_error(self.code, &self.message, self.field.as_deref())
    }
}

/// The operation a request runs; `None` when it names none of the document's (async-graphql
/// reports that itself).
fn selected_operation<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    match (&document.operations, operation_name) {
        (DocumentOperations::Single(operation), _) => Some(&operation.node),
        (DocumentOperations::Multiple(operations), Some(name)) => {
            operations.get(name).map(|operation| &operation.node)
        }
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next().map(|operation| &operation.node)
        }
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// Checks a request against [`QueryLimits`] and the schema's input types.
pub fn check(
    request: &mut Request,
    shape: &SchemaShape,
    limits: &QueryLimits,
) -> Result<(), Refusal> {
    scan(&request.query, limits)?;
    // A document that does not parse is reported by async-graphql's own parse step.
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return Ok(());
    };
    cost::check_fragment_count(&document, limits)?;
    if let Some(operation) = selected_operation(&document, request.operation_name.as_deref()) {
        cost::analyze(&document, operation, &request.variables, shape, limits)?;
        inputs::check(&document, operation, &request.variables, shape)?;
    }
    request.set_parsed_query(document);
    Ok(())
}

/// Runs [`check`] on every request, over HTTP and WebSocket alike.
pub struct RequestGuard {
    pub limits: QueryLimits,
    pub shape: Arc<SchemaShape>,
}

impl ExtensionFactory for RequestGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(GuardExtension {
            limits: self.limits,
            shape: self.shape.clone(),
        })
    }
}

struct GuardExtension {
    limits: QueryLimits,
    shape: Arc<SchemaShape>,
}

#[async_trait::async_trait]
impl Extension for GuardExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        check(&mut request, &self.shape, &self.limits).map_err(Refusal::into_server_error)?;
        next.run(ctx, request).await
    }
}
