//! The OpenAPI 3.1 document of the REST routes, derived from their handlers and types (what
//! `GET /openapi.json` serves, `contrail openapi` prints and `openapi.json` holds), and the
//! parts of it that are written once for every route: the API key, `Idempotency-Key`, page
//! parameters and error answers.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, RefOr, Required, Response as Answer, ResponseBuilder};
use utoipa::{IntoParams, IntoResponses, Modify, OpenApi, ToSchema};

use super::wire::ErrorBody;
use super::{checkout, emissions, fleet, provisions};
use crate::paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Contrail REST API",
        description = "The REST routes of the flight-emissions API (fleet, estimates, emissions, \
provisions, the prepaid provision checkout) and of the credits checkout service (quotes, hosted \
checkout, payments), over the same domain code as the GraphQL API at `/graphql`: the same API \
keys, the same ids (an id from one API works in the other) and the same error codes. JSON in \
snake_case; masses and money as exact decimal strings (kilograms with 3 decimals, tonnes with \
6). Errors answer `{ \"error\": { \"code\", \"message\", \"field\" } }`: 400 bad input (`field` \
names it; unknown fields are refused), 401 no or a bad key, 404 not yours or unknown, 409 \
conflict, 410 quote or estimate expired, 413 body too large, 415 not JSON, 422 not enough \
supply, 429 rate limited (`Retry-After`), 502 payment provider unavailable. Every route that \
writes honours `Idempotency-Key`.",
        license(name = "MIT"),
    ),
    paths(
        fleet::register,
        fleet::list,
        emissions::estimate,
        emissions::create,
        emissions::list,
        emissions::show,
        provisions::create,
        provisions::show,
        provisions::link,
        provisions::checkout,
        checkout::quote,
        checkout::create,
        checkout::payment,
    ),
    components(schemas(ErrorBody)),
    modifiers(&ApiKey, &Links),
    tags(
        (name = "Fleet", description = "Your aircraft, by tail number."),
        (name = "Emissions", description = "A flight's CO2 before purchase, and flights that happened."),
        (name = "Provisions", description = "Credits for your emissions: through your own checkout (invoiced monthly) or a prepaid hosted checkout."),
        (name = "Checkout", description = "Credits without emissions: quotes, the hosted checkout and its payments."),
    )
)]
struct RestApi;

/// `Authorization: Bearer ctr_…`, the organization's API key.
struct ApiKey;

impl Modify for ApiKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description = Some(
            "Your organization's API key (`ctr_…`), the same as for GraphQL: \
             `Authorization: Bearer ctr_…`."
                .to_owned(),
        );
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("api_key", SecurityScheme::Http(scheme));
    }
}

/// Where the ids a route answers lead: what a client (or a fuzzer's stateful phase) may do
/// next with them.
struct Links;

/// `(path of a POST, link name, operation id, its path's id)`, from the 201 answer.
const LINKS: [(&str, &str, &str, &str); 6] = [
    (
        "/api/emissions",
        "GetEmission",
        "getEmission",
        "$response.body#/id",
    ),
    (
        "/api/provisions",
        "GetProvision",
        "getProvision",
        "$response.body#/id",
    ),
    (
        "/api/provisions",
        "LinkEmissions",
        "linkEmissionsToProvision",
        "$response.body#/id",
    ),
    (
        "/api/provisions/checkout",
        "GetPayment",
        "getPayment",
        "$response.body#/payment/id",
    ),
    (
        "/api/provisions/checkout",
        "GetProvision",
        "getProvision",
        "$response.body#/provision/id",
    ),
    (
        "/checkout",
        "GetPayment",
        "getPayment",
        "$response.body#/payment/id",
    ),
];

impl Modify for Links {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, name, operation, id) in LINKS {
            let created = openapi
                .paths
                .paths
                .get_mut(path)
                .and_then(|item| item.post.as_mut())
                .and_then(|post| post.responses.responses.get_mut("201"));
            if let Some(RefOr::T(answer)) = created {
                let link = LinkBuilder::new()
                    .operation_id(operation)
                    .parameter("id", id);
                answer.links.insert(name.to_owned(), RefOr::T(link.build()));
            }
        }
    }
}

/// The document, as JSON (built once).
pub fn document() -> &'static str {
    static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
        let mut json = RestApi::openapi()
            .to_pretty_json()
            .expect("the OpenAPI document serializes");
        json.push('\n');
        json
    });
    &DOCUMENT
}

/// `GET /openapi.json`.
pub async fn serve() -> Response {
    let mut response = (StatusCode::OK, document()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The optional `Idempotency-Key` header of the routes that write.
pub struct IdempotencyKey;

impl IntoParams for IdempotencyKey {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let schema = ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(255))
            .pattern(Some("^[!-~]+$"));
        vec![
            ParameterBuilder::new()
                .name("Idempotency-Key")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "1 to 255 visible ASCII characters (a UUID, say). The same key and body \
                     within 24 hours answers the first response again (with \
                     `Idempotent-Replayed: true`) without running; the same key with another \
                     request is a `CONFLICT`.",
                ))
                .schema(Some(schema))
                .build(),
        ]
    }
}

/// `limit` and `cursor` of the list routes.
pub struct PageParams;

impl IntoParams for PageParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let limit = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(MAX_PAGE_SIZE))
            .default(Some(DEFAULT_PAGE_SIZE.into()));
        vec![
            ParameterBuilder::new()
                .name("limit")
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some("Items per page, 1 to 100 (default 20)."))
                .schema(Some(limit))
                .build(),
            ParameterBuilder::new()
                .name("cursor")
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some(
                    "`next_cursor` of the previous page; the first page without it.",
                ))
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build(),
        ]
    }
}

/// What each error status means.
fn error_answer(status: u16) -> Answer {
    let meaning = match status {
        400 => {
            "`BAD_USER_INPUT` (`field` names the field at fault, unknown fields included) or a body that is not a JSON object (`BAD_REQUEST`); nothing was written."
        }
        401 => "`UNAUTHENTICATED`: no API key, or not a valid one.",
        404 => "`NOT_FOUND`: no such record of yours.",
        409 => {
            "`CONFLICT`: the state does not allow it (a used quote, a recorded estimate, a retired provision's flights), an `external_reference` naming another request's result (`existing_id`), or an `Idempotency-Key` used for another request."
        }
        410 => "`QUOTE_EXPIRED`: the quote or estimate no longer holds its price.",
        413 => "`PAYLOAD_TOO_LARGE`: the body exceeds the server's limit (1 MiB by default).",
        415 => "`UNSUPPORTED_MEDIA_TYPE`: send the body as `Content-Type: application/json`.",
        422 => "`INSUFFICIENT_SUPPLY`: not enough credits, or no listing to price them.",
        429 => "`RATE_LIMITED`: too many requests; retry after `Retry-After` seconds.",
        502 => {
            "`PAYMENT_PROVIDER_ERROR`: the payment provider refused or could not be reached; nothing was kept."
        }
        _ => "An error.",
    };
    ResponseBuilder::new()
        .description(meaning)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                    ErrorBody::name(),
                ))))
                .build(),
        )
        .build()
}

macro_rules! error_answers {
    ($($(#[doc = $doc:literal])* $name:ident: [$($status:literal),*];)*) => {$(
        $(#[doc = $doc])*
        pub struct $name;

        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Answer>> {
                [$($status),*]
                    .into_iter()
                    .map(|status: u16| (status.to_string(), RefOr::T(error_answer(status))))
                    .collect()
            }
        }
    )*};
}

error_answers! {
    /// A list route's errors.
    ListErrors: [400, 401, 429];
    /// A route that reads one record.
    ReadErrors: [401, 404, 429];
    /// A route that writes.
    WriteErrors: [400, 401, 404, 409, 413, 415, 422, 429];
    /// A route that records an estimate or a flight (an estimate expires).
    EmissionWriteErrors: [400, 401, 404, 409, 410, 413, 415, 422, 429];
    /// A route that opens a hosted checkout (a quote expires; the provider may fail).
    CheckoutErrors: [400, 401, 404, 409, 410, 413, 415, 422, 429, 502];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_with_every_route() {
        let document: serde_json::Value = serde_json::from_str(document()).unwrap();
        assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
        let paths = document["paths"].as_object().unwrap();
        for path in [
            "/api/fleet",
            "/api/emissions/estimate",
            "/api/emissions",
            "/api/emissions/{id}",
            "/api/provisions",
            "/api/provisions/{id}",
            "/api/provisions/{id}/emissions",
            "/api/provisions/checkout",
            "/quotes",
            "/checkout",
            "/payments/{id}",
        ] {
            assert!(paths.contains_key(path), "{path} is missing");
        }
        let links = document["paths"]["/checkout"]["post"]["responses"]["201"]["links"]
            .as_object()
            .unwrap();
        assert_eq!(links["GetPayment"]["operationId"], "getPayment");
    }
}
