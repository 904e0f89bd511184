//! The browsable reference of `/openapi.json`: Swagger UI, copied from npm by
//! `tools/openapi/build.sh` and embedded, so it works with no internet.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

const INDEX_HTML: &str = include_str!("../../assets/openapi/index.html");
const SWAGGER_UI_JS: &str = include_str!("../../assets/openapi/swagger-ui.js");
const SWAGGER_UI_CSS: &str = include_str!("../../assets/openapi/swagger-ui.css");
const REFERENCE_JS: &str = include_str!("../../assets/openapi/reference.js");

/// Its bundled scripts and styles (icons inlined as data; the bundle sets inline styles), and
/// requests to this server only ("Try it out").
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// `GET /openapi`.
pub async fn page() -> Response {
    (
        [(header::CONTENT_SECURITY_POLICY, POLICY)],
        Html(INDEX_HTML),
    )
        .into_response()
}

/// `GET /openapi/assets/{file}`.
pub async fn asset(Path(file): Path<String>) -> Response {
    let (content_type, body) = match file.as_str() {
        "swagger-ui.js" => ("text/javascript; charset=utf-8", SWAGGER_UI_JS),
        "reference.js" => ("text/javascript; charset=utf-8", REFERENCE_JS),
        "swagger-ui.css" => ("text/css; charset=utf-8", SWAGGER_UI_CSS),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}
