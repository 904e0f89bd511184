//! One instance on SQLite: changes go through this process, held until the transaction that
//! made them has ended. Every writer holds SQLite's single write lock for its whole
//! transaction (`BEGIN IMMEDIATE`), so once the releaser gets the lock after a change was
//! held, the change is committed (or rolled back, in which case subscribers re-read, find
//! nothing new, and announce nothing).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sea_orm::DatabaseConnection;
use tokio::sync::mpsc;

use super::Change;
use super::hub::Hub;

/// Changes held at once before the releaser resyncs everyone instead.
const CAPACITY: usize = 4_096;

#[derive(Clone)]
pub(super) struct Releaser {
    held: mpsc::Sender<Change>,
    overflowed: Arc<AtomicBool>,
}

impl Releaser {
    pub(super) fn start(db: DatabaseConnection, hub: Arc<Hub>) -> Releaser {
        let (held, mut receiver) = mpsc::channel(CAPACITY);
        let overflowed = Arc::new(AtomicBool::new(false));
        let lost = overflowed.clone();
        tokio::spawn(async move {
            let mut batch = Vec::new();
            while receiver.recv_many(&mut batch, CAPACITY).await > 0 {
                // The writers that held these changes have finished once the lock is ours.
                if let Err(error) = wait_for_writers(&db).await {
                    tracing::warn!(%error, "cannot wait for writers; subscribers re-read");
                    lost.store(true, Ordering::SeqCst);
                }
                if lost.swap(false, Ordering::SeqCst) {
                    hub.resync_all();
                } else {
                    batch.drain(..).for_each(|change| hub.dispatch(change));
                }
                batch.clear();
            }
        });
        Releaser { held, overflowed }
    }

    pub(super) fn hold(&self, change: Change) {
        if self.held.try_send(change).is_err() {
            self.overflowed.store(true, Ordering::SeqCst);
        }
    }
}

async fn wait_for_writers(db: &DatabaseConnection) -> crate::error::Result<()> {
    crate::db::begin_write(db).await?.commit().await?;
    Ok(())
}
