//! The Stripe API the double serves under `/_stripe/v1`: the requests async-stripe sends for
//! Checkout Sessions and refunds, answered in Stripe's JSON, errors included.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use chrono::Utc;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

use super::entity::{PaymentStatus, SessionStatus, session};
use super::error::ApiError;
use super::idempotency::Idempotency;
use super::params::{self, CreateRefund, CreateSession, Retrieve};
use super::{StripeDouble, events, lifecycle, new_id};
use crate::error::quote;

pub fn routes(double: StripeDouble) -> Router {
    Router::new()
        .route("/checkout/sessions", post(create_session))
        .route("/checkout/sessions/{id}", get(retrieve_session))
        .route("/checkout/sessions/{id}/expire", post(expire_session))
        .route("/refunds", post(create_refund))
        .fallback(unknown_route)
        .method_not_allowed_fallback(unknown_route)
        .layer(middleware::from_fn_with_state(double.clone(), authenticate))
        .with_state(double)
}

/// Stripe checks the key before anything else.
async fn authenticate(
    State(double): State<StripeDouble>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    match presented {
        Some(key) if key == double.settings.secret_key => next.run(request).await,
        Some(_) => ApiError::unauthorized("Invalid API Key provided.").into_response(),
        None => ApiError::unauthorized(
            "You did not provide an API key. Provide it in the Authorization header, using Bearer auth.",
        )
        .into_response(),
    }
}

async fn unknown_route(method: Method, uri: Uri) -> ApiError {
    ApiError::invalid(
        format!(
            "Unrecognized request URL ({method}: {}). The Stripe test double serves only Checkout Sessions and refunds.",
            quote(&format!("/v1{}", uri.path()))
        ),
        None,
    )
    .with_status(StatusCode::NOT_FOUND)
}

async fn create_session(
    State(double): State<StripeDouble>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let idempotency = Idempotency::of(&headers, "POST /v1/checkout/sessions", &body)?;
    let txn = crate::db::begin_write(&double.db).await?;
    // Before validation: a retry replays the first answer even once `expires_at` is too close.
    if let Some(replayed) = idempotency.replay(&txn).await? {
        return Ok(replayed);
    }
    let params: CreateSession = params::parse(&body)?;
    let expand = params::expands_line_items(&params.expand);
    let now = Utc::now();
    let new = params.check(now)?;
    let row = session::ActiveModel {
        id: Set(new_id("cs_test_")?),
        status: Set(SessionStatus::Open),
        payment_status: Set(PaymentStatus::Unpaid),
        currency: Set(new.currency),
        amount_total: Set(new.amount_total),
        line_items: Set(
            serde_json::to_string(&new.line_items).map_err(crate::error::Error::internal)?
        ),
        metadata: Set(serde_json::to_string(&new.metadata).map_err(crate::error::Error::internal)?),
        client_reference_id: Set(new.client_reference_id),
        customer_email: Set(new.customer_email),
        customer_details_email: Set(None),
        success_url: Set(new.success_url),
        cancel_url: Set(new.cancel_url),
        payment_intent: Set(None),
        charge: Set(None),
        paid_at: Set(None),
        settlement: Set(None),
        settle_at: Set(None),
        created_at: Set(now),
        expires_at: Set(new.expires_at),
    }
    .insert(&txn)
    .await?;
    let object = events::session(&row, &double.settings.public_url, expand)?;
    idempotency.commit(txn, &double.db, object).await
}

async fn retrieve_session(
    State(double): State<StripeDouble>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params: Retrieve = match query.as_deref() {
        Some(query) if !query.is_empty() => params::parse(query.as_bytes())?,
        _ => Retrieve::default(),
    };
    let row = session::Entity::find_by_id(id.clone())
        .one(&double.db)
        .await?
        .ok_or_else(|| no_such_session(&id))?;
    let expand = params::expands_line_items(&params.expand);
    let object = events::session(&row, &double.settings.public_url, expand)?;
    Ok(Json(object).into_response())
}

async fn expire_session(
    State(double): State<StripeDouble>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let route = format!("POST /v1/checkout/sessions/{id}/expire");
    let idempotency = Idempotency::of(&headers, &route, &body)?;
    let txn = crate::db::begin_write(&double.db).await?;
    if let Some(replayed) = idempotency.replay(&txn).await? {
        return Ok(replayed);
    }
    let row = lifecycle::lock(&txn, &id)
        .await?
        .ok_or_else(|| no_such_session(&id))?;
    let public_url = &double.settings.public_url;
    let row = match row.status {
        SessionStatus::Open => {
            lifecycle::expire(&txn, public_url, row, idempotency.key(), Utc::now()).await?
        }
        SessionStatus::Expired => row,
        SessionStatus::Complete => {
            return Err(ApiError::invalid(
                format!(
                    "Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout Session ({id}) has a status of \"complete\"."
                ),
                None,
            ));
        }
    };
    let object = events::session(&row, public_url, false)?;
    let response = idempotency.commit(txn, &double.db, object).await;
    double.wake.wake();
    response
}

async fn create_refund(
    State(double): State<StripeDouble>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let idempotency = Idempotency::of(&headers, "POST /v1/refunds", &body)?;
    let txn = crate::db::begin_write(&double.db).await?;
    if let Some(replayed) = idempotency.replay(&txn).await? {
        return Ok(replayed);
    }
    let params: CreateRefund = params::parse(&body)?;
    let payment_intent = params
        .payment_intent
        .ok_or_else(|| ApiError::missing("payment_intent"))?;
    let object = lifecycle::refund(
        &txn,
        &payment_intent,
        params.amount,
        idempotency.key(),
        Utc::now(),
    )
    .await?;
    let response = idempotency.commit(txn, &double.db, object).await;
    double.wake.wake();
    response
}

fn no_such_session(id: &str) -> ApiError {
    ApiError::no_such(StatusCode::NOT_FOUND, "checkout.session", id, "session")
}
