//! Errors in Stripe's shape, `{"error": {"type", "message", "param", "code"}}`: the only shape
//! async-stripe turns into `StripeError::Stripe` (anything else is a decode error).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::{Error, quote};

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
    param: Option<String>,
    code: Option<&'static str>,
}

impl ApiError {
    /// A request Stripe would refuse, naming the parameter at fault if there is one.
    pub fn invalid(message: impl Into<String>, param: Option<&str>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            message: message.into(),
            param: param.map(str::to_owned),
            code: None,
        }
    }

    pub fn missing(param: &str) -> Self {
        ApiError::invalid(format!("Missing required param: {param}."), Some(param))
            .with_code("parameter_missing")
    }

    /// An object named by a parameter (`status` 400) or by the path (404) that does not exist.
    pub fn no_such(status: StatusCode, object: &str, id: &str, param: &str) -> Self {
        ApiError::invalid(format!("No such {object}: {}", quote(id)), Some(param))
            .with_status(status)
            .with_code("resource_missing")
    }

    pub fn unauthorized(message: &str) -> Self {
        ApiError::invalid(message, None).with_status(StatusCode::UNAUTHORIZED)
    }

    pub fn idempotency(status: StatusCode, message: String) -> Self {
        ApiError {
            kind: "idempotency_error",
            ..ApiError::invalid(message, None).with_status(status)
        }
    }

    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        tracing::error!(%error, "the Stripe test double failed");
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            kind: "api_error",
            message: "An unknown error occurred".to_owned(),
            param: None,
            code: None,
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(error: sea_orm::DbErr) -> Self {
        Error::from(error).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "error": {
                "type": self.kind,
                "message": self.message,
                "param": self.param,
                "code": self.code,
            }
        });
        (self.status, Json(body)).into_response()
    }
}
