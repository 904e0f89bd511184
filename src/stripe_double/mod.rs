//! The built-in Stripe test double (SPEC §7): when no Stripe key is configured, Contrail points
//! async-stripe at these routes, so development and tests run the production code paths
//! against Stripe's HTTP API: Checkout Sessions (create, retrieve, expire), refunds, a hosted
//! test checkout page, and signed webhooks delivered with Stripe's retries.
//!
//! The rest of Contrail reaches it only over HTTP: it mounts [`StripeDouble::router`], points
//! its own Stripe client at [`StripeDouble::serve_api`] and runs [`StripeDouble::job`]. Everything lives in the database (`stripe_double_*` tables), so it
//! survives restarts and is shared by the instances of one PostgreSQL database.

mod api;
mod delivery;
mod entity;
mod error;
mod events;
mod idempotency;
mod lifecycle;
mod page;
mod params;
#[cfg(test)]
mod tests;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use sea_orm::DatabaseConnection;

use crate::error::{Error, Result};
use crate::jobs::{Job, Wake};

pub struct DoubleSettings {
    /// The secret key clients must present as `Authorization: Bearer <key>`; others get
    /// Stripe's 401 error shape.
    pub secret_key: String,
    /// `whsec_…` used to sign events (Stripe's `Stripe-Signature: t=…,v1=…`).
    pub webhook_secret: String,
    /// Where events are POSTed, e.g. `http://127.0.0.1:8080/webhooks/stripe` (plain HTTP).
    pub webhook_url: String,
    /// Base of the hosted page URLs given to customers: `{public_url}/checkout/{session_id}`.
    pub public_url: String,
    /// How long after "Pay later" (or "Decline") the asynchronous payment settles.
    pub settle_delay: Duration,
}

#[derive(Clone)]
pub struct StripeDouble {
    db: DatabaseConnection,
    settings: Arc<DoubleSettings>,
    wake: Wake,
}

impl StripeDouble {
    pub fn new(db: DatabaseConnection, settings: DoubleSettings) -> Self {
        StripeDouble {
            db,
            settings: Arc::new(settings),
            wake: Wake::default(),
        }
    }

    /// The Stripe API under `/_stripe/v1/…` (so async-stripe's base URL is `…/_stripe/`) and
    /// the hosted checkout page under `/checkout/{session_id}`.
    pub fn router(&self) -> Router {
        Router::new()
            .nest("/_stripe/v1", api::routes(self.clone()))
            .merge(page::routes(self.clone()))
    }

    /// Serves the Stripe API on a private loopback port for this process's own Stripe client,
    /// for as long as the runtime runs: a request draining at shutdown still reaches it after
    /// the public listener has closed.
    pub async fn serve_api(&self) -> Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(Error::internal)?;
        let address = listener.local_addr().map_err(Error::internal)?;
        let api = Router::new().nest("/_stripe/v1", api::routes(self.clone()));
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, api).await {
                tracing::error!(%error, "the Stripe test double's API stopped");
            }
        });
        Ok(address)
    }

    /// The background work (on `db`, the jobs' connections): delivering due events, settling asynchronous payments and expiring
    /// open sessions at their `expires_at`.
    pub fn job(&self, db: DatabaseConnection) -> (impl Job, Wake) {
        let job = delivery::DoubleJob::new(db, self.settings.clone());
        (job, self.wake.clone())
    }
}

/// A fresh Stripe-style id: the prefix, then 24 random letters and digits.
fn new_id(prefix: &str) -> Result<String> {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut random = [0u8; 24];
    getrandom::fill(&mut random).map_err(|error| Error::internal(std::io::Error::other(error)))?;
    let suffix: String = random
        .iter()
        .map(|byte| char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]))
        .collect();
    Ok(format!("{prefix}{suffix}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
