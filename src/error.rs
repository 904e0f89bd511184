//! The application's error: every domain operation and resolver returns it, and it is turned
//! into a GraphQL error with `extensions.code` in exactly one place, below.

use std::sync::Arc;

use async_graphql::ErrorExtensions;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How much of a client's input a message may quote.
const QUOTE_CHARS: usize = 40;

/// Quotes a client's input in a message: at most a short prefix, escaped, so an error never
/// echoes a huge or unprintable value back.
pub fn quote(input: &str) -> String {
    let mut chars = input.chars();
    let prefix: String = chars.by_ref().take(QUOTE_CHARS).collect();
    if chars.next().is_some() {
        format!("{:?}", format!("{prefix}…"))
    } else {
        format!("{prefix:?}")
    }
}

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

/// Longest message a client receives from the GraphQL machinery.
const MAX_MESSAGE_CHARS: usize = 300;

/// A message of async-graphql or serde about a client's input, with every quoted part cut to
/// a short prefix and the whole bounded: such messages quote input verbatim.
pub fn shorten_quotes(message: &str) -> String {
    let mut shortened = String::with_capacity(message.len().min(MAX_MESSAGE_CHARS));
    let mut rest = message;
    while let Some(open) = rest.find(['"', '`']) {
        let quote_char = &rest[open..open + 1];
        shortened.push_str(&rest[..=open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find(quote_char) else {
            rest = after;
            break;
        };
        let quoted = &after[..close];
        if quoted.chars().count() > QUOTE_CHARS {
            shortened.extend(quoted.chars().take(QUOTE_CHARS));
            shortened.push('…');
        } else {
            shortened.push_str(quoted);
        }
        shortened.push_str(quote_char);
        rest = &after[close + 1..];
    }
    shortened.push_str(rest);
    if shortened.chars().count() > MAX_MESSAGE_CHARS {
        shortened = shortened.chars().take(MAX_MESSAGE_CHARS).collect();
        shortened.push('…');
    }
    shortened
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_a_short_prefix() {
        assert_eq!(quote("E55P"), "\"E55P\"");
        let long = "x".repeat(100_000);
        let quoted = quote(&long);
        assert!(quoted.chars().count() < 50, "{quoted}");
        assert_eq!(quote("a\0b"), "\"a\\0b\"");
    }

    #[test]
    fn shortens_quoted_input_in_library_messages() {
        let message = format!(
            "enumeration type \"FuelType\" does not contain the value \"{}\"",
            "Z".repeat(100_000)
        );
        let short = shorten_quotes(&message);
        assert!(
            short.starts_with("enumeration type \"FuelType\" does not contain the value \"ZZZ")
        );
        assert!(short.chars().count() < 120, "{short}");
        let unbalanced = format!("invalid type: string \"{}", "y".repeat(10_000));
        assert!(shorten_quotes(&unbalanced).chars().count() <= MAX_MESSAGE_CHARS + 1);
    }
}
