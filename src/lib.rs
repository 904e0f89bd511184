//! Contrail: a GraphQL API that puts carbon removal into a flight checkout.
//!
//! Domains (`catalog`, `fleet`, `emissions`, `credits`, `organizations`) each keep their logic
//! in `mod.rs`, their SeaORM entities in `entity.rs` and their GraphQL types in `graphql.rs`.

pub mod catalog;
pub mod certificates;
pub mod cli;
pub mod config;
pub mod credits;
pub mod db;
pub mod emissions;
pub mod error;
pub mod fleet;
pub mod graphql;
pub mod http;
pub mod organizations;
pub mod provisions;
pub mod units;

use std::future::Future;
use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use config::Config;
use provisions::registry::LocalRegistry;
use provisions::retirement::Retirements;

/// Serves the API on `listener` until `shutdown` completes, then drains in-flight requests.
/// Retirements due meanwhile (including ones left by a previous run) are carried out by a
/// background worker.
pub async fn serve(
    listener: TcpListener,
    db: DatabaseConnection,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let retirements = Retirements::new(Arc::new(LocalRegistry));
    let worker = retirements.spawn_worker(db.clone());
    let limits = http::server::ConnectionLimits {
        header_timeout: config.http_limits.header_timeout,
        shutdown_grace: config.http_limits.shutdown_grace,
    };
    let app = http::router(http::AppState::new(db, Arc::new(config), retirements));
    let served = http::server::serve(listener, app, limits, shutdown).await;
    worker.abort();
    served
}
