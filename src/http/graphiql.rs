//! GraphiQL, bundled by `tools/graphiql/build.sh` and embedded, so it works with no internet.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

const INDEX_HTML: &str = include_str!("../../assets/graphiql/index.html");
const GRAPHIQL_JS: &str = include_str!("../../assets/graphiql/graphiql.js");
const GRAPHIQL_CSS: &str = include_str!("../../assets/graphiql/graphiql.css");

/// Its bundled script and styles (fonts and icons inlined as data), and requests to this
/// server only.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

pub fn page() -> Response {
    (
        [(header::CONTENT_SECURITY_POLICY, POLICY)],
        Html(INDEX_HTML),
    )
        .into_response()
}

pub async fn asset(Path(file): Path<String>) -> Response {
    let (content_type, body) = match file.as_str() {
        "graphiql.js" => ("text/javascript; charset=utf-8", GRAPHIQL_JS),
        "graphiql.css" => ("text/css; charset=utf-8", GRAPHIQL_CSS),
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
