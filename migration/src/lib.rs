//! Database schema of Contrail, as ordered SeaORM migrations shared by SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_foundation;
mod m20261121_000002_credits_ledger;
mod m20261202_000003_payments;
mod m20261202_000004_stripe_double;
mod m20261202_000005_external_references;
mod m20261202_000006_security;
mod m20261206_000007_routes;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_foundation::Migration),
            Box::new(m20261121_000002_credits_ledger::Migration),
            Box::new(m20261202_000003_payments::Migration),
            Box::new(m20261202_000004_stripe_double::Migration),
            Box::new(m20261202_000005_external_references::Migration),
            Box::new(m20261202_000006_security::Migration),
            Box::new(m20261206_000007_routes::Migration),
        ]
    }
}
