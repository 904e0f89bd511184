//! Contrail: a GraphQL API that puts carbon removal into a flight checkout.
//!
//! Layers point down (see the README's "Layout"): `http` and `cli` → `api` (all of GraphQL) →
//! `app` → `accounting` (reads across domains) → the domains (`provisions`, `emissions`,
//! `fleet`, `certificates`, `credits`, `catalog`, `organizations`) → shared values and
//! infrastructure (`units`, `ids`, `fuel`, `paging`, `error`, `config`, `db`, `jobs`).

pub mod accounting;
pub mod api;
pub mod app;
pub mod catalog;
pub mod certificates;
pub mod cli;
pub mod config;
pub mod credits;
pub mod db;
pub mod emissions;
pub mod error;
pub mod fleet;
pub mod fuel;
pub mod http;
pub mod ids;
pub mod jobs;
pub mod mail;
pub mod organizations;
pub mod paging;
pub mod payments;
pub mod provisions;
pub mod retries;
pub mod settings;
pub mod stripe_double;
pub mod stripe_gateway;
pub mod tokens;
pub mod units;

use std::future::Future;

use tokio::net::TcpListener;

use app::App;

/// Serves the API on `listener` until `shutdown` completes, then drains in-flight requests.
/// Background jobs (retirements due, including ones left by a previous run) run meanwhile.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = http::server::ConnectionLimits {
        header_timeout: app.config.http_limits.header_timeout,
        shutdown_grace: app.config.http_limits.shutdown_grace,
    };
    let _workers = app.spawn_workers();
    let router = http::router(app);
    http::server::serve(listener, router, limits, shutdown).await
}
