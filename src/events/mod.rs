//! Change notifications across server instances (SPEC §9): a transaction that changes a
//! payment publishes a [`Change`]; every instance hears it and wakes the subscribers following
//! that payment or its organization, who then read the new state from the database. Only ids
//! travel, never objects, and a change is heard only once committed: a rolled-back change is
//! never announced.
//!
//! On PostgreSQL the change is a `NOTIFY` in the changing transaction (delivered at commit)
//! and each instance `LISTEN`s on its own connection; notifications sent while that connection
//! is down are lost, so on reconnecting every subscriber re-reads. On SQLite (one instance)
//! changes go through this process; they are released to subscribers only once the writer's
//! transaction has ended, which the single write lock tells.

mod hub;
mod postgres;
mod sqlite;

use std::sync::Arc;

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbBackend};

use crate::error::Result;
use crate::ids::{OrganizationId, PaymentId};
pub use hub::{Dirty, Topic, Watch};

/// A payment changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub organization: OrganizationId,
    pub payment: PaymentId,
}

#[derive(Clone)]
pub struct Events {
    hub: Arc<hub::Hub>,
    transport: Transport,
}

#[derive(Clone)]
enum Transport {
    Postgres,
    InProcess(sqlite::Releaser),
}

impl Events {
    /// Starts hearing changes for `db` (at `url`): on PostgreSQL, `LISTEN`s before returning,
    /// so nothing committed after this is missed.
    pub async fn start(db: &DatabaseConnection, url: &str) -> Result<Events> {
        let hub = Arc::new(hub::Hub::default());
        let transport = match db.get_database_backend() {
            DbBackend::Postgres => {
                postgres::listen(url, hub.clone()).await?;
                Transport::Postgres
            }
            _ => Transport::InProcess(sqlite::Releaser::start(db.clone(), hub.clone())),
        };
        Ok(Events { hub, transport })
    }

    /// Announces `change` when `txn` commits. Call it after the change is written.
    pub async fn publish(&self, txn: &DatabaseTransaction, change: Change) -> Result<()> {
        match &self.transport {
            Transport::Postgres => postgres::notify(txn, change).await,
            Transport::InProcess(releaser) => {
                releaser.hold(change);
                Ok(())
            }
        }
    }

    /// Follows `topic` from now on.
    pub fn watch(&self, topic: Topic) -> Watch {
        self.hub.watch(topic)
    }

    /// How many subscribers follow something on this instance.
    pub fn watchers(&self) -> usize {
        self.hub.watchers()
    }
}
