//! The application, assembled in one place: the database, the configuration and the services
//! the domains need (today the registry that retires credits). The HTTP router, the GraphQL
//! schema and the background workers are all built from one [`App`]; tests assemble theirs
//! with [`App::builder`], injecting fakes.

use std::sync::Arc;

use migration::{Migrator, MigratorTrait};
use sea_orm::{DatabaseConnection, DbErr};

use crate::config::Config;
use crate::jobs::Workers;
use crate::provisions::lifecycle::Provisioning;
use crate::provisions::registry::{LocalRegistry, Registry};
use crate::provisions::retirement::Retirements;

#[derive(Clone)]
pub struct App {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub retirements: Retirements,
}

pub struct AppBuilder {
    db: DatabaseConnection,
    config: Config,
    registry: Arc<dyn Registry>,
}

impl AppBuilder {
    /// Retires credits through `registry` instead of the built-in local one.
    pub fn registry(mut self, registry: Arc<dyn Registry>) -> Self {
        self.registry = registry;
        self
    }

    pub fn build(self) -> App {
        App {
            db: self.db,
            config: Arc::new(self.config),
            retirements: Retirements::new(self.registry),
        }
    }
}

impl App {
    pub fn builder(db: DatabaseConnection, config: Config) -> AppBuilder {
        AppBuilder {
            db,
            config,
            registry: Arc::new(LocalRegistry),
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

    /// Starts this instance's background jobs; they stop when the result is dropped.
    pub fn spawn_workers(&self) -> Workers {
        let mut workers = Workers::default();
        let (retirement, wake) = self.retirements.job(self.db.clone());
        workers.spawn(retirement, wake);
        workers
    }
}

/// Applies pending migrations and refreshes the shipped reference data (the aircraft
/// catalog); safe to run on every start and from several instances at once.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await?;
    crate::catalog::seed(db).await
}
