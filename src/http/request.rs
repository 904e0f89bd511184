//! Reading GraphQL requests off the wire: a POST body (one operation, or a batch of them as a
//! JSON array) within the body limits, or a GET's URL parameters; each operation's parameters
//! checked against the types the GraphQL-over-HTTP specification gives them.

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use super::HttpState;
use super::media::Media;
use crate::retries::Fingerprint;

/// One operation as sent: its request, and the document it names instead of sending one.
#[derive(Debug)]
pub struct Operation {
    pub request: async_graphql::Request,
    pub document_id: Option<String>,
}

/// What a POST holds.
pub enum Posted {
    Single(Box<Operation>),
    Batch(Vec<Operation>),
}

impl Posted {
    pub fn len(&self) -> usize {
        match self {
            Posted::Single(_) => 1,
            Posted::Batch(operations) => operations.len(),
        }
    }
}

/// Reads a POST body within the body size and time limits, with the fingerprint of what it
/// asks (its JSON, keys in order).
pub async fn read_post(
    state: &HttpState,
    media: Media,
    body: Body,
) -> Result<(Posted, Fingerprint), Response> {
    let limits = &state.app.config.http_limits;
    let read = axum::body::to_bytes(body, limits.max_body_bytes);
    let bytes = match tokio::time::timeout(limits.body_timeout, read).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(error)) => {
            let too_large = std::error::Error::source(&error)
                .is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
            return Err(if too_large {
                media.refusal(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "PAYLOAD_TOO_LARGE",
                    &format!("the request body exceeds {} bytes", limits.max_body_bytes),
                )
            } else {
                bad_request(media, "the request body could not be read")
            });
        }
        Err(_) => {
            return Err(media.refusal(
                StatusCode::REQUEST_TIMEOUT,
                "REQUEST_TIMEOUT",
                "the request body did not arrive in time",
            ));
        }
    };
    let body: Value = serde_json::from_slice(&bytes)
        .map_err(|error| bad_request(media, &format!("the body is not JSON: {error}")))?;
    let fingerprint = Fingerprint::of(&[("request", &body.to_string())]);
    let posted = match body {
        Value::Array(items) => {
            let max = state.app.config.http_limits.max_batch as usize;
            if items.len() > max {
                return Err(media.refusal(
                    StatusCode::BAD_REQUEST,
                    "BATCH_TOO_LARGE",
                    &format!(
                        "a batch may hold at most {max} operations; this one holds {}",
                        items.len()
                    ),
                ));
            }
            if items.is_empty() {
                return Err(bad_request(media, "the batch holds no operation"));
            }
            let operations = items
                .into_iter()
                .enumerate()
                .map(|(index, item)| {
                    operation(item).map_err(|why| format!("operation {index} of the batch: {why}"))
                })
                .collect::<Result<_, _>>()
                .map_err(|why| bad_request(media, &why))?;
            Posted::Batch(operations)
        }
        single => Posted::Single(Box::new(
            operation(single).map_err(|why| bad_request(media, &why))?,
        )),
    };
    Ok((posted, fingerprint))
}

/// Reads a GET's parameters (`query`, `operationName`, `variables` and `extensions` as JSON,
/// `documentId`).
pub fn read_get(raw: &str) -> Result<Operation, String> {
    let mut fields = Map::new();
    for (name, value) in url::form_urlencoded::parse(raw.as_bytes()) {
        let value = match name.as_ref() {
            "variables" | "extensions" => serde_json::from_str(&value)
                .map_err(|error| format!("`{name}` is not JSON: {error}"))?,
            _ => Value::String(value.into_owned()),
        };
        if fields.insert(name.into_owned(), value).is_some() {
            return Err("a parameter is given twice".to_owned());
        }
    }
    operation(Value::Object(fields))
}

fn bad_request(media: Media, message: &str) -> Response {
    media.refusal(
        StatusCode::BAD_REQUEST,
        "BAD_REQUEST",
        &crate::error::shorten_quotes(message),
    )
}

/// One operation's parameters, typed.
fn operation(value: Value) -> Result<Operation, String> {
    let Value::Object(mut fields) = value else {
        return Err("the request must be a JSON object with a `query`".to_owned());
    };
    let document_id = match fields.remove("documentId") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(id),
        Some(_) => return Err("`documentId` must be a string".to_owned()),
    };
    let persisted = fields
        .get("extensions")
        .and_then(|extensions| extensions.get("persistedQuery"))
        .is_some();
    match fields.get("query") {
        Some(Value::String(_)) => {}
        Some(_) => return Err("`query` must be a string".to_owned()),
        // A persisted query or document is named instead of sent.
        None if document_id.is_some() || persisted => {}
        None => return Err("`query` is required".to_owned()),
    }
    let optional = |name: &str, fits: fn(&Value) -> bool, kind: &str| match fields.get(name) {
        Some(value) if !value.is_null() && !fits(value) => Err(format!("`{name}` must be {kind}")),
        _ => Ok(()),
    };
    optional("variables", Value::is_object, "an object")?;
    optional("operationName", Value::is_string, "a string")?;
    optional("extensions", Value::is_object, "an object")?;
    let request = serde_json::from_value(Value::Object(fields))
        .map_err(|error| format!("the body is not a GraphQL request: {error}"))?;
    Ok(Operation {
        request,
        document_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_parameters_are_read_with_their_json() {
        let operation = read_get(
            "query=query%20A%7Ba%7D%20query%20B%7Bb%7D&operationName=B&variables=%7B%22x%22%3A1%7D",
        )
        .unwrap();
        assert_eq!(operation.request.operation_name.as_deref(), Some("B"));
        assert_eq!(operation.request.query, "query A{a} query B{b}");
        let named = read_get("documentId=abc").unwrap();
        assert_eq!(named.document_id.as_deref(), Some("abc"));
        assert!(
            read_get("variables=%7B")
                .unwrap_err()
                .contains("`variables`")
        );
        assert!(read_get("query=a&query=b").is_err());
        assert!(read_get("").unwrap_err().contains("`query` is required"));
    }

    #[test]
    fn parameters_of_the_wrong_type_are_named() {
        let why = |value: Value| operation(value).err().unwrap_or_default();
        assert!(why(serde_json::json!({ "query": 1 })).contains("`query`"));
        assert!(why(serde_json::json!({ "query": "{a}", "variables": [] })).contains("variables"));
        assert!(why(serde_json::json!({ "documentId": 3 })).contains("documentId"));
        assert!(why(serde_json::json!([])).contains("JSON object"));
    }
}
