//! Driving the hosted checkout as a customer's browser would, and a payment gateway the tests
//! control (for what the Stripe test double cannot stage: a lost webhook, an outage).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use contrail::ids::PaymentId;
use contrail::payments::gateway::{
    GatewayError, NewSession, PaymentGateway, Session, SessionState,
};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use stripe_webhook::Webhook;

use crate::helpers::TestApp;

pub const CHECKOUT: &str = "mutation($input: CreateCheckoutInput!) { createCheckout(input: $input) {
    url payment { id status retirementStatus amount { amount currency } checkoutUrl clientSecret successUrl cancelUrl customerEmail } } }";

pub const PROVISION_CHECKOUT: &str = "mutation($input: CreateProvisionCheckoutInput!) { createProvisionCheckout(input: $input) {
    checkoutUrl provision { id status quantityTonnes billing certificate { number } payment { id } } payment { id status amount { amount currency } } } }";

pub const PAYMENT: &str =
    "query($id: ID!) { payment(id: $id) { id status retirementStatus paidAt retiredAt customerEmail
    amount { amount currency } quote { id total { amount } }
    provision { id status billing quantityTonnes }
    certificate { number status url allocations { serialRange tonnes } }
    events { status retirementStatus reason } } }";

/// The default listing's id and free tonnes.
pub async fn default_listing(app: &TestApp) -> (String, String) {
    let data = app
        .ok("{ listings { id isDefault availableTonnes } }", json!({}))
        .await;
    let listing = data["listings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|listing| listing["isDefault"] == true)
        .unwrap()
        .clone();
    (
        listing["id"].as_str().unwrap().to_owned(),
        listing["availableTonnes"].as_str().unwrap().to_owned(),
    )
}

pub async fn available(app: &TestApp, listing: &str) -> String {
    let data = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Listing { availableTonnes } } }",
            json!({ "id": listing }),
        )
        .await;
    data["node"]["availableTonnes"].as_str().unwrap().to_owned()
}

/// A checkout input for `tonnes` of `listing`, to the shop's pages.
pub fn checkout_input(listing: &str, tonnes: &str) -> Value {
    json!({
        "assetPriceSourceId": listing,
        "quantityTonnes": tonnes,
        "metadata": { "beneficiaryName": "Jane Doe", "retirementMessage": "Flight to Nice" },
        "successUrl": "https://shop.example/paid",
        "cancelUrl": "https://shop.example/cart",
        "customerEmail": "jane@example.com",
    })
}

/// Opens a checkout; returns `createCheckout`'s payload.
pub async fn checkout(app: &TestApp, input: Value) -> Value {
    app.ok(CHECKOUT, json!({ "input": input })).await["createCheckout"].clone()
}

/// A browser that does not follow redirects, so tests see where it is sent.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Presses a button (`pay`, `pay-later`, `decline`, `cancel`) on the hosted checkout page;
/// returns where the browser is sent.
pub async fn press(checkout_url: &str, button: &str) -> String {
    press_as(checkout_url, button, "jane@example.com").await
}

/// The same, with the customer typing `email` into the page.
pub async fn press_as(checkout_url: &str, button: &str, email: &str) -> String {
    let response = browser()
        .post(format!("{checkout_url}/{button}"))
        .form(&[("email", email)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "{button} redirects");
    response.headers()["location"].to_str().unwrap().to_owned()
}

pub async fn payment(app: &TestApp, id: &Value) -> Value {
    app.ok(PAYMENT, json!({ "id": id })).await["payment"].clone()
}

/// Polls the payment until `done` holds (at most 15 s); returns it.
pub async fn wait_for(app: &TestApp, id: &Value, done: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let payment = payment(app, id).await;
        if done(&payment) || started.elapsed() > Duration::from_secs(15) {
            return payment;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn statuses(payment: &Value) -> (String, String) {
    (
        payment["status"].as_str().unwrap().to_owned(),
        payment["retirementStatus"].as_str().unwrap().to_owned(),
    )
}

pub fn is(status: &str, retirement: &str) -> impl Fn(&Value) -> bool {
    let expected = (status.to_owned(), retirement.to_owned());
    move |payment| statuses(payment) == expected
}

/// A payment provider the test drives: sessions open, then the test decides what happened;
/// it never sends a webhook (as when one is lost), and can be made unreachable.
#[derive(Default)]
pub struct ScriptedGateway {
    sessions: Mutex<HashMap<String, Session>>,
    pub down: std::sync::atomic::AtomicBool,
    pub refunds: std::sync::atomic::AtomicUsize,
}

impl ScriptedGateway {
    fn check(&self) -> Result<(), GatewayError> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(GatewayError::Unavailable("connection refused".into()));
        }
        Ok(())
    }

    /// The customer paid the session of `payment` (not told to the server).
    pub fn pay(&self, payment: PaymentId) {
        let id = format!("cs_scripted_{}", payment.0);
        let mut sessions = self.sessions.lock().unwrap();
        let session = sessions.get_mut(&id).expect("an open session");
        session.state = SessionState::Complete { paid: true };
        session.payment_intent = Some(format!("pi_scripted_{}", payment.0));
        session.customer_email = Some("jane@example.com".into());
    }
}

#[async_trait::async_trait]
impl PaymentGateway for ScriptedGateway {
    async fn create_session(&self, new: &NewSession) -> Result<Session, GatewayError> {
        self.check()?;
        let id = format!("cs_scripted_{}", new.payment.0);
        let session = Session {
            url: Some(format!("https://pay.example/{id}")),
            id: id.clone(),
            state: SessionState::Open,
            payment_intent: None,
            customer_email: new.customer_email.clone(),
        };
        let mut sessions = self.sessions.lock().unwrap();
        Ok(sessions.entry(id).or_insert(session).clone())
    }

    async fn retrieve_session(&self, id: &str) -> Result<Session, GatewayError> {
        self.check()?;
        self.sessions
            .lock()
            .unwrap()
            .get(id)
            .cloned()
            .ok_or_else(|| GatewayError::Refused("no such session".into()))
    }

    async fn expire_session(&self, id: &str) -> Result<Session, GatewayError> {
        self.check()?;
        let mut sessions = self.sessions.lock().unwrap();
        let session = sessions
            .get_mut(id)
            .ok_or_else(|| GatewayError::Refused("no such session".into()))?;
        match session.state {
            SessionState::Complete { .. } => {
                Err(GatewayError::Refused("the session is complete".into()))
            }
            _ => {
                session.state = SessionState::Expired;
                Ok(session.clone())
            }
        }
    }

    async fn refund(&self, _: PaymentId, _: &str) -> Result<(), GatewayError> {
        self.check()?;
        self.refunds
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

/// The session of a checkout URL, as the Stripe test double has it now.
pub async fn session_json(app: &TestApp, checkout_url: &str) -> Value {
    let id = checkout_url.rsplit('/').next().unwrap();
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT value FROM settings WHERE key = 'stripe_double_secret_key'",
        ))
        .await
        .unwrap()
        .unwrap();
    let key: String = row.try_get("", "value").unwrap();
    app.client()
        .get(app.url(&format!("/_stripe/v1/checkout/sessions/{id}")))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub fn event(id: &str, kind: &str, object: &Value) -> String {
    json!({
        "id": id,
        "object": "event",
        "api_version": "2025-11-17.clover",
        "created": chrono::Utc::now().timestamp(),
        "livemode": false,
        "pending_webhooks": 1,
        "type": kind,
        "data": { "object": object },
    })
    .to_string()
}

/// POSTs `payload` to the webhook endpoint with `signature`; returns the status.
pub async fn deliver(app: &TestApp, payload: &str, signature: &str) -> u16 {
    deliver_at(&app.address, payload, signature).await
}

/// POSTs `payload` to the webhook endpoint of the server at `address`; returns the status.
pub async fn deliver_at(address: &str, payload: &str, signature: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{address}/webhooks/stripe"))
        .header("content-type", "application/json")
        .header("stripe-signature", signature)
        .body(payload.to_owned())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

pub fn sign(app: &TestApp, payload: &str) -> String {
    Webhook::generate_test_header(payload, app.app.webhook_secret.expose(), None)
}

/// The public id (thank-you and cancel pages) of the newest payment.
pub async fn newest_public_id(app: &TestApp) -> String {
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT public_id FROM payments ORDER BY id DESC LIMIT 1",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "public_id").unwrap()
}
