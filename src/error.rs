//! The application's error: every domain operation and resolver returns it, and it is turned
//! into a GraphQL error with `extensions.code` in exactly one place, below.

use std::sync::Arc;

use async_graphql::ErrorExtensions;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, in terms a client can act on. Deliberately not `Display`: the only way out
/// to a client is the mapping to `async_graphql::Error`, which keeps internals out of messages.
#[derive(Debug, Clone)]
pub enum Error {
    /// An input field is malformed or out of range.
    BadUserInput {
        field: String,
        message: String,
    },
    Unauthenticated(&'static str),
    /// The record does not exist, or belongs to another organization (never revealed).
    NotFound(String),
    Conflict(String),
    QuoteExpired(String),
    InsufficientSupply(String),
    /// Anything the client cannot fix; logged with its cause, answered without it.
    Internal(Arc<dyn std::error::Error + Send + Sync>),
}

impl Error {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::BadUserInput {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Error::NotFound(what.into())
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Error::Conflict(message.into())
    }

    pub fn insufficient_supply(message: impl Into<String>) -> Self {
        Error::InsufficientSupply(message.into())
    }

    pub fn internal(cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        Error::Internal(Arc::new(cause))
    }

    /// The `extensions.code` clients switch on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadUserInput { .. } => "BAD_USER_INPUT",
            Error::Unauthenticated(_) => "UNAUTHENTICATED",
            Error::NotFound(_) => "NOT_FOUND",
            Error::Conflict(_) => "CONFLICT",
            Error::QuoteExpired(_) => "QUOTE_EXPIRED",
            Error::InsufficientSupply(_) => "INSUFFICIENT_SUPPLY",
            Error::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The message a client sees.
    pub fn message(&self) -> String {
        match self {
            Error::BadUserInput { field, message } => format!("{field}: {message}"),
            Error::Unauthenticated(message) => (*message).to_owned(),
            Error::NotFound(what) => format!("{what} not found"),
            Error::Conflict(message)
            | Error::QuoteExpired(message)
            | Error::InsufficientSupply(message) => message.clone(),
            Error::Internal(_) => "internal server error".to_owned(),
        }
    }
}

impl From<sea_orm::DbErr> for Error {
    fn from(error: sea_orm::DbErr) -> Self {
        Error::internal(error)
    }
}

/// The one mapping from [`Error`] to what a GraphQL client receives.
impl From<Error> for async_graphql::Error {
    fn from(error: Error) -> Self {
        if let Error::Internal(cause) = &error {
            tracing::error!(error = %cause, "internal error while resolving a request");
        }
        async_graphql::Error::new(error.message()).extend_with(|_, extensions| {
            extensions.set("code", error.code());
            if let Error::BadUserInput { field, .. } = &error {
                extensions.set("field", field.as_str());
            }
        })
    }
}
