//! Prometheus metrics through the `metrics` facade: code anywhere counts what happens
//! (`metrics::counter!`), and the state of the product (payments, backlogs, supply) is read
//! from the database when Prometheus scrapes, so every instance reports the same truth.

use std::sync::LazyLock;
use std::time::Instant;

use chrono::{DateTime, Utc};
use metrics::{describe_counter, describe_gauge, describe_histogram, gauge};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};
use sea_orm::{
    ActiveEnum, ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, Iterable, QueryFilter,
    QuerySelect,
};

use crate::error::Result;
use crate::ids::ListingId;
use crate::mail::entity as outbox;
use crate::payments::entity::{payment, quote};
use crate::payments::{PaymentStatus, RetirementStatus};
use crate::provisions::ProvisionStatus;
use crate::provisions::entity::provision;
use crate::units::Grams;

/// Latency buckets, seconds: from a cached read to a slow payment provider.
const SECONDS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Statements per request.
const STATEMENTS: [f64; 9] = [0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 10.0, 20.0, 50.0];

static STARTED: LazyLock<Instant> = LazyLock::new(Instant::now);

/// How often histogram samples are folded into their buckets.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// One of something live (a connection, a subscription), counted in the gauge `name` while
/// this exists.
pub struct Live(&'static str);

impl Live {
    pub fn start(name: &'static str) -> Self {
        gauge!(name).increment(1.0);
        Live(name)
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        gauge!(self.0).decrement(1.0);
    }
}

/// Installs the process's recorder; metrics counted before this are lost, so call it first.
pub fn install() -> std::result::Result<PrometheusHandle, String> {
    let recorder = recorder()?;
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).map_err(|error| error.to_string())?;
    LazyLock::force(&STARTED);
    describe();
    gauge!(
        "contrail_build_info",
        "version" => env!("CARGO_PKG_VERSION"),
        "commit" => env!("CONTRAIL_GIT_COMMIT"),
    )
    .set(1.0);
    Ok(handle)
}

/// What [`install`] installs for the whole process, kept up, for a caller that scopes it to
/// some threads instead (the reads bench).
pub fn recorder() -> std::result::Result<PrometheusRecorder, String> {
    let failed = |error: metrics_exporter_prometheus::BuildError| error.to_string();
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS)
        .map_err(failed)?
        .set_buckets_for_metric(
            Matcher::Full("contrail_db_statements_per_request".into()),
            &STATEMENTS,
        )
        .map_err(failed)?
        .build_recorder();
    // Histograms keep each sample until upkeep folds it into the buckets: without it they grow
    // for as long as nobody scrapes (a Prometheus down, or never configured).
    let upkeep = recorder.handle();
    std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_EVERY);
                upkeep.run_upkeep();
            }
        })
        .map_err(|error| format!("cannot start the metrics upkeep: {error}"))?;
    Ok(recorder)
}

/// The exposition Prometheus scrapes, with the product's state read just now.
pub async fn render(handle: &PrometheusHandle, db: &DatabaseConnection) -> String {
    gauge!("contrail_uptime_seconds").set(STARTED.elapsed().as_secs_f64());
    record_pool(db);
    match ProductState::read(db).await {
        Ok(state) => state.record(),
        Err(error) => tracing::warn!(%error, "cannot read the product's state for /metrics"),
    }
    handle.render()
}

fn record_pool(db: &DatabaseConnection) {
    let (size, idle) = match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
    };
    let idle = idle as f64;
    gauge!("contrail_db_connections", "state" => "idle").set(idle);
    gauge!("contrail_db_connections", "state" => "in_use").set(f64::from(size) - idle);
}

/// Seconds since `oldest`, 0 when there is none.
fn age(oldest: Option<DateTime<Utc>>) -> f64 {
    oldest.map_or(0.0, |at| {
        (Utc::now() - at).num_milliseconds().max(0) as f64 / 1000.0
    })
}

/// The state of the product, as the database has it: what the product's gauges show.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductState {
    /// Payments by status and retirement status.
    pub payments: Vec<(PaymentStatus, RetirementStatus, i64)>,
    /// Paid and not retired yet, and when the oldest of them was paid.
    pub paid_unretired: i64,
    pub oldest_paid_unretired: Option<DateTime<Utc>>,
    /// Provisions confirmed and not retired yet, and the oldest due retirement.
    pub retirement_backlog: i64,
    pub oldest_due_retirement: Option<DateTime<Utc>>,
    /// E-mails not sent yet, and when the oldest was written.
    pub outbox_depth: i64,
    pub oldest_unsent_mail: Option<DateTime<Utc>>,
    pub quotes_expired: i64,
    pub available: Vec<(ListingId, Grams)>,
}

impl ProductState {
    pub async fn read(db: &DatabaseConnection) -> Result<ProductState> {
        let now = Utc::now();
        let payments = payment::Entity::find()
            .select_only()
            .column(payment::Column::Status)
            .column(payment::Column::RetirementStatus)
            .column_as(payment::Column::Id.count(), "payments")
            .group_by(payment::Column::Status)
            .group_by(payment::Column::RetirementStatus)
            .into_tuple()
            .all(db)
            .await?;
        let (paid_unretired, oldest_paid_unretired) = payment::Entity::find()
            .select_only()
            .column_as(payment::Column::Id.count(), "unretired")
            .column_as(payment::Column::PaidAt.min(), "oldest")
            .filter(payment::Column::Status.eq(PaymentStatus::Succeeded))
            .filter(
                payment::Column::RetirementStatus
                    .is_in([RetirementStatus::NotStarted, RetirementStatus::Pending]),
            )
            .into_tuple()
            .one(db)
            .await?
            .unwrap_or_default();
        let (retirement_backlog,) = provision::Entity::find()
            .select_only()
            .column_as(provision::Column::Id.count(), "backlog")
            .filter(provision::Column::Status.eq(ProvisionStatus::Confirmed))
            .into_tuple()
            .one(db)
            .await?
            .unwrap_or_default();
        let oldest_due_retirement = provision::Entity::find()
            .select_only()
            .column_as(provision::Column::RetireAfter.min(), "oldest")
            .filter(provision::Column::Status.eq(ProvisionStatus::Confirmed))
            .filter(provision::Column::RetireAfter.lte(now))
            .into_tuple::<Option<DateTime<Utc>>>()
            .one(db)
            .await?
            .flatten();
        let (outbox_depth, oldest_unsent_mail) = outbox::Entity::find()
            .select_only()
            .column_as(outbox::Column::Id.count(), "depth")
            .column_as(outbox::Column::CreatedAt.min(), "oldest")
            .filter(outbox::Column::SentAt.is_null())
            .into_tuple()
            .one(db)
            .await?
            .unwrap_or_default();
        let (quotes_expired,) = quote::Entity::find()
            .select_only()
            .column_as(quote::Column::Id.count(), "expired")
            .filter(quote::Column::ConsumedAt.is_null())
            .filter(quote::Column::ExpiresAt.lt(now))
            .into_tuple()
            .one(db)
            .await?
            .unwrap_or_default();
        let listings: Vec<ListingId> = crate::credits::list_listings(db)
            .await?
            .into_iter()
            .map(|listing| listing.id)
            .collect();
        let free = crate::credits::ledger::available(db, &listings).await?;
        let available = listings
            .into_iter()
            .map(|listing| (listing, free.get(&listing).copied().unwrap_or_default()))
            .collect();
        Ok(ProductState {
            payments,
            paid_unretired,
            oldest_paid_unretired,
            retirement_backlog,
            oldest_due_retirement,
            outbox_depth,
            oldest_unsent_mail,
            quotes_expired,
            available,
        })
    }

    fn record(&self) {
        for status in PaymentStatus::iter() {
            for retirement in RetirementStatus::iter() {
                let count = self
                    .payments
                    .iter()
                    .find(|(s, r, _)| *s == status && *r == retirement)
                    .map_or(0, |(_, _, count)| *count);
                gauge!(
                    "contrail_payments",
                    "status" => status.to_value(),
                    "retirement" => retirement.to_value(),
                )
                .set(count as f64);
            }
        }
        gauge!("contrail_payments_paid_unretired").set(self.paid_unretired as f64);
        gauge!("contrail_payments_paid_unretired_oldest_age_seconds")
            .set(age(self.oldest_paid_unretired));
        gauge!("contrail_retirement_backlog").set(self.retirement_backlog as f64);
        gauge!("contrail_retirement_oldest_due_age_seconds").set(age(self.oldest_due_retirement));
        gauge!("contrail_outbox_depth").set(self.outbox_depth as f64);
        gauge!("contrail_outbox_oldest_age_seconds").set(age(self.oldest_unsent_mail));
        gauge!("contrail_quotes_expired").set(self.quotes_expired as f64);
        for (listing, grams) in &self.available {
            gauge!("contrail_credits_available_tonnes", "listing" => listing.0.to_string())
                .set(grams.get() as f64 / 1_000_000.0);
        }
    }
}

/// Help texts, so `promtool check metrics` and people reading `/metrics` know each series.
fn describe() {
    describe_counter!(
        "contrail_http_requests_total",
        "HTTP requests answered, by route template, method and status."
    );
    describe_histogram!(
        "contrail_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time to answer an HTTP request, by route template."
    );
    describe_counter!(
        "contrail_graphql_operations_total",
        "GraphQL operations run, by type, name (the first 100 names seen; then other) and outcome."
    );
    describe_histogram!(
        "contrail_graphql_operation_duration_seconds",
        metrics::Unit::Seconds,
        "Time to run a GraphQL operation, by type and name."
    );
    describe_counter!(
        "contrail_graphql_errors_total",
        "GraphQL errors answered, by extensions.code."
    );
    describe_counter!(
        "contrail_graphql_documents_rejected_total",
        "GraphQL documents refused before running, by the limit they broke."
    );
    describe_gauge!(
        "contrail_db_connections",
        "Connections of the request pool, in use or idle."
    );
    describe_histogram!(
        "contrail_db_statement_duration_seconds",
        metrics::Unit::Seconds,
        "Time of one SQL statement, waiting for a connection included."
    );
    describe_histogram!(
        "contrail_db_connection_wait_seconds",
        metrics::Unit::Seconds,
        "Time a statement or transaction waited for a pooled connection (both pools)."
    );
    describe_histogram!(
        "contrail_db_statements_per_request",
        "SQL statements one HTTP request ran."
    );
    describe_counter!("contrail_quotes_issued_total", "Quotes issued.");
    describe_gauge!(
        "contrail_quotes_expired",
        "Quotes that expired without being used."
    );
    describe_counter!(
        "contrail_checkouts_total",
        "Hosted checkouts, by outcome: opened, paid, expired, failed."
    );
    describe_gauge!(
        "contrail_payments",
        "Payments, by status and retirement status."
    );
    describe_gauge!(
        "contrail_payments_paid_unretired",
        "Payments paid whose credits are not retired yet."
    );
    describe_gauge!(
        "contrail_payments_paid_unretired_oldest_age_seconds",
        "Age of the oldest payment paid but not retired (0 when none)."
    );
    describe_counter!("contrail_refunds_total", "Refunds issued.");
    describe_counter!(
        "contrail_webhook_events_total",
        "Payment provider webhook events received, by type and outcome: verified, rejected, duplicate."
    );
    describe_gauge!(
        "contrail_retirement_backlog",
        "Provisions confirmed and not retired yet."
    );
    describe_gauge!(
        "contrail_retirement_oldest_due_age_seconds",
        "How long the oldest retirement has been due (0 when none)."
    );
    describe_gauge!("contrail_outbox_depth", "E-mails waiting to be sent.");
    describe_gauge!(
        "contrail_outbox_oldest_age_seconds",
        "Age of the oldest e-mail waiting to be sent (0 when none)."
    );
    describe_gauge!(
        "contrail_credits_available_tonnes",
        "Credits free to allocate, by listing, tonnes."
    );
    describe_gauge!(
        "contrail_websocket_connections",
        "Open GraphQL WebSocket connections."
    );
    describe_gauge!("contrail_subscriptions", "Running GraphQL subscriptions.");
    describe_gauge!(
        "contrail_build_info",
        "The running build: version and git commit."
    );
    describe_gauge!(
        "contrail_uptime_seconds",
        metrics::Unit::Seconds,
        "Seconds since the process started."
    );
}

/// The time each statement waited for a pooled connection, read from the event sqlx's pool
/// emits on every acquisition (`sqlx::pool::acquire`, `acquired_after_secs`): SeaORM does not
/// expose the pool, and sqlx measures the wait itself.
pub struct ConnectionWaits;

/// The events [`ConnectionWaits`] reads: only sqlx's acquisitions, at any level.
pub fn connection_wait_events() -> tracing_subscriber::filter::Targets {
    tracing_subscriber::filter::Targets::new().with_target(ACQUIRE_TARGET, tracing::Level::TRACE)
}

const ACQUIRE_TARGET: &str = "sqlx::pool::acquire";

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for ConnectionWaits {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() != ACQUIRE_TARGET {
            return;
        }
        let mut wait = WaitField(None);
        event.record(&mut wait);
        if let Some(seconds) = wait.0 {
            metrics::histogram!("contrail_db_connection_wait_seconds").record(seconds);
        }
    }
}

struct WaitField(Option<f64>);

impl tracing::field::Visit for WaitField {
    fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
        if field.name() == "acquired_after_secs" {
            self.0 = Some(value);
        }
    }

    fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
}
