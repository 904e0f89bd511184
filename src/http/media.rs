//! GraphQL over HTTP's media types (the GraphQL-over-HTTP specification, as npm `graphql-http`
//! audits it): what the client accepts decides how a result is written. Under
//! `application/graphql-response+json` a request that could not run (it did not parse, did
//! not validate, or its variables did not fit) is a 400 with no `data`; under the legacy
//! `application/json` every GraphQL result is a 200, as older clients expect.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

pub const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
pub const JSON: &str = "application/json";

/// A GraphQL response as written: serialized straight from the executor's result (a copy of
/// it as a `serde_json::Value` first would allocate every field of the answer again).
#[derive(Serialize)]
struct Body<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a async_graphql::Value>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [async_graphql::ServerError],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    extensions: &'a BTreeMap<String, async_graphql::Value>,
}

/// How a response is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    GraphQLResponse,
    Json,
}

impl Media {
    /// What the client's `Accept` allows, the new media type preferred when asked for by name;
    /// a client that says nothing, or accepts anything, gets `application/json`, as the
    /// specification asks of servers during the transition. `None` when it accepts neither.
    pub fn negotiate(headers: &HeaderMap) -> Option<Media> {
        let Some(accept) = headers.get(header::ACCEPT) else {
            return Some(Media::Json);
        };
        let accept = accept.to_str().ok()?;
        let mut best: Option<(f32, Media)> = None;
        for range in accept.split(',') {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let quality = parts
                .filter_map(|parameter| parameter.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            // A client that accepts anything is one written before the new media type.
            let candidate = match media.as_str() {
                GRAPHQL_RESPONSE => Media::GraphQLResponse,
                JSON | "application/*" | "*/*" => Media::Json,
                _ => continue,
            };
            if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, candidate));
            }
        }
        best.map(|(_, media)| media)
    }

    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Media::GraphQLResponse => "application/graphql-response+json; charset=utf-8",
            Media::Json => "application/json; charset=utf-8",
        })
    }

    /// A GraphQL result, its status chosen by the media type.
    pub fn result(self, mut response: async_graphql::Response) -> Response {
        let headers = std::mem::take(&mut response.http_headers);
        let status = if self.omits_data(&response) {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        let mut http = (status, Json(self.body(&response))).into_response();
        http.headers_mut().extend(headers);
        http.headers_mut()
            .insert(header::CONTENT_TYPE, self.content_type());
        http
    }

    /// The results of a batch, in its order: the batch itself ran, so it is a 200.
    pub fn batch(self, responses: Vec<async_graphql::Response>) -> Response {
        let bodies: Vec<Body<'_>> = responses
            .iter()
            .map(|response| self.body(response))
            .collect();
        let mut http = Json(bodies).into_response();
        http.headers_mut()
            .insert(header::CONTENT_TYPE, self.content_type());
        http
    }

    /// Under the new media type, a request that could not run has no `data` at all.
    fn omits_data(self, response: &async_graphql::Response) -> bool {
        self == Media::GraphQLResponse
            && response.data == async_graphql::Value::Null
            && !response.errors.is_empty()
            && response.errors.iter().all(|error| error.path.is_empty())
    }

    fn body(self, response: &async_graphql::Response) -> Body<'_> {
        Body {
            data: (!self.omits_data(response)).then_some(&response.data),
            errors: &response.errors,
            extensions: &response.extensions,
        }
    }

    /// A request refused before it ran: `status` with a coded error and no `data`.
    pub fn refusal(self, status: StatusCode, code: &str, message: &str) -> Response {
        let mut extensions = json!({ "code": code });
        if let Some(id) = crate::telemetry::request_id() {
            extensions["requestId"] = id.as_str().into();
        }
        let body = json!({ "errors": [{ "message": message, "extensions": extensions }] });
        let mut http = (status, Json(body)).into_response();
        http.headers_mut()
            .insert(header::CONTENT_TYPE, self.content_type());
        http
    }
}

/// Whether a POST body is declared JSON. Anything else (`text/plain`, a form, no type at all)
/// is what a browser sends cross-site without a preflight: refusing it is the CSRF defence.
pub fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case(JSON))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepting(accept: &str) -> Option<Media> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, accept.parse().unwrap());
        Media::negotiate(&headers)
    }

    #[test]
    fn the_new_media_type_is_preferred_and_legacy_clients_keep_json() {
        assert_eq!(Media::negotiate(&HeaderMap::new()), Some(Media::Json));
        assert_eq!(accepting("application/json"), Some(Media::Json));
        assert_eq!(
            accepting("application/graphql-response+json, application/json;q=0.9"),
            Some(Media::GraphQLResponse)
        );
        assert_eq!(
            accepting("application/json, application/graphql-response+json;q=0.5"),
            Some(Media::Json)
        );
        assert_eq!(accepting("*/*"), Some(Media::Json));
        assert_eq!(
            accepting("application/graphql-response+json, */*;q=0.5"),
            Some(Media::GraphQLResponse)
        );
        assert_eq!(accepting("text/html"), None);
        assert_eq!(accepting("application/json;q=0"), None);
    }
}
