//! Stripe's JSON objects (Checkout Session, Charge, Refund) as async-stripe parses them, and the
//! event envelope, queued for delivery in the same transaction as the change it reports.
//!
//! async-stripe refuses an object missing any of its required fields, and a webhook event whose
//! object it refuses, so each object carries every required field of its type.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveEnum, ActiveModelTrait, ConnectionTrait, NotSet, Set};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::entity::{EventType, event, refund, session};
use super::new_id;
use crate::error::{Error, Result};

/// The API version async-stripe 1.0.0-rc.10 is generated for; events carry it.
const API_VERSION: &str = "2026-09-30.endive";

/// One line of a session, as stored in its `line_items` column.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LineItem {
    pub name: String,
    pub description: Option<String>,
    pub quantity: i64,
    pub unit_amount: i64,
}

impl LineItem {
    pub fn amount(&self) -> i64 {
        self.quantity.saturating_mul(self.unit_amount)
    }
}

pub fn line_items(row: &session::Model) -> Result<Vec<LineItem>> {
    serde_json::from_str(&row.line_items).map_err(Error::internal)
}

fn metadata(row: &session::Model) -> Result<BTreeMap<String, String>> {
    serde_json::from_str(&row.metadata).map_err(Error::internal)
}

/// The Checkout Session as it is now; with `expand_line_items`, as when `line_items` is
/// expanded.
pub fn session(row: &session::Model, public_url: &str, expand_line_items: bool) -> Result<Value> {
    let open = row.status == super::entity::SessionStatus::Open;
    let customer_details = row.customer_details_email.as_ref().map(|email| {
        json!({
            "address": null,
            "email": email,
            "name": null,
            "phone": null,
            "tax_exempt": "none",
            "tax_ids": [],
        })
    });
    let mut object = json!({
        "id": row.id,
        "object": "checkout.session",
        "amount_subtotal": row.amount_total,
        "amount_total": row.amount_total,
        "automatic_tax": { "enabled": false, "liability": null, "provider": null, "status": null },
        "cancel_url": row.cancel_url,
        "client_reference_id": row.client_reference_id,
        "created": row.created_at.timestamp(),
        "currency": row.currency,
        "custom_fields": [],
        "custom_text": {
            "after_submit": null,
            "shipping_address": null,
            "submit": null,
            "terms_of_service_acceptance": null,
        },
        "customer": null,
        "customer_details": customer_details,
        "customer_email": row.customer_email,
        "expires_at": row.expires_at.timestamp(),
        "livemode": false,
        "metadata": metadata(row)?,
        "mode": "payment",
        "payment_intent": row.payment_intent,
        "payment_method_types": ["card"],
        "payment_status": row.payment_status.to_value(),
        "shipping_options": [],
        "status": row.status.to_value(),
        "success_url": row.success_url,
        "total_details": { "amount_discount": 0, "amount_shipping": 0, "amount_tax": 0 },
        // Stripe gives the page's address only while the customer can still pay there.
        "url": open.then(|| format!("{public_url}/checkout/{}", row.id)),
    });
    if expand_line_items {
        let items: Vec<Value> = line_items(row)?
            .iter()
            .enumerate()
            .map(|(index, item)| {
                json!({
                    "id": format!("li_{}_{index}", row.id.trim_start_matches("cs_")),
                    "object": "item",
                    "amount_discount": 0,
                    "amount_subtotal": item.amount(),
                    "amount_tax": 0,
                    "amount_total": item.amount(),
                    "currency": row.currency,
                    "description": item.name,
                    "quantity": item.quantity,
                })
            })
            .collect();
        object["line_items"] = json!({
            "object": "list",
            "data": items,
            "has_more": false,
            "url": format!("/v1/checkout/sessions/{}/line_items", row.id),
        });
    }
    Ok(object)
}

/// The charge of a paid session, with its refunds so far.
pub fn charge(row: &session::Model, charge_id: &str, refunds: &[refund::Model]) -> Value {
    let refunded: i64 = refunds.iter().map(|refund| refund.amount).sum();
    let created = row.paid_at.unwrap_or(row.created_at).timestamp();
    let refund_objects: Vec<Value> = refunds
        .iter()
        .map(|one| refund_object(one, row, charge_id))
        .collect();
    json!({
        "id": charge_id,
        "object": "charge",
        "amount": row.amount_total,
        "amount_captured": row.amount_total,
        "amount_refunded": refunded,
        "billing_details": {
            "address": null,
            "email": row.customer_details_email,
            "name": null,
            "phone": null,
        },
        "captured": true,
        "created": created,
        "currency": row.currency,
        "disputed": false,
        "livemode": false,
        "metadata": {},
        "paid": true,
        "payment_intent": row.payment_intent,
        "receipt_email": row.customer_details_email,
        "refunded": refunded >= row.amount_total,
        "refunds": {
            "object": "list",
            "data": refund_objects,
            "has_more": false,
            "url": format!("/v1/charges/{charge_id}/refunds"),
        },
        "status": "succeeded",
    })
}

pub fn refund_object(refund: &refund::Model, row: &session::Model, charge_id: &str) -> Value {
    json!({
        "id": refund.id,
        "object": "refund",
        "amount": refund.amount,
        "charge": charge_id,
        "created": refund.created_at.timestamp(),
        "currency": row.currency,
        "metadata": {},
        "payment_intent": row.payment_intent,
        "reason": null,
        "status": "succeeded",
    })
}

/// Queues an event about `session_id` (its object as it is now), due at once. `request_key`
/// is the idempotency key of the API request that caused it, if any.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    session_id: &str,
    event_type: EventType,
    object: Value,
    request_key: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let event_id = new_id("evt_test_")?;
    let envelope = json!({
        "id": event_id,
        "object": "event",
        "api_version": API_VERSION,
        "created": now.timestamp(),
        "data": { "object": object },
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": request_key },
        "type": event_type.to_value(),
    });
    event::ActiveModel {
        id: NotSet,
        event_id: Set(event_id),
        session_id: Set(session_id.to_owned()),
        event_type: Set(event_type),
        payload: Set(envelope.to_string()),
        created_at: Set(now),
        due_at: Set(now),
        attempts: Set(0),
        claimed_at: Set(None),
        delivered_at: Set(None),
        gave_up_at: Set(None),
        last_error: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}
