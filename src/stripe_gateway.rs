//! The payment gateway on Stripe, through async-stripe: Checkout Sessions in `payment` mode
//! with inline prices, `client_reference_id` = our payment id, an idempotency key per call
//! derived from the payment (a retried request never opens two sessions or refunds twice),
//! and webhook events verified by their signature. The same code talks to real Stripe and to
//! the built-in test double: only the base URL and the keys differ.

use std::str::FromStr;

use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    ExpireCheckoutSession, ProductData, RetrieveCheckoutSession,
};
use stripe_checkout::{
    CheckoutSession, CheckoutSessionMode, CheckoutSessionPaymentStatus, CheckoutSessionStatus,
};
use stripe_core::refund::CreateRefund;
use stripe_webhook::{EventObject, Webhook};

use crate::ids::PaymentId;
use crate::payments::gateway::{
    GatewayError, NewSession, Notification, PaymentGateway, ProviderEvent, Session, SessionState,
};

pub struct StripeGateway {
    client: Client,
}

impl StripeGateway {
    /// A client for `secret_key`, at Stripe's API or at `api_base` (which must end in `/`).
    pub fn new(secret_key: &str, api_base: Option<&str>) -> Result<Self, String> {
        let mut builder = ClientBuilder::new(secret_key);
        if let Some(base) = api_base {
            builder = builder.url(base);
        }
        let client = builder
            .build()
            .map_err(|error| format!("cannot build the Stripe client: {error}"))?;
        Ok(StripeGateway { client })
    }
}

fn idempotent(key: String) -> Result<RequestStrategy, GatewayError> {
    IdempotencyKey::new(key)
        .map(RequestStrategy::Idempotent)
        .map_err(|error| GatewayError::Refused(error.to_string()))
}

fn gateway_error(error: StripeError) -> GatewayError {
    match error {
        StripeError::Stripe(error, status) if (400..500).contains(&status) => {
            GatewayError::Refused(
                error
                    .message
                    .clone()
                    .unwrap_or_else(|| format!("HTTP {status}")),
            )
        }
        other => GatewayError::Unavailable(other.to_string()),
    }
}

fn session(session: CheckoutSession) -> Session {
    let state = match session.status {
        Some(CheckoutSessionStatus::Complete) => SessionState::Complete {
            paid: session.payment_status != CheckoutSessionPaymentStatus::Unpaid,
        },
        Some(CheckoutSessionStatus::Expired) => SessionState::Expired,
        _ => SessionState::Open,
    };
    Session {
        id: session.id.as_str().to_owned(),
        url: session.url,
        state,
        payment_intent: session
            .payment_intent
            .map(|intent| intent.id().as_str().to_owned()),
        customer_email: session
            .customer_details
            .and_then(|details| details.email)
            .or(session.customer_email),
    }
}

#[async_trait::async_trait]
impl PaymentGateway for StripeGateway {
    #[tracing::instrument(name = "stripe.create_session", skip_all, fields(otel.kind = "client"))]
    async fn create_session(&self, new: &NewSession) -> Result<Session, GatewayError> {
        let currency = stripe_types::Currency::from_str(&new.amount.currency.code().to_lowercase())
            .map_err(|_| GatewayError::Refused("unsupported currency".into()))?;
        let mut product = ProductData::new(new.product.clone());
        product.description = Some(new.description.clone());
        let mut price = CreateCheckoutSessionLineItemsPriceData::new(currency);
        price.product_data = Some(product);
        price.unit_amount = Some(new.amount.minor);
        let mut item = CreateCheckoutSessionLineItems::new();
        item.price_data = Some(price);
        item.quantity = Some(1);
        let mut request = CreateCheckoutSession::new()
            .mode(CheckoutSessionMode::Payment)
            .line_items(vec![item])
            .client_reference_id(new.payment.0.to_string())
            .metadata([("payment_id".to_owned(), new.payment.0.to_string())])
            .success_url(new.success_url.clone())
            .cancel_url(new.cancel_url.clone())
            .expires_at(new.expires_at.timestamp());
        if let Some(email) = &new.customer_email {
            request = request.customer_email(email.clone());
        }
        let created = request
            .customize()
            .request_strategy(idempotent(format!("contrail-checkout-{}", new.payment.0))?)
            .send(&self.client)
            .await
            .map_err(gateway_error)?;
        Ok(session(created))
    }

    #[tracing::instrument(name = "stripe.retrieve_session", skip(self), fields(otel.kind = "client"))]
    async fn retrieve_session(&self, id: &str) -> Result<Session, GatewayError> {
        RetrieveCheckoutSession::new(id)
            .send(&self.client)
            .await
            .map(session)
            .map_err(gateway_error)
    }

    #[tracing::instrument(name = "stripe.expire_session", skip(self), fields(otel.kind = "client"))]
    async fn expire_session(&self, id: &str) -> Result<Session, GatewayError> {
        ExpireCheckoutSession::new(id)
            .customize()
            .request_strategy(idempotent(format!("contrail-expire-{id}"))?)
            .send(&self.client)
            .await
            .map(session)
            .map_err(gateway_error)
    }

    #[tracing::instrument(name = "stripe.refund", skip(self, payment_intent), fields(otel.kind = "client", payment = payment.0))]
    async fn refund(&self, payment: PaymentId, payment_intent: &str) -> Result<(), GatewayError> {
        CreateRefund::new()
            .payment_intent(payment_intent)
            .customize()
            .request_strategy(idempotent(format!("contrail-refund-{}", payment.0))?)
            .send(&self.client)
            .await
            .map(|_| ())
            .map_err(gateway_error)
    }
}

/// Why a webhook delivery is refused (400, nothing changed).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Rejected(String);

/// Verifies a webhook delivery (`Stripe-Signature: t=…,v1=…`, HMAC-SHA256 with `secret`,
/// timestamps within 300 s) and reads what it says.
pub fn verify(payload: &str, signature: &str, secret: &str) -> Result<ProviderEvent, Rejected> {
    let event = Webhook::construct_event(payload, signature, secret)
        .map_err(|error| Rejected(format!("the event is not signed by Stripe: {error}")))?;
    let notification = match event.data.object {
        EventObject::CheckoutSessionCompleted(object) => {
            Notification::SessionCompleted(session(*object))
        }
        EventObject::CheckoutSessionAsyncPaymentSucceeded(object) => {
            Notification::AsyncPaymentSucceeded(session(*object))
        }
        EventObject::CheckoutSessionAsyncPaymentFailed(object) => {
            Notification::AsyncPaymentFailed(session(*object))
        }
        EventObject::CheckoutSessionExpired(object) => {
            Notification::SessionExpired(session(*object))
        }
        EventObject::ChargeRefunded(charge) => match charge.payment_intent {
            Some(intent) => Notification::ChargeRefunded {
                payment_intent: intent.id().as_str().to_owned(),
            },
            None => Notification::Other,
        },
        _ => Notification::Other,
    };
    Ok(ProviderEvent {
        id: event.id.as_str().to_owned(),
        kind: event.type_.as_str().to_owned(),
        notification,
    })
}
