//! Payments and e-mail: the Stripe keys (or the built-in test double), how long quotes and
//! checkouts hold, and where mail goes.

use std::fmt;
use std::time::Duration;

use clap::Args;

/// A value that must not appear in logs or debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

#[derive(Debug, Clone, Args)]
pub struct PaymentSettings {
    /// Stripe secret key (`sk_…`); unset, the built-in Stripe test double takes payments
    /// (development only).
    #[arg(
        long,
        env = "CONTRAIL_STRIPE_SECRET_KEY",
        global = true,
        hide_env_values = true
    )]
    pub stripe_secret_key: Option<String>,
    /// Secret that signs Stripe webhooks (`whsec_…`); generated and kept in development.
    #[arg(
        long,
        env = "CONTRAIL_STRIPE_WEBHOOK_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub stripe_webhook_secret: Option<String>,
    /// Base URL of the Stripe API, ending in `/` (default: Stripe's).
    #[arg(long, env = "CONTRAIL_STRIPE_API_BASE", global = true, value_parser = parse_api_base)]
    pub stripe_api_base: Option<String>,
    /// Seconds a quote holds its price.
    #[arg(long, env = "CONTRAIL_QUOTE_TTL_SECS", default_value_t = 900, global = true, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub quote_ttl_secs: u64,
    /// Minutes a checkout holds its credits (Stripe's bounds: 30 to 1440).
    #[arg(long, env = "CONTRAIL_CHECKOUT_TTL_MINUTES", default_value_t = 60, global = true, value_parser = clap::value_parser!(u64).range(30..=1_440))]
    pub checkout_ttl_minutes: u64,
    /// Seconds after which the test double settles a "Pay later" payment.
    #[arg(long, env = "CONTRAIL_STRIPE_DOUBLE_SETTLE_SECS", default_value_t = 5, global = true, value_parser = clap::value_parser!(u64).range(0..=3_600))]
    pub stripe_double_settle_secs: u64,
    /// `smtp://host:port` (or `?tls=required`, or `smtps://`) for real delivery; unset, mail
    /// stays in the outbox and is logged.
    #[arg(long, env = "CONTRAIL_SMTP_URL", global = true, hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender of every e-mail.
    #[arg(
        long,
        env = "CONTRAIL_MAIL_FROM",
        default_value = "Contrail <no-reply@localhost>",
        global = true
    )]
    pub mail_from: String,
}

/// The payment provider and how long prices and holds last.
#[derive(Debug, Clone)]
pub struct PaymentsConfig {
    /// `None`: the built-in test double (refused in production).
    pub stripe_secret_key: Option<Secret>,
    pub stripe_webhook_secret: Option<Secret>,
    pub stripe_api_base: Option<String>,
    pub quote_ttl: Duration,
    pub checkout_ttl: Duration,
    pub double_settle_delay: Duration,
}

impl Default for PaymentsConfig {
    fn default() -> Self {
        PaymentsConfig {
            stripe_secret_key: None,
            stripe_webhook_secret: None,
            stripe_api_base: None,
            quote_ttl: Duration::from_secs(900),
            checkout_ttl: Duration::from_secs(60 * 60),
            double_settle_delay: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Clone)]
pub struct MailSettings {
    pub smtp_url: Option<Secret>,
    pub from: String,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            smtp_url: None,
            from: "Contrail <no-reply@localhost>".into(),
        }
    }
}

impl PaymentSettings {
    pub(super) fn payments(&self) -> PaymentsConfig {
        PaymentsConfig {
            stripe_secret_key: self.stripe_secret_key.clone().map(Secret),
            stripe_webhook_secret: self.stripe_webhook_secret.clone().map(Secret),
            stripe_api_base: self.stripe_api_base.clone(),
            quote_ttl: Duration::from_secs(self.quote_ttl_secs),
            checkout_ttl: Duration::from_secs(self.checkout_ttl_minutes * 60),
            double_settle_delay: Duration::from_secs(self.stripe_double_settle_secs),
        }
    }

    pub(super) fn mail(&self) -> MailSettings {
        MailSettings {
            smtp_url: self.smtp_url.clone().map(Secret),
            from: self.mail_from.clone(),
        }
    }
}

fn parse_api_base(url: &str) -> Result<String, String> {
    let parsed = url::Url::parse(url).map_err(|_| "expected an http(s) URL".to_owned())?;
    if !matches!(parsed.scheme(), "http" | "https") || !url.ends_with('/') {
        return Err("expected an http(s) URL ending in `/`".into());
    }
    Ok(url.to_owned())
}
