//! Who follows what, in this process: a change marks the watchers of its payment and of its
//! organization dirty and wakes them. A watcher holds at most one wake-up and a bounded set
//! of changed payments, so a subscriber that reads slowly costs no memory: changes coalesce,
//! and too many at once become one "re-read everything".

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;

use super::Change;
use crate::ids::{OrganizationId, PaymentId};

/// Changed payments a watcher remembers before it re-reads everything instead.
const MAX_PENDING: usize = 1_000;

/// What a watcher follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    Payment(PaymentId),
    Organization(OrganizationId),
}

/// What changed since a watcher last looked.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Dirty {
    pub payments: BTreeSet<PaymentId>,
    /// Changes may have been missed (the listener reconnected, or too many piled up): re-read
    /// everything followed.
    pub resync: bool,
}

impl Dirty {
    fn is_empty(&self) -> bool {
        self.payments.is_empty() && !self.resync
    }
}

#[derive(Default)]
struct Watcher {
    wake: Notify,
    dirty: Mutex<Dirty>,
}

impl Watcher {
    fn mark(&self, payment: Option<PaymentId>) {
        {
            let mut dirty = self.dirty.lock().unwrap_or_else(PoisonError::into_inner);
            match payment {
                Some(payment) if dirty.payments.len() < MAX_PENDING => {
                    dirty.payments.insert(payment);
                }
                _ => {
                    dirty.payments.clear();
                    dirty.resync = true;
                }
            }
        }
        self.wake.notify_one();
    }

    fn take(&self) -> Dirty {
        std::mem::take(&mut *self.dirty.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// The watchers of each topic, each with its registration number.
type Watchers = HashMap<Topic, Vec<(u64, Arc<Watcher>)>>;

#[derive(Default)]
pub struct Hub {
    watchers: Mutex<Watchers>,
    next: AtomicU64,
}

impl Hub {
    pub fn watch(self: &Arc<Self>, topic: Topic) -> Watch {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let watcher = Arc::new(Watcher::default());
        self.lock()
            .entry(topic)
            .or_default()
            .push((id, watcher.clone()));
        Watch {
            hub: self.clone(),
            topic,
            id,
            watcher,
        }
    }

    pub fn dispatch(&self, change: Change) {
        let watchers = self.lock();
        let topics = [
            Topic::Payment(change.payment),
            Topic::Organization(change.organization),
        ];
        for topic in topics {
            for (_, watcher) in watchers.get(&topic).into_iter().flatten() {
                watcher.mark(Some(change.payment));
            }
        }
    }

    /// Every watcher re-reads: changes may have been lost.
    pub fn resync_all(&self) {
        for (_, watcher) in self.lock().values().flatten() {
            watcher.mark(None);
        }
    }

    /// How many watchers follow something.
    pub fn watchers(&self) -> usize {
        self.lock().values().map(Vec::len).sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Watchers> {
        self.watchers.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One follower's registration; it ends when dropped.
pub struct Watch {
    hub: Arc<Hub>,
    topic: Topic,
    id: u64,
    watcher: Arc<Watcher>,
}

impl Watch {
    pub fn topic(&self) -> Topic {
        self.topic
    }

    /// Waits until something followed changes; what changed since the last call.
    pub async fn changed(&self) -> Dirty {
        loop {
            let dirty = self.watcher.take();
            if !dirty.is_empty() {
                return dirty;
            }
            self.watcher.wake.notified().await;
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let mut watchers = self.hub.lock();
        if let Some(list) = watchers.get_mut(&self.topic) {
            list.retain(|(id, _)| *id != self.id);
            if list.is_empty() {
                watchers.remove(&self.topic);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORG: OrganizationId = OrganizationId(1);

    fn change(payment: i64) -> Change {
        Change {
            organization: ORG,
            payment: PaymentId(payment),
        }
    }

    #[tokio::test]
    async fn changes_reach_their_followers_only_and_coalesce() {
        let hub = Arc::new(Hub::default());
        let one = hub.watch(Topic::Payment(PaymentId(1)));
        let two = hub.watch(Topic::Payment(PaymentId(2)));
        let dashboard = hub.watch(Topic::Organization(ORG));
        hub.dispatch(change(1));
        hub.dispatch(change(1));
        hub.dispatch(change(3));
        assert_eq!(one.changed().await.payments, BTreeSet::from([PaymentId(1)]));
        assert_eq!(
            dashboard.changed().await.payments,
            BTreeSet::from([PaymentId(1), PaymentId(3)])
        );
        let nothing = tokio::time::timeout(std::time::Duration::from_millis(20), two.changed());
        assert!(nothing.await.is_err(), "payment 2 did not change");
        drop(two);
        assert_eq!(hub.watchers(), 2);
    }

    #[tokio::test]
    async fn too_many_pending_changes_become_a_resync() {
        let hub = Arc::new(Hub::default());
        let dashboard = hub.watch(Topic::Organization(ORG));
        for payment in 0..(MAX_PENDING as i64 + 10) {
            hub.dispatch(change(payment));
        }
        let dirty = dashboard.changed().await;
        assert!(dirty.resync);
        assert!(dirty.payments.len() < MAX_PENDING);
    }
}
