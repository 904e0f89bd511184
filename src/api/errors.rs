//! The one place where errors become what a GraphQL client receives: an `extensions.code`, the
//! input field at fault in the API's spelling (`extensions.field`), and a message without
//! internals.

use std::borrow::Cow;

use async_graphql::{ErrorExtensionValues, ErrorExtensions, ServerError};

use crate::error::{Error, Existing, Input};

pub type ApiResult<T> = Result<T, ApiError>;

/// What a resolver can fail with: a domain error, or a problem the API layer found itself.
#[derive(Debug, Clone)]
pub enum ApiError {
    Domain(Error),
    /// An input field, named as the client sent it, is malformed or out of range.
    BadInput {
        field: Cow<'static, str>,
        message: String,
    },
    Unauthenticated(&'static str),
}

impl ApiError {
    pub fn bad_input(field: &'static str, message: impl std::fmt::Display) -> Self {
        ApiError::BadInput {
            field: Cow::Borrowed(field),
            message: message.to_string(),
        }
    }

    /// A bad input at a path built at run time, e.g. `legs.2.origin`.
    pub fn bad_input_at(field: String, message: impl std::fmt::Display) -> Self {
        ApiError::BadInput {
            field: Cow::Owned(field),
            message: message.to_string(),
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        ApiError::Domain(Error::not_found(what))
    }

    /// The `extensions.code` clients switch on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadInput { .. } | ApiError::Domain(Error::InvalidInput { .. }) => {
                "BAD_USER_INPUT"
            }
            ApiError::Unauthenticated(_) => "UNAUTHENTICATED",
            ApiError::Domain(Error::NotFound(_)) => "NOT_FOUND",
            ApiError::Domain(Error::Conflict(_) | Error::ReferenceTaken { .. }) => "CONFLICT",
            ApiError::Domain(Error::Expired(_)) => "QUOTE_EXPIRED",
            ApiError::Domain(Error::InsufficientSupply(_)) => "INSUFFICIENT_SUPPLY",
            ApiError::Domain(Error::PaymentProvider(_)) => "PAYMENT_PROVIDER_ERROR",
            ApiError::Domain(Error::Internal(_)) => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The input field at fault, in the GraphQL spelling.
    fn field(&self) -> Option<Cow<'static, str>> {
        match self {
            ApiError::BadInput { field, .. } => Some(field.clone()),
            ApiError::Domain(Error::InvalidInput { input, .. }) => Some(field_name(*input)),
            _ => None,
        }
    }

    /// The message a client sees, fields named in the GraphQL spelling.
    fn message(&self) -> String {
        match self {
            ApiError::BadInput { field, message } => format!("{field}: {message}"),
            ApiError::Domain(Error::InvalidInput { input, reason }) => {
                format!("{}: {reason}", field_name(*input))
            }
            ApiError::Unauthenticated(message) => (*message).to_owned(),
            ApiError::Domain(Error::Internal(_)) => "internal server error".to_owned(),
            ApiError::Domain(error) => error.to_string(),
        }
    }

    /// What a client of either API is told: the code, the message and the field at fault in
    /// that API's spelling, and what an external reference already names. An internal error's
    /// cause is logged here, and never told.
    pub fn report(&self, spelling: Spelling) -> ErrorReport {
        if let ApiError::Domain(Error::Internal(cause)) = self {
            tracing::error!(error = %cause, "internal error while serving a request");
        }
        let existing_id = match self {
            ApiError::Domain(Error::ReferenceTaken { existing, .. }) => {
                Some(existing_id(*existing).0)
            }
            _ => None,
        };
        ErrorReport {
            code: self.code(),
            message: spelling.message(&self.message()),
            field: self.field().map(|field| spelling.field(&field)),
            existing_id,
        }
    }
}

/// How an API names input fields. Field names are written once, in GraphQL's camelCase; a
/// message names other fields in backticks (`` `emissionIds` ``), so each API can spell them
/// its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    /// GraphQL: `quantityTonnes`.
    Camel,
    /// The REST routes of the seed products: `quantity_tonnes`.
    Snake,
}

impl Spelling {
    /// A field name, written in camelCase, in this spelling.
    pub fn field(self, camel: &str) -> String {
        match self {
            Spelling::Camel => camel.to_owned(),
            Spelling::Snake => {
                let mut snake = String::with_capacity(camel.len() + 4);
                for c in camel.chars() {
                    if c.is_ascii_uppercase() {
                        snake.push('_');
                        snake.push(c.to_ascii_lowercase());
                    } else {
                        snake.push(c);
                    }
                }
                snake
            }
        }
    }

    /// A message of [`ApiError::message`]: its leading field name and the field names in
    /// backticks in this spelling. Input the message quotes is in double quotes, untouched.
    fn message(self, message: &str) -> String {
        if self == Spelling::Camel {
            return message.to_owned();
        }
        let (lead, rest) = match message.split_once(": ") {
            Some((lead, rest)) if is_field_name(lead) => (Some(lead), rest),
            _ => (None, message),
        };
        let mut spelled = lead
            .map(|lead| format!("{}: ", self.field(lead)))
            .unwrap_or_default();
        let mut in_quotes = false;
        for (index, part) in rest.split('`').enumerate() {
            if index > 0 {
                spelled.push('`');
            }
            // Odd parts lie between backticks.
            let named = index % 2 == 1 && !in_quotes && is_field_name(part);
            if named {
                spelled.push_str(&self.field(part));
            } else {
                spelled.push_str(part);
                // Quoted input escapes its own quotes (`\"`).
                let quotes = part.matches('"').count() - part.matches("\\\"").count();
                in_quotes ^= quotes % 2 == 1;
            }
        }
        spelled
    }
}

/// Whether `text` is a field name as the API layer writes them (camelCase).
fn is_field_name(text: &str) -> bool {
    text.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && text.chars().all(|c| c.is_ascii_alphanumeric())
}

/// An error as a client of either API receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorReport {
    /// `BAD_USER_INPUT`, `NOT_FOUND`, … (the same codes in both APIs).
    pub code: &'static str,
    pub message: String,
    /// The input field at fault.
    pub field: Option<String>,
    /// The global ID of what an external reference already names (`CONFLICT`).
    pub existing_id: Option<String>,
}

/// The global ID of what a taken reference names.
fn existing_id(existing: Existing) -> async_graphql::ID {
    use super::id::GlobalId;
    match existing {
        Existing::Emission(id) => id.to_id(),
        Existing::Provision(id) => id.to_id(),
        Existing::Payment(id) => id.to_id(),
    }
}

/// The API's name of each input a domain operation judges.
fn field_name(input: Input) -> Cow<'static, str> {
    Cow::Borrowed(match input {
        Input::AircraftModel => "modelCode",
        Input::OrganizationName => "name",
        Input::Quantity => "quantityTonnes",
        Input::Emissions => "emissionIds",
        Input::Duration { leg: None } => "durationMinutes",
        Input::Duration { leg: Some(leg) } => {
            return Cow::Owned(format!("legs.{leg}.durationMinutes"));
        }
        Input::Legs => "legs",
        Input::Route => "origin",
        Input::Estimate => "estimateId",
    })
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        ApiError::Domain(error)
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(error: sea_orm::DbErr) -> Self {
        ApiError::Domain(error.into())
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(error: ApiError) -> Self {
        let report = error.report(Spelling::Camel);
        async_graphql::Error::new(report.message).extend_with(|_, extensions| {
            extensions.set("code", report.code);
            if let Some(field) = report.field {
                extensions.set("field", field);
            }
            if let Some(existing) = report.existing_id {
                extensions.set("existingId", existing);
            }
        })
    }
}

/// An error raised outside any resolver (by the request guard or the HTTP transport).
pub fn request_error(code: &str, message: &str, field: Option<&str>) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code);
    if let Some(field) = field {
        extensions.set("field", field);
    }
    if let Some(id) = crate::telemetry::request_id() {
        extensions.set("requestId", id.as_str());
    }
    error.extensions = Some(extensions);
    error
}

/// A document that does not parse: `GRAPHQL_PARSE_FAILED`, with where it went wrong.
pub fn parse_failed(error: async_graphql::parser::Error) -> ServerError {
    let mut error = ServerError::from(error);
    with_code(&mut error, "GRAPHQL_PARSE_FAILED");
    error
}

/// Gives every error async-graphql raised itself an `extensions.code`. One without a path was
/// raised before any resolver ran: the document failed validation, or names no operation it
/// holds. One with a path comes from a resolver's arguments (async-graphql coercing a value, or
/// its connection arguments; the guard checks every value first, so this is a backstop).
pub(super) fn code_library_errors(errors: &mut [ServerError]) {
    for error in errors {
        let code = if error.path.is_empty() {
            "GRAPHQL_VALIDATION_FAILED"
        } else {
            "BAD_USER_INPUT"
        };
        with_code(error, code);
    }
}

/// Labels an error async-graphql raised with `code`, names the input field a coercion message
/// points at, and cuts quoted input out of its message.
fn with_code(error: &mut ServerError, code: &str) {
    let extensions = error
        .extensions
        .get_or_insert_with(ErrorExtensionValues::default);
    if extensions.get("code").is_some() {
        return;
    }
    extensions.set("code", code);
    if let Some(field) = argument_field(&error.message) {
        extensions.set("field", field);
    }
    error.message = crate::error::shorten_quotes(&error.message);
}

/// The input field of `Invalid value for argument "input.tailNumber", …`: the last named
/// segment of the path.
fn argument_field(message: &str) -> Option<String> {
    let path = message.split_once("argument \"")?.1.split('"').next()?;
    path.rsplit('.')
        .find(|segment| !segment.is_empty() && !segment.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_field_of_coercion_messages() {
        assert_eq!(
            argument_field(
                r#"Invalid value for argument "input.tailNumber", expected type "String""#
            ),
            Some("tailNumber".to_owned())
        );
        assert_eq!(
            argument_field(
                r#"Invalid value for argument "input.emissionIds.3", expected type "ID""#
            ),
            Some("emissionIds".to_owned())
        );
        assert_eq!(argument_field("Unknown field \"x\""), None);
    }

    #[test]
    fn domain_inputs_get_the_api_spelling() {
        let error = ApiError::from(Error::invalid(Input::Quantity, "too small"));
        assert_eq!(error.code(), "BAD_USER_INPUT");
        assert_eq!(error.field().as_deref(), Some("quantityTonnes"));
        assert_eq!(error.message(), "quantityTonnes: too small");
    }

    #[test]
    fn each_api_spells_the_fields_its_own_way() {
        let error = ApiError::bad_input(
            "offsetPercentage",
            "is required with `emissionIds` (not \"`fooBar`\")",
        );
        let graphql = error.report(Spelling::Camel);
        assert_eq!(graphql.field.as_deref(), Some("offsetPercentage"));
        assert_eq!(
            graphql.message,
            "offsetPercentage: is required with `emissionIds` (not \"`fooBar`\")"
        );
        let rest = error.report(Spelling::Snake);
        assert_eq!(rest.code, "BAD_USER_INPUT");
        assert_eq!(rest.field.as_deref(), Some("offset_percentage"));
        assert_eq!(
            rest.message, "offset_percentage: is required with `emission_ids` (not \"`fooBar`\")",
            "quoted input is left as sent"
        );
        let domain = ApiError::from(Error::invalid(Input::AircraftModel, "\"X\" is unknown"));
        assert_eq!(
            domain.report(Spelling::Snake).message,
            "model_code: \"X\" is unknown"
        );
    }
}
