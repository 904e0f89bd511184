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

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationDefinition};
use async_graphql::{Request, ServerError};

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

/// The operation a request runs, with its name if it has one; `None` when it names none of the
/// document's (async-graphql reports that itself).
pub(super) fn selected_operation<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<(Option<&'a str>, &'a OperationDefinition)> {
    match (&document.operations, operation_name) {
        (DocumentOperations::Single(operation), _) => Some((None, &operation.node)),
        (DocumentOperations::Multiple(operations), Some(name)) => operations
            .get_key_value(name)
            .map(|(name, operation)| (Some(name.as_str()), &operation.node)),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => operations
            .iter()
            .next()
            .map(|(name, operation)| (Some(name.as_str()), &operation.node)),
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// Checks a request against [`QueryLimits`] and the schema's input types, all on one parse of its
/// document; async-graphql runs the document parsed here rather than parse it again.
pub struct RequestGuard {
    pub limits: QueryLimits,
    pub shape: SchemaShape,
}

impl RequestGuard {
    /// The request's document, parsed and checked; the error says why it may not run.
    pub fn check(&self, request: &Request) -> Result<ExecutableDocument, ServerError> {
        scan(&request.query, &self.limits).map_err(Refusal::into_server_error)?;
        let document = async_graphql::parser::parse_query(&request.query)
            .map_err(super::errors::parse_failed)?;
        cost::check_fragment_count(&document, &self.limits).map_err(Refusal::into_server_error)?;
        if let Some((_, operation)) =
            selected_operation(&document, request.operation_name.as_deref())
        {
            cost::analyze(
                &document,
                operation,
                &request.variables,
                &self.shape,
                &self.limits,
            )
            .and_then(|()| inputs::check(&document, operation, &request.variables, &self.shape))
            .map_err(Refusal::into_server_error)?;
        }
        Ok(document)
    }
}
