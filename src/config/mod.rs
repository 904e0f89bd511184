//! Command line and environment: every flag has a `CONTRAIL_*` variable, and every value is
//! parsed and checked here, so a bad one stops start-up with a message naming it.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::units::FeeBps;

mod documents;
mod limits;
mod payments;
mod security;
mod telemetry;

pub use documents::{TrustedDocuments, sha256_hex};
pub use limits::{HttpLimits, LimitSettings, QueryLimits};
pub use payments::{MailSettings, PaymentSettings, PaymentsConfig, Secret};
pub use security::{RateLimits, Security, SecuritySettings};
pub use telemetry::{LogFormat, TelemetrySettings};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    Development,
    Production,
}

#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// SQLite (`sqlite://file.db?mode=rwc`) or PostgreSQL (`postgres://…`) URL.
    #[arg(long, env = "CONTRAIL_DATABASE_URL", default_value = "sqlite://contrail.db?mode=rwc", global = true, value_parser = parse_database_url)]
    pub database_url: String,
    /// Address to bind.
    #[arg(
        long,
        env = "CONTRAIL_LISTEN",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub listen: SocketAddr,
    /// Base URL of certificate, checkout and redirect links (default: `http://<listen>`).
    #[arg(long, env = "CONTRAIL_PUBLIC_URL", global = true, value_parser = parse_public_url)]
    pub public_url: Option<String>,
    /// `production` disables introspection, GraphiQL and demo data.
    #[arg(
        long,
        env = "CONTRAIL_MODE",
        value_enum,
        default_value = "development",
        global = true
    )]
    pub mode: Mode,
    /// Platform fee in basis points added to every price.
    #[arg(long, env = "CONTRAIL_FEE_BPS", default_value = "0", global = true)]
    pub fee_bps: FeeBps,
    /// Seconds the local registry waits before retiring credits (0: at once).
    #[arg(
        long,
        env = "CONTRAIL_RETIREMENT_DELAY_SECS",
        default_value = "0",
        global = true
    )]
    pub retirement_delay_secs: u32,
    #[command(flatten)]
    pub limits: LimitSettings,
    #[command(flatten)]
    pub payments: PaymentSettings,
    #[command(flatten)]
    pub security: SecuritySettings,
    #[command(flatten)]
    pub telemetry: TelemetrySettings,
}

/// The validated configuration the server runs with.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub listen: SocketAddr,
    pub public_url: String,
    pub mode: Mode,
    pub fee: FeeBps,
    /// How long an estimate keeps its prices for a checkout to refer to.
    pub estimate_validity: Duration,
    /// How long after confirmation credits are retired.
    pub retirement_delay: Duration,
    pub query_limits: QueryLimits,
    pub http_limits: HttpLimits,
    pub payments: PaymentsConfig,
    pub mail: MailSettings,
    pub security: Security,
}

impl Config {
    pub fn from_settings(settings: Settings) -> Self {
        let public_url = settings
            .public_url
            .unwrap_or_else(|| format!("http://{}", settings.listen));
        Config {
            database_url: settings.database_url,
            listen: settings.listen,
            public_url,
            mode: settings.mode,
            fee: settings.fee_bps,
            estimate_validity: Duration::from_secs(24 * 60 * 60),
            retirement_delay: Duration::from_secs(u64::from(settings.retirement_delay_secs)),
            query_limits: settings.limits.query_limits(),
            http_limits: settings.limits.http_limits(),
            payments: settings.payments.payments(),
            mail: settings.payments.mail(),
            security: settings.security.security(),
        }
    }

    pub fn is_development(&self) -> bool {
        self.mode == Mode::Development
    }
}

fn parse_database_url(url: &str) -> Result<String, String> {
    if url.starts_with("sqlite:")
        || url.starts_with("postgres://")
        || url.starts_with("postgresql://")
    {
        Ok(url.to_owned())
    } else {
        Err("expected a sqlite: or postgres:// URL".into())
    }
}

fn parse_public_url(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("expected an http:// or https:// URL")?;
    if rest.is_empty() || rest.starts_with('/') || rest.contains(char::is_whitespace) {
        return Err("expected a host after the scheme, e.g. https://offsets.example.com".into());
    }
    if rest.contains(['?', '#']) {
        return Err("must not contain a query or fragment".into());
    }
    Ok(url.trim_end_matches('/').to_owned())
}
