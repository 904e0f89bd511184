//! The `contrail` command: serve (default), migrate, org create, schema, openapi, and the platform
//! operator's credits commands.

mod commands;
mod credits;

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use tokio::net::TcpListener;

use crate::app::App;
use crate::config::Config;
use crate::ids::OrganizationId;
pub use commands::{Cli, Command, CreditsCommand, KeysCommand, OrgCommand};

pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    let telemetry = match crate::telemetry::init(&cli.settings.telemetry) {
        Ok(telemetry) => telemetry,
        Err(message) => {
            eprintln!("contrail: {message}");
            return ExitCode::FAILURE;
        }
    };
    let metrics_listen = cli.settings.telemetry.metrics_listen;
    let config = Config::from_settings(cli.settings);
    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config, metrics_listen).await,
        Command::Migrate => migrate(&config).await.map(|_| ()),
        Command::Org(OrgCommand::Create { name }) => create_org(&config, &name).await,
        Command::Org(OrgCommand::Keys(command)) => keys(&config, command).await,
        Command::Credits(command) => credits::run(&config, command).await,
        Command::Schema => {
            print!("{}", crate::api::sdl());
            Ok(())
        }
        Command::Openapi => {
            print!("{}", crate::http::rest::openapi::document());
            Ok(())
        }
    };
    telemetry.shutdown();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("contrail: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn migrate(config: &Config) -> Result<sea_orm::DatabaseConnection, String> {
    let db = crate::db::connect(&config.database_url)
        .await
        .map_err(|error| format!("cannot open CONTRAIL_DATABASE_URL: {error}"))?;
    crate::app::migrate(&db)
        .await
        .map_err(|error| format!("migration failed: {error}"))?;
    Ok(db)
}

async fn create_org(config: &Config, name: &str) -> Result<(), String> {
    let db = migrate(config).await?;
    let issued = crate::organizations::create(&db, name)
        .await
        .map_err(|error| error.to_string())?;
    println!(
        "Created organization {name:?} (id {}).",
        issued.organization_id.0
    );
    println!("API key (shown once, store it now): {}", issued.secret);
    Ok(())
}

async fn keys(config: &Config, command: KeysCommand) -> Result<(), String> {
    use crate::organizations;
    let db = migrate(config).await?;
    let failed = |error: crate::error::Error| error.to_string();
    match command {
        KeysCommand::List { org } => {
            let keys = organizations::keys(&db, OrganizationId(org))
                .await
                .map_err(failed)?;
            println!(
                "{:<6} {:<12} {:<21} {:<21} revoked",
                "id", "prefix", "created", "last used"
            );
            let at = |at: Option<chrono::DateTime<chrono::Utc>>| {
                at.map_or_else(
                    || "-".to_owned(),
                    |at| at.format("%Y-%m-%d %H:%M:%SZ").to_string(),
                )
            };
            for key in keys {
                println!(
                    "{:<6} {:<12} {:<21} {:<21} {}",
                    key.id,
                    key.prefix,
                    at(Some(key.created_at)),
                    at(key.last_used_at),
                    at(key.revoked_at)
                );
            }
        }
        KeysCommand::Create { org } => {
            let issued = organizations::create_key(&db, OrganizationId(org))
                .await
                .map_err(failed)?;
            println!("API key (shown once, store it now): {}", issued.secret);
        }
        KeysCommand::Revoke { org, key } => {
            let revoked = organizations::revoke_key(&db, OrganizationId(org), key)
                .await
                .map_err(failed)?;
            println!("Revoked key {} ({}).", revoked.id, revoked.prefix);
        }
    }
    Ok(())
}

async fn serve(mut config: Config, metrics_listen: Option<SocketAddr>) -> Result<(), String> {
    if let Some(trusted) = &config.security.trusted_documents {
        crate::http::check_manifest(trusted)?;
    }
    // Installed before anything is counted; served once the database is there to read.
    let metrics = metrics_listen
        .map(|address| Ok::<_, String>((address, crate::telemetry::metrics::install()?)))
        .transpose()?;
    let db = migrate(&config).await?;
    if config.is_development() {
        seed_development(&db)
            .await
            .map_err(|error| error.to_string())?;
    }
    let listener = TcpListener::bind(config.listen).await.map_err(|error| {
        format!(
            "cannot listen on {} (CONTRAIL_LISTEN): {error}",
            config.listen
        )
    })?;
    // The server reaches itself (the Stripe test double, its webhooks) where it listens.
    config.listen = listener.local_addr().map_err(|error| error.to_string())?;
    tracing::info!(address = %config.listen, mode = ?config.mode, "Contrail is listening");
    let development = config.is_development();
    let graphiql = format!("{}/graphql", config.public_url);
    let _metrics = match metrics {
        Some((address, handle)) => Some(serve_metrics(address, handle, db.clone()).await?),
        None => None,
    };
    let app = App::builder(db, config).build().await?;
    if development {
        println!("GraphiQL: {graphiql}");
    }
    crate::serve(listener, app, shutdown_signal())
        .await
        .map_err(|error| format!("server error: {error}"))
}

/// Serves `/metrics` on `address` until the returned guard is dropped.
async fn serve_metrics(
    address: SocketAddr,
    handle: metrics_exporter_prometheus::PrometheusHandle,
    db: sea_orm::DatabaseConnection,
) -> Result<AbortOnDrop, String> {
    let listener = TcpListener::bind(address).await.map_err(|error| {
        format!("cannot listen on {address} (CONTRAIL_METRICS_LISTEN): {error}")
    })?;
    let address = listener.local_addr().map_err(|error| error.to_string())?;
    tracing::info!(%address, "Prometheus metrics at /metrics");
    let router = crate::http::metrics_router(handle, db);
    Ok(AbortOnDrop(tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::error!(%error, "the metrics listener stopped");
        }
    })))
}

/// A background task that ends with its owner.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Demo supply and a demo organization, once, so a fresh clone works with no set-up.
async fn seed_development(db: &sea_orm::DatabaseConnection) -> crate::error::Result<()> {
    if crate::credits::seed_demo(db).await? {
        tracing::info!("seeded demo credit projects and listings");
    }
    if crate::organizations::count(db).await? == 0 {
        let issued = crate::organizations::create(db, "Demo organization").await?;
        println!("Created a demo organization. Its API key (shown once, store it now):");
        println!("  {}", issued.secret);
        println!("Send it as `Authorization: Bearer {}`", issued.secret);
    }
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
