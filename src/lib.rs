//! Contrail: a GraphQL API that puts carbon removal into a flight checkout.
//!
//! Layers point down (see the README's "Layout"): `http` and `cli` → `api` (all of GraphQL) →
//! `app` → `accounting` (reads across domains) → the domains (`provisions`, `emissions`,
//! `fleet`, `certificates`, `credits`, `catalog`, `organizations`) → shared values and
//! infrastructure (`units`, `ids`, `fuel`, `paging`, `error`, `config`, `db`, `jobs`).

pub mod accounting;
pub mod airports;
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
pub mod events;
pub mod fleet;
pub mod fuel;
pub mod http;
pub mod idempotency;
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
pub mod telemetry;
pub mod tokens;
pub mod units;

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use tokio::net::TcpListener;

use app::App;

/// Every binary built on the library (the server, its benches and tests) allocates through it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Serves the API on `listener` until `shutdown` completes. Background jobs (retirements due,
/// including ones left by a previous run) run meanwhile. Shutdown stops accepting, closes
/// WebSockets with 1001, lets in-flight requests finish, then stops the jobs after the item in
/// hand (releasing the claims they hold): all of it within the configured grace period.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let grace = app.config.http_limits.shutdown_grace;
    let limits = http::server::ConnectionLimits {
        header_timeout: app.config.http_limits.header_timeout,
        shutdown_grace: grace,
    };
    let workers = app.spawn_workers();
    let sockets = http::OpenSockets::default();
    let router = http::router(app, sockets.clone());
    let began = Arc::new(OnceLock::new());
    let shutdown = {
        let (sockets, began) = (sockets.clone(), began.clone());
        async move {
            shutdown.await;
            let _ = began.set(Instant::now());
            sockets.begin_closing();
        }
    };
    let served = http::server::serve(listener, router, limits, shutdown).await;
    let deadline = began.get().copied().unwrap_or_else(Instant::now) + grace;
    let left = deadline.saturating_duration_since(Instant::now());
    // Requests drained first: one may still be handing work to the jobs.
    tokio::join!(sockets.closed(left), workers.shutdown(left));
    served
}
