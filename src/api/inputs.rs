//! Parsing at the edge: what a client sends becomes a domain type here, or a `BAD_USER_INPUT`
//! naming the field as the client spelled it.

use async_graphql::ID;

use super::errors::{ApiError, ApiResult};
use super::id::parse;
use crate::fleet::TailNumber;
use crate::ids::EmissionId;

pub fn tail_number(input: &str, field: &'static str) -> ApiResult<TailNumber> {
    TailNumber::parse(input).map_err(|message| ApiError::bad_input(field, message))
}

pub fn model_code(input: &str) -> ApiResult<String> {
    crate::catalog::parse_code(input).map_err(|message| ApiError::bad_input("modelCode", message))
}

/// Free text on one line, at most `max_chars`.
pub fn text(input: &str, max_chars: usize, field: &'static str) -> ApiResult<String> {
    crate::units::parse_text(input, max_chars, false)
        .map_err(|message| ApiError::bad_input(field, message))
}

/// 1 to 100 emissions of the caller (ownership is checked by the operation).
pub fn emission_ids(ids: &[ID], field: &'static str) -> ApiResult<Vec<EmissionId>> {
    if ids.is_empty() || ids.len() > 100 {
        return Err(ApiError::bad_input(field, "must list 1 to 100 emissions"));
    }
    ids.iter().map(|id| parse(id, field)).collect()
}

/// Parses an optional value with `parse`, blaming `field`.
pub fn optional<T, E: std::fmt::Display>(
    value: Option<&str>,
    field: &'static str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> ApiResult<Option<T>> {
    value
        .map(|value| parse(value).map_err(|message| ApiError::bad_input(field, message)))
        .transpose()
}
