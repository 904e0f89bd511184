//! The domain's error, and how messages quote what a client sent.

use std::sync::Arc;

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

/// What went wrong in a domain operation, in the domain's terms. The API layer maps each
/// variant to an `extensions.code` (and an [`Input`] to the name of the field a client sent);
/// the command line prints it with its cause.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// A value the caller gave is unusable for this operation.
    #[error("{input}: {reason}")]
    InvalidInput { input: Input, reason: String },
    /// The record does not exist, or belongs to another organization (never revealed).
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// An external reference already names what another request made.
    #[error("{message}")]
    ReferenceTaken { message: String, existing: Existing },
    /// A quote or estimate whose price no longer holds.
    #[error("{0}")]
    Expired(String),
    #[error("{0}")]
    InsufficientSupply(String),
    /// The payment provider refused or could not be reached; nothing was written.
    #[error("{0}")]
    PaymentProvider(String),
    /// Anything the caller cannot fix; its cause is logged, never shown to a client.
    #[error("internal error: {0}")]
    Internal(Arc<dyn std::error::Error + Send + Sync>),
}

/// What an external reference already names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    Emission(crate::ids::EmissionId),
    Provision(crate::ids::ProvisionId),
    Payment(crate::ids::PaymentId),
}

impl Error {
    /// Another request made `existing` with this reference.
    pub fn reference_taken(
        reference: &crate::retries::ExternalReference,
        existing: Existing,
    ) -> Self {
        Error::ReferenceTaken {
            message: format!(
                "external reference {} names another request's result (see existingId); send the \
                 same request to have its result again, or use a new reference",
                quote(reference.as_str())
            ),
            existing,
        }
    }
}

/// The inputs domain operations judge (beyond what parsing at the edge already checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    AircraftModel,
    OrganizationName,
    /// A quantity of credits, given in tonnes.
    Quantity,
    /// Emissions a quantity is derived from.
    Emissions,
    /// A flight's duration, or the duration of one leg of several (by position from 0).
    Duration {
        leg: Option<usize>,
    },
    /// The legs of a trip, together.
    Legs,
    /// The airports of a flight whose route is already known.
    Route,
    /// The estimate a flight is recorded from.
    Estimate,
}

impl std::fmt::Display for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Input::AircraftModel => "aircraft model",
            Input::OrganizationName => "organization name",
            Input::Quantity => "quantity",
            Input::Emissions => "emissions",
            Input::Duration { .. } => "duration",
            Input::Legs => "legs",
            Input::Route => "route",
            Input::Estimate => "estimate",
        })
    }
}

impl Error {
    pub fn invalid(input: Input, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            input,
            reason: reason.into(),
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
