//! The application, assembled in one place: the database, the configuration and the services
//! the domains need (the registry that retires credits, the payment gateway, the mail
//! transport). The HTTP router, the GraphQL schema and the background workers are all built
//! from one [`App`]; tests assemble theirs with [`App::builder`], injecting fakes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use migration::{Migrator, MigratorTrait};
use sea_orm::{DatabaseConnection, DbErr};

use crate::config::{Config, Secret};
use crate::events::Events;
use crate::fleet::AircraftHints;
use crate::jobs::{Liveness, Wake, Workers};
use crate::mail::{LogTransport, MailJob, SmtpTransport, Transport};
use crate::organizations::KeyCache;
use crate::payments::checkout::Checkouts;
use crate::payments::fulfilment::{Fulfilment, PaymentRetirements};
use crate::payments::gateway::{PaymentGateway, Unconfigured};
use crate::payments::reconciliation::ReconciliationJob;
use crate::provisions::lifecycle::Provisioning;
use crate::provisions::registry::{LocalRegistry, Registry};
use crate::provisions::retirement::Retirements;
use crate::stripe_double::{DoubleSettings, StripeDouble};
use crate::stripe_gateway::StripeGateway;

#[derive(Clone)]
pub struct App {
    pub db: DatabaseConnection,
    /// The background jobs' own connections to the same database.
    pub jobs_db: DatabaseConnection,
    pub config: Arc<Config>,
    pub retirements: Retirements,
    pub gateway: Arc<dyn PaymentGateway>,
    /// Verifies the provider's webhooks.
    pub webhook_secret: Secret,
    pub mail: Arc<dyn Transport>,
    /// Wakes the mail worker when a message is written.
    pub mail_wake: Wake,
    /// Wakes payment reconciliation (operators and tests; it also runs on its own schedule).
    pub reconciliation_wake: Wake,
    /// The built-in Stripe test double, when it takes the payments (development, no key).
    pub stripe_double: Option<StripeDouble>,
    /// Payment changes, heard from every instance.
    pub events: Events,
    /// API keys recently found valid.
    pub keys: Arc<KeyCache>,
    /// Aircraft recently looked up by tail number, which estimates need not look up again.
    pub aircraft_hints: Arc<AircraftHints>,
    /// When each background job last came round, for readiness.
    pub liveness: Liveness,
}

pub struct AppBuilder {
    db: DatabaseConnection,
    config: Config,
    registry: Arc<dyn Registry>,
    gateway: Option<Arc<dyn PaymentGateway>>,
    mail: Option<Arc<dyn Transport>>,
    stalled_after: std::time::Duration,
}

impl AppBuilder {
    /// Retires credits through `registry` instead of the built-in local one.
    pub fn registry(mut self, registry: Arc<dyn Registry>) -> Self {
        self.registry = registry;
        self
    }

    /// Takes payments through `gateway` instead of Stripe or the test double.
    pub fn gateway(mut self, gateway: Arc<dyn PaymentGateway>) -> Self {
        self.gateway = Some(gateway);
        self
    }

    /// Sends mail through `transport` instead of SMTP or the log.
    pub fn mail(mut self, transport: Arc<dyn Transport>) -> Self {
        self.mail = Some(transport);
        self
    }

    /// Reports a background job busy with one round for longer than `after` as stalled
    /// ([`crate::jobs::STALLED_AFTER`] by default).
    pub fn stalled_after(mut self, after: std::time::Duration) -> Self {
        self.stalled_after = after;
        self
    }

    /// Assembles the application; a configuration that cannot work stops here, naming the
    /// setting.
    pub async fn build(self) -> Result<App, String> {
        let config = self.config;
        let db = self.db;
        let stored = |key: &'static str, prefix: &'static str| {
            let db = db.clone();
            async move {
                crate::settings::get_or_insert(&db, key, || {
                    Ok(format!("{prefix}{}", crate::tokens::random_token(24)?))
                })
                .await
                .map(Secret::new)
                .map_err(|error| format!("cannot read the installation's settings: {error}"))
            }
        };
        let payments = &config.payments;
        let webhook_secret = match (&payments.stripe_webhook_secret, &payments.stripe_secret_key) {
            (Some(secret), _) => secret.clone(),
            (None, Some(_)) => {
                return Err(
                    "CONTRAIL_STRIPE_WEBHOOK_SECRET is required with CONTRAIL_STRIPE_SECRET_KEY"
                        .into(),
                );
            }
            (None, None) => stored("stripe_webhook_secret", "whsec_").await?,
        };
        let mut stripe_double = None;
        let gateway: Arc<dyn PaymentGateway> = match (self.gateway, &payments.stripe_secret_key) {
            (Some(gateway), _) => gateway,
            (None, Some(key)) => Arc::new(StripeGateway::new(
                key.expose(),
                payments.stripe_api_base.as_deref(),
            )?),
            (None, None) if config.is_development() => {
                let key = stored("stripe_double_secret_key", "sk_test_double_").await?;
                let loopback = loopback(config.listen);
                let double = StripeDouble::new(
                    db.clone(),
                    DoubleSettings {
                        secret_key: key.expose().to_owned(),
                        webhook_secret: webhook_secret.expose().to_owned(),
                        webhook_url: format!("http://{loopback}/webhooks/stripe"),
                        public_url: config.public_url.clone(),
                        settle_delay: payments.double_settle_delay,
                    },
                );
                let api = double.serve_api().await.map_err(|error| {
                    format!("cannot serve the Stripe test double's API: {error}")
                })?;
                stripe_double = Some(double);
                Arc::new(StripeGateway::new(
                    key.expose(),
                    Some(&format!("http://{api}/_stripe/")),
                )?)
            }
            // Production without a key: the test double is refused, payments are unavailable.
            (None, None) => Arc::new(Unconfigured),
        };
        let mail: Arc<dyn Transport> = match (self.mail, &config.mail.smtp_url) {
            (Some(transport), _) => transport,
            (None, Some(url)) => Arc::new(SmtpTransport::new(url.expose(), &config.mail.from)?),
            (None, None) => Arc::new(LogTransport),
        };
        let jobs_db = crate::db::connect_for_jobs(&config.database_url)
            .await
            .map_err(|error| format!("cannot connect the background jobs: {error}"))?;
        let events = Events::start(&db, &config.database_url)
            .await
            .map_err(|error| format!("cannot listen for changes: {error}"))?;
        let payment_retirements = Arc::new(PaymentRetirements {
            events: events.clone(),
        });
        Ok(App {
            retirements: Retirements::new(self.registry, vec![payment_retirements]),
            events,
            db,
            jobs_db,
            config: Arc::new(config),
            gateway,
            webhook_secret,
            mail,
            mail_wake: Wake::default(),
            reconciliation_wake: Wake::default(),
            stripe_double,
            keys: Arc::default(),
            aircraft_hints: Arc::default(),
            liveness: Liveness::new(self.stalled_after),
        })
    }
}

/// The address this server reaches itself at: the listen address, or loopback when it listens
/// on every interface.
fn loopback(listen: SocketAddr) -> SocketAddr {
    match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, listen.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, listen.port()).into(),
        _ => listen,
    }
}

impl App {
    pub fn builder(db: DatabaseConnection, config: Config) -> AppBuilder {
        AppBuilder {
            db,
            config,
            registry: Arc::new(LocalRegistry),
            gateway: None,
            mail: None,
            stalled_after: crate::jobs::STALLED_AFTER,
        }
    }

    /// What a provision needs to be created: the fee and the retirement schedule.
    pub fn provisioning(&self) -> Provisioning<'_> {
        Provisioning {
            db: &self.db,
            fee: self.config.fee,
            retirements: &self.retirements,
            retirement_delay: self.config.retirement_delay,
        }
    }

    /// What opening a checkout needs.
    pub fn checkouts(&self) -> Checkouts<'_> {
        Checkouts {
            db: &self.db,
            gateway: self.gateway.as_ref(),
            fee: self.config.fee,
            ttl: self.config.payments.checkout_ttl,
            public_url: &self.config.public_url,
            events: &self.events,
        }
    }

    /// What learning a payment's outcome needs.
    pub fn fulfilment(&self) -> Fulfilment<'_> {
        Fulfilment {
            db: &self.db,
            gateway: self.gateway.as_ref(),
            retirements: &self.retirements,
            retirement_delay: self.config.retirement_delay,
            public_url: &self.config.public_url,
            mail: &self.mail_wake,
            events: &self.events,
        }
    }

    /// Starts this instance's background jobs; they stop when the result is dropped.
    pub fn spawn_workers(&self) -> Workers {
        let mut workers = Workers::new(self.liveness.clone());
        let (retirement, wake) = self.retirements.job(self.jobs_db.clone());
        workers.spawn(retirement, wake);
        let mail = MailJob {
            db: self.jobs_db.clone(),
            transport: self.mail.clone(),
        };
        workers.spawn(mail, self.mail_wake.clone());
        let reconciliation = ReconciliationJob {
            db: self.jobs_db.clone(),
            gateway: self.gateway.clone(),
            retirements: self.retirements.clone(),
            retirement_delay: self.config.retirement_delay,
            public_url: self.config.public_url.clone(),
            mail: self.mail_wake.clone(),
            events: self.events.clone(),
        };
        workers.spawn(reconciliation, self.reconciliation_wake.clone());
        let purge = crate::idempotency::PurgeJob {
            db: self.jobs_db.clone(),
        };
        workers.spawn(purge, Wake::default());
        if let Some(double) = &self.stripe_double {
            let (job, wake) = double.job(self.jobs_db.clone());
            workers.spawn(job, wake);
        }
        workers
    }
}

/// Applies pending migrations and refreshes the shipped reference data (the aircraft
/// catalog); safe to run on every start and from several instances at once.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await?;
    crate::catalog::seed(db).await
}
