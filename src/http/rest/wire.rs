//! What every REST route shares on the wire: the caller from its API key, JSON bodies within
//! the body limits (unknown fields refused, the field at fault named), `limit`/`cursor` pages,
//! ids in paths, and errors as `{ "error": { "code", "message", "field" } }` with the status
//! their code calls for. Codes, fields and messages come from the one mapping of
//! [`crate::api::errors`], in snake_case.

use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::api::context::Viewer;
use crate::api::errors::{ApiError, ErrorReport, Spelling};
use crate::api::id::{GlobalId, decode};
use crate::http::media;
use crate::http::{HttpState, idempotency, protection};
use crate::ids::OrganizationId;
use crate::paging::{DEFAULT_PAGE_SIZE, Direction, MAX_PAGE_SIZE, Page};
use crate::retries::Fingerprint;

/// A refused REST request.
#[derive(Debug)]
pub struct RestError {
    status: StatusCode,
    report: ErrorReport,
}

/// The body of every error answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// The same codes as GraphQL's `extensions.code`: `BAD_USER_INPUT`, `BAD_REQUEST`,
    /// `UNAUTHENTICATED`, `NOT_FOUND`, `CONFLICT`, `QUOTE_EXPIRED`, `INSUFFICIENT_SUPPLY`,
    /// `PAYMENT_PROVIDER_ERROR`, `RATE_LIMITED`, `PAYLOAD_TOO_LARGE`, `UNSUPPORTED_MEDIA_TYPE`,
    /// `REQUEST_TIMEOUT`, `INTERNAL_SERVER_ERROR`.
    pub code: String,
    /// For a person; never holds internals.
    pub message: String,
    /// The request field at fault (`BAD_USER_INPUT`), e.g. `duration_minutes` or
    /// `metadata.beneficiary_name`; null otherwise.
    pub field: Option<String>,
    /// With `CONFLICT` on an `external_reference`: the id of what that reference already
    /// names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing_id: Option<String>,
}

/// The HTTP status of an error code.
fn status_of(code: &str) -> StatusCode {
    match code {
        "BAD_USER_INPUT" | "BAD_REQUEST" => StatusCode::BAD_REQUEST,
        "UNAUTHENTICATED" => StatusCode::UNAUTHORIZED,
        "FORBIDDEN" => StatusCode::FORBIDDEN,
        "NOT_FOUND" => StatusCode::NOT_FOUND,
        "CONFLICT" => StatusCode::CONFLICT,
        "QUOTE_EXPIRED" => StatusCode::GONE,
        "PAYLOAD_TOO_LARGE" => StatusCode::PAYLOAD_TOO_LARGE,
        "UNSUPPORTED_MEDIA_TYPE" => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "INSUFFICIENT_SUPPLY" => StatusCode::UNPROCESSABLE_ENTITY,
        "RATE_LIMITED" => StatusCode::TOO_MANY_REQUESTS,
        "PAYMENT_PROVIDER_ERROR" => StatusCode::BAD_GATEWAY,
        "REQUEST_TIMEOUT" => StatusCode::REQUEST_TIMEOUT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl RestError {
    /// A refusal of the transport itself (not JSON, too large, …), with its own status.
    pub fn transport(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        RestError {
            status,
            report: ErrorReport {
                code,
                message: message.into(),
                field: None,
                existing_id: None,
            },
        }
    }

    /// A field of the request, named as sent, that does not fit.
    fn field(field: String, message: String) -> Self {
        RestError {
            status: StatusCode::BAD_REQUEST,
            report: ErrorReport {
                code: "BAD_USER_INPUT",
                message: crate::error::shorten_quotes(&format!("{field}: {message}")),
                field: Some(field),
                existing_id: None,
            },
        }
    }

    /// The same error, a field of `parent` named by its path (`metadata.beneficiary_name`).
    pub fn within(mut self, parent: &str, fields: &[&str]) -> Self {
        if let Some(field) = self.report.field.take() {
            let nested = fields.contains(&field.as_str());
            if nested && let Some(reason) = self.report.message.strip_prefix(&format!("{field}: "))
            {
                self.report.message = format!("{parent}.{field}: {reason}");
            }
            self.report.field = Some(if nested {
                format!("{parent}.{field}")
            } else {
                field
            });
        }
        self
    }

    pub fn not_found(what: &str) -> Self {
        ApiError::not_found(what).into()
    }
}

impl From<ApiError> for RestError {
    fn from(error: ApiError) -> Self {
        let report = error.report(Spelling::Snake);
        RestError {
            status: status_of(report.code),
            report,
        }
    }
}

impl From<crate::error::Error> for RestError {
    fn from(error: crate::error::Error) -> Self {
        ApiError::from(error).into()
    }
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.report.code.to_owned(),
                message: self.report.message,
                field: self.report.field,
                existing_id: self.report.existing_id,
            },
        };
        json(self.status, &body)
    }
}

/// A JSON answer.
pub fn json(status: StatusCode, body: &impl Serialize) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A refusal in the REST shape, for the layers the routes share (rate limits, timeouts,
/// idempotency keys).
pub fn refusal(status: StatusCode, code: &'static str, message: &str) -> Response {
    RestError::transport(status, code, message).into_response()
}

/// 429 with `Retry-After`, in the REST shape.
pub fn too_many_requests(wait: Duration) -> Response {
    let seconds = protection::retry_after_secs(wait);
    let mut response = refusal(
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITED",
        &format!("too many requests; retry in {seconds} s"),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// Whether a stored answer failed in a way a retry should not be told again.
pub fn is_transient(body: &str) -> bool {
    match serde_json::from_str::<ErrorBody>(body) {
        Ok(refused) => idempotency::TRANSIENT.contains(&refused.error.code.as_str()),
        // A success, or a body this server did not write.
        Err(_) => serde_json::from_str::<Value>(body).is_err(),
    }
}

/// The caller's organization, from `Authorization: Bearer …`.
pub async fn organization(
    state: &HttpState,
    headers: &HeaderMap,
) -> Result<OrganizationId, RestError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let viewer = state.viewer(authorization).await?;
    Ok(viewer.organization()?)
}

/// The answer of a route that reads.
pub async fn read(
    state: &HttpState,
    headers: &HeaderMap,
    run: impl AsyncFnOnce(OrganizationId) -> Result<Response, RestError>,
) -> Response {
    let answered = async {
        let organization = organization(state, headers).await?;
        run(organization).await
    };
    answered.await.unwrap_or_else(IntoResponse::into_response)
}

/// The answer of a route that writes: the caller, then its JSON body as `T`, then `run`,
/// once per `Idempotency-Key` as on `POST /graphql`.
pub async fn write<T: DeserializeOwned>(
    state: &HttpState,
    request: Request,
    run: impl AsyncFnOnce(OrganizationId, T) -> Result<Response, RestError>,
) -> Response {
    let (parts, body) = request.into_parts();
    let read = async {
        let organization = organization(state, &parts.headers).await?;
        let (input, fingerprint) = read_body::<T>(state, &parts.method, &parts, body).await?;
        Ok::<_, RestError>((organization, input, fingerprint))
    };
    let (organization, input, fingerprint) = match read.await {
        Ok(read) => read,
        Err(refused) => return refused.into_response(),
    };
    let caller = Viewer::Organization(organization);
    let execute = async |_: Viewer| {
        run(organization, input)
            .await
            .unwrap_or_else(IntoResponse::into_response)
    };
    match parts.headers.get(protection::IDEMPOTENCY_KEY) {
        Some(key) => {
            let once = idempotency::Once {
                state,
                shape: idempotency::Shape::Rest,
                viewer: caller,
                fingerprint,
            };
            once.run(key, execute).await
        }
        None => execute(caller).await,
    }
}

/// Reads a JSON body within the limits as `T`, with the fingerprint of the request.
async fn read_body<T: DeserializeOwned>(
    state: &HttpState,
    method: &Method,
    parts: &axum::http::request::Parts,
    body: Body,
) -> Result<(T, Fingerprint), RestError> {
    if !media::is_json(&parts.headers) {
        return Err(RestError::transport(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            format!("send the body as Content-Type: {}", media::JSON),
        ));
    }
    let limits = &state.app.config.http_limits;
    let read = axum::body::to_bytes(body, limits.max_body_bytes);
    let bytes = match tokio::time::timeout(limits.body_timeout, read).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(error)) => {
            let too_large = std::error::Error::source(&error)
                .is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
            return Err(if too_large {
                RestError::transport(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "PAYLOAD_TOO_LARGE",
                    format!("the request body exceeds {} bytes", limits.max_body_bytes),
                )
            } else {
                RestError::transport(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    "the request body could not be read",
                )
            });
        }
        Err(_) => {
            return Err(RestError::transport(
                StatusCode::REQUEST_TIMEOUT,
                "REQUEST_TIMEOUT",
                "the request body did not arrive in time",
            ));
        }
    };
    let value: Value = serde_json::from_slice(&bytes).map_err(|error| {
        RestError::transport(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            crate::error::shorten_quotes(&format!("the body is not JSON: {error}")),
        )
    })?;
    let fingerprint = Fingerprint::of(&[
        ("method", &method.as_str()),
        ("path", &parts.uri.path()),
        ("body", &value.to_string()),
    ]);
    let input = typed(value)?;
    Ok((input, fingerprint))
}

/// A JSON value as `T`, or the field that does not fit and why.
fn typed<T: DeserializeOwned>(value: Value) -> Result<T, RestError> {
    if !value.is_object() {
        return Err(RestError::transport(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "the body must be a JSON object",
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let message = error.inner().to_string();
        // serde names a missing or unknown field in its message.
        let named = ["missing field `", "unknown field `"]
            .iter()
            .find_map(|lead| message.strip_prefix(lead)?.split('`').next());
        // The path of an unknown field ends with it; that of a missing one is its object's.
        let field = match (named, path.as_str()) {
            (Some(name), ".") => name.to_owned(),
            (Some(name), path) if path == name || path.ends_with(&format!(".{name}")) => {
                path.to_owned()
            }
            (Some(name), parent) => format!("{parent}.{name}"),
            (None, path) => path.to_owned(),
        };
        let message = match message.split_once(", expected one of") {
            Some((unknown, _)) if message.starts_with("unknown field") => {
                format!("{unknown}: this route takes no such field")
            }
            _ => message,
        };
        RestError::field(field, message)
    })
}

/// The id in a path, if it names a `T`; anything else names nothing (404).
pub fn path_id<T: GlobalId>(id: &str, what: &str) -> Result<T, RestError> {
    decode(id)
        .filter(|(kind, _)| *kind == T::KIND)
        .and_then(|(_, key)| key.parse().ok())
        .map(T::from_key)
        .ok_or_else(|| RestError::not_found(what))
}

/// The page a list route's `limit` (1 to 100, default 20) and `cursor` ask for.
pub fn page(query: Option<&str>) -> Result<Page, RestError> {
    let mut limit = None;
    let mut cursor = None;
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let slot = match name.as_ref() {
            "limit" => &mut limit,
            "cursor" => &mut cursor,
            _ => continue,
        };
        if slot.replace(value.into_owned()).is_some() {
            return Err(RestError::field(name.into_owned(), "is given twice".into()));
        }
    }
    let size = match limit {
        None => DEFAULT_PAGE_SIZE,
        Some(limit) => limit
            .bytes()
            .all(|byte| byte.is_ascii_digit())
            .then(|| limit.parse::<u64>().ok())
            .flatten()
            .filter(|limit| (1..=MAX_PAGE_SIZE).contains(limit))
            .ok_or_else(|| {
                RestError::field(
                    "limit".into(),
                    format!("must be a whole number from 1 to {MAX_PAGE_SIZE}"),
                )
            })?,
    };
    let after = cursor
        .map(|cursor| {
            crate::api::pagination::decode_cursor(&cursor).ok_or_else(|| {
                RestError::field(
                    "cursor".into(),
                    "is not a cursor of this list (use `next_cursor` of the previous page)".into(),
                )
            })
        })
        .transpose()?;
    Ok(Page {
        size,
        after,
        before: None,
        direction: Direction::Forward,
    })
}

/// The rows of a page and the cursor of the next one, if any.
pub fn paged<R>(mut rows: Vec<R>, page: Page, key: impl Fn(&R) -> i64) -> (Vec<R>, Option<String>) {
    let more = rows.len() as u64 > page.size;
    rows.truncate(page.size as usize);
    let next = more
        .then(|| {
            rows.last()
                .map(|row| crate::api::pagination::encode_cursor(key(row)))
        })
        .flatten();
    (rows, next)
}
