//! What payments need of a payment provider, in the domain's terms. The Stripe adapter
//! (`crate::stripe_gateway`) implements it; so does any fake a test injects.

use chrono::{DateTime, Utc};

use crate::ids::PaymentId;
use crate::units::Money;

/// A hosted checkout to open for a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// Stripe's `client_reference_id`; also the root of every idempotency key.
    pub payment: PaymentId,
    pub amount: Money,
    /// What the customer sees they buy.
    pub product: String,
    pub description: String,
    pub customer_email: Option<String>,
    pub success_url: String,
    pub cancel_url: String,
    pub expires_at: DateTime<Utc>,
}

/// Where a checkout stands at the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    Open,
    /// The customer finished; `paid` is false while an asynchronous method settles.
    Complete {
        paid: bool,
    },
    Expired,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    /// The hosted page, while the session is open.
    pub url: Option<String>,
    pub state: SessionState,
    pub payment_intent: Option<String>,
    /// The address the customer gave at checkout.
    pub customer_email: Option<String>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum GatewayError {
    /// The provider answered and refused (a 4xx): retrying the same request will not help.
    #[error("the payment provider refused the request: {0}")]
    Refused(String),
    /// The provider could not be reached or failed (a 5xx, a timeout).
    #[error("the payment provider is unavailable: {0}")]
    Unavailable(String),
}

#[async_trait::async_trait]
pub trait PaymentGateway: Send + Sync {
    /// Opens a checkout; the same payment opens the same session (idempotent).
    async fn create_session(&self, new: &NewSession) -> Result<Session, GatewayError>;
    async fn retrieve_session(&self, id: &str) -> Result<Session, GatewayError>;
    /// Closes an open checkout so it can no longer be paid.
    async fn expire_session(&self, id: &str) -> Result<Session, GatewayError>;
    /// Refunds a payment in full; the same payment refunds once (idempotent).
    async fn refund(&self, payment: PaymentId, payment_intent: &str) -> Result<(), GatewayError>;
}

/// What a verified provider event says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notification {
    SessionCompleted(Session),
    AsyncPaymentSucceeded(Session),
    AsyncPaymentFailed(Session),
    SessionExpired(Session),
    ChargeRefunded {
        payment_intent: String,
    },
    /// A type payments does not act on.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderEvent {
    pub id: String,
    pub kind: String,
    pub notification: Notification,
}

/// The gateway of a production server without a provider key: every payment is refused.
pub struct Unconfigured;

#[async_trait::async_trait]
impl PaymentGateway for Unconfigured {
    async fn create_session(&self, _: &NewSession) -> Result<Session, GatewayError> {
        Err(unconfigured())
    }

    async fn retrieve_session(&self, _: &str) -> Result<Session, GatewayError> {
        Err(unconfigured())
    }

    async fn expire_session(&self, _: &str) -> Result<Session, GatewayError> {
        Err(unconfigured())
    }

    async fn refund(&self, _: PaymentId, _: &str) -> Result<(), GatewayError> {
        Err(unconfigured())
    }
}

fn unconfigured() -> GatewayError {
    GatewayError::Unavailable(
        "no payment provider is configured (set CONTRAIL_STRIPE_SECRET_KEY)".into(),
    )
}
