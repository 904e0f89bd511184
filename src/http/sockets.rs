//! The WebSockets an instance holds open: shutdown closes them (upgraded connections are out
//! of the accept loop's sight), and each organization holds a bounded number.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::ids::OrganizationId;

/// The WebSockets an instance holds: upgraded connections are out of the accept loop's sight,
/// so shutdown closes them here, with 1001 ("going away") so clients reconnect elsewhere.
#[derive(Clone, Default)]
pub struct OpenSockets {
    pub(super) closing: CancellationToken,
    tasks: TaskTracker,
    per_organization: Arc<Mutex<HashMap<OrganizationId, u32>>>,
}

impl OpenSockets {
    /// Tells every WebSocket to close; new ones are refused from now on.
    pub fn begin_closing(&self) {
        self.closing.cancel();
        self.tasks.close();
    }

    /// Waits (at most `grace`) for the WebSockets to send their close frames.
    pub async fn closed(&self, grace: Duration) {
        self.begin_closing();
        if tokio::time::timeout(grace, self.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                open = self.tasks.len(),
                "WebSockets still open after the grace period"
            );
        }
    }

    /// Runs a connection's task so that shutdown waits for its close frame.
    pub fn track<F: std::future::Future>(
        &self,
        connection: F,
    ) -> tokio_util::task::task_tracker::TrackedFuture<F> {
        self.tasks.track_future(connection)
    }

    /// Counts a connection against its organization's limit; `None` when it is reached.
    pub(super) fn admit(&self, organization: OrganizationId, limit: u32) -> Option<Admission> {
        let mut open = self.lock();
        let count = open.entry(organization).or_default();
        if *count >= limit {
            return None;
        }
        *count += 1;
        Some(Admission {
            sockets: self.clone(),
            organization,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<OrganizationId, u32>> {
        self.per_organization
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// A connection counted against its organization; released when dropped.
pub(super) struct Admission {
    sockets: OpenSockets,
    organization: OrganizationId,
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut open = self.sockets.lock();
        if let Some(count) = open.get_mut(&self.organization) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.organization);
            }
        }
    }
}
