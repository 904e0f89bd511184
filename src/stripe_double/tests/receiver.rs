//! A webhook endpoint for the tests: records every delivery, answers the statuses it was told
//! to (then 200), and checks what it accepted with async-stripe's own verifier.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use stripe_webhook::{Event, Webhook};
use tokio::net::TcpListener;

use super::WEBHOOK_SECRET;

/// One request the receiver got.
#[derive(Clone)]
pub struct Delivery {
    pub signature: String,
    pub body: String,
    pub answered: StatusCode,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    state: ReceiverState,
}

impl Receiver {
    pub async fn start(statuses: Vec<StatusCode>) -> Receiver {
        let state = Arc::new(Mutex::new((Vec::new(), VecDeque::from(statuses))));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/webhooks/stripe", listener.local_addr().unwrap());
        let app = axum::Router::new()
            .route("/webhooks/stripe", post(receive))
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, state }
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.state.lock().unwrap().0.clone()
    }

    /// The events accepted so far about `object_id`, in order, each checked with async-stripe's
    /// verifier (signature, timestamp, and that the object parses).
    pub fn events_about(&self, object_id: &str) -> Vec<Event> {
        self.deliveries()
            .into_iter()
            .filter(|delivery| delivery.answered.is_success())
            .filter(|delivery| {
                let body: serde_json::Value = serde_json::from_str(&delivery.body).unwrap();
                let object = &body["data"]["object"];
                object["id"] == object_id
                    || (object["object"] == "charge" && object["payment_intent"] == object_id)
            })
            .map(|delivery| {
                Webhook::construct_event(&delivery.body, &delivery.signature, WEBHOOK_SECRET)
                    .unwrap_or_else(|error| panic!("{error:?}: {}", delivery.body))
            })
            .collect()
    }

    /// Waits until `count` events about `object_id` have arrived; returns them in order.
    pub async fn wait_for(&self, object_id: &str, count: usize) -> Vec<Event> {
        for _ in 0..250 {
            let events = self.events_about(object_id);
            if events.len() >= count {
                return events;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "expected {count} events about {object_id}, got {:?}",
            self.events_about(object_id)
                .iter()
                .map(|event| event.type_.as_str().to_owned())
                .collect::<Vec<_>>()
        );
    }
}

type ReceiverState = Arc<Mutex<(Vec<Delivery>, VecDeque<StatusCode>)>>;

async fn receive(
    State(state): State<ReceiverState>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let signature = headers
        .get("stripe-signature")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut state = state.lock().unwrap();
    let answered = state.1.pop_front().unwrap_or(StatusCode::OK);
    state.0.push(Delivery {
        signature,
        body,
        answered,
    });
    answered
}
