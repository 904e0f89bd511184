//! A small runner for background work that lives in the database, so it survives restarts and
//! is shared by every instance: a [`Job`] claims what is due (on PostgreSQL with
//! `FOR UPDATE SKIP LOCKED`, so instances never take the same item) and does it. The runner
//! repeats while work is due, then sleeps until the next item falls due, a [`Wake`] arrives, or
//! [`MAX_IDLE`] passes (work scheduled by another instance is found then).
//!
//! A claim is a lease: it lasts [`LEASE`] unless the instance working on it renews it (a
//! [`Heartbeat`] every [`HEARTBEAT`]), so the work of an instance that dies is taken over within
//! [`LEASE`], and work that runs long is never taken from a live instance. On shutdown a job
//! finishes the item in hand and releases the claims it has not started, for another instance
//! to take at once.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::error::Result;

/// The longest a job sleeps without looking for due work.
pub const MAX_IDLE: Duration = Duration::from_secs(30);
/// How long a claim lasts without renewal: a dead instance's work waits this long.
pub const LEASE: Duration = Duration::from_secs(15);
/// How often a working instance renews its claims: three heartbeats fit in a lease, so a slow
/// database round trip does not lose a live claim.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
/// How long a job waits after a failure (a database outage, say) before trying again.
const RETRY_AFTER: Duration = Duration::from_secs(5);

/// The instant before which a claim has lapsed.
pub fn lapsed_before(now: DateTime<Utc>) -> DateTime<Utc> {
    now - chrono::Duration::from_std(LEASE).unwrap_or_default()
}

/// When a job should look for work again: when the earliest unclaimed item falls due, or when
/// the oldest claim would lapse (its instance may have died).
pub fn next_look(
    unclaimed_due: Option<DateTime<Utc>>,
    oldest_claim: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    // A moment after the lapse, so the claim is seen lapsed when the job looks.
    let lapse =
        chrono::Duration::from_std(LEASE).unwrap_or_default() + chrono::Duration::milliseconds(50);
    let lapses = oldest_claim.map(|at| at + lapse);
    unclaimed_due.into_iter().chain(lapses).min()
}

/// What one run of a job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ran {
    /// A full batch: more may be due at once.
    FullBatch,
    /// Everything due was done (or is being done elsewhere), or the job was asked to stop.
    Caught,
}

#[async_trait::async_trait]
pub trait Job: Send + Sync + 'static {
    /// The job's name in logs.
    fn name(&self) -> &'static str;

    /// Claims and does one batch of the work due now, checking `stop` between items (the
    /// claims of items not started are released when it is set).
    async fn run_due(&self, stop: &Stop) -> Result<Ran>;

    /// When the next unclaimed work falls due, if any is scheduled.
    async fn next_due(&self) -> Result<Option<DateTime<Utc>>>;
}

/// Wakes a job before its sleep ends, when work is scheduled for it.
#[derive(Clone, Default)]
pub struct Wake(Arc<Notify>);

impl Wake {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// Whether the instance is shutting down.
#[derive(Clone)]
pub struct Stop(watch::Receiver<bool>);

impl Stop {
    pub fn requested(&self) -> bool {
        *self.0.borrow()
    }

    async fn wait(&mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

/// Renews claims while the work on them runs; stops when dropped.
struct Heartbeat(JoinHandle<()>);

impl Heartbeat {
    /// Calls `renew` every `interval` until dropped.
    fn start<F, Fut>(interval: Duration, renew: F) -> Heartbeat
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = Result<()>> + Send,
    {
        Heartbeat(tokio::spawn(async move {
            loop {
                tokio::time::sleep(interval).await;
                if let Err(error) = renew().await {
                    tracing::warn!(%error, "cannot renew a claim; another instance may take it");
                }
            }
        }))
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Works through claimed items in order, renewing the claims of those not yet done every
/// [`HEARTBEAT`] through `set_claims(ids, Some(now))`. When `stop` is set, or an item fails,
/// the claims of the items not started are released (`set_claims(ids, None)`) for another run
/// or instance to take at once.
pub async fn work_through<T, Id, Set, SetFut, Work, WorkFut>(
    claimed: Vec<T>,
    id: impl Fn(&T) -> Id,
    stop: Option<&Stop>,
    set_claims: Set,
    mut work: Work,
) -> Result<()>
where
    Id: Clone + Send + Sync + 'static,
    Set: Fn(Vec<Id>, Option<DateTime<Utc>>) -> SetFut + Clone + Send + Sync + 'static,
    SetFut: Future<Output = Result<()>> + Send,
    Work: FnMut(T) -> WorkFut,
    WorkFut: Future<Output = Result<()>>,
{
    if claimed.is_empty() {
        return Ok(());
    }
    let ids: Arc<[Id]> = claimed.iter().map(id).collect();
    let done = Arc::new(AtomicUsize::new(0));
    let _heartbeat = {
        let (ids, done, set_claims) = (ids.clone(), done.clone(), set_claims.clone());
        Heartbeat::start(HEARTBEAT, move || {
            let left = ids[done.load(Ordering::SeqCst)..].to_vec();
            set_claims(left, Some(Utc::now()))
        })
    };
    for (index, item) in claimed.into_iter().enumerate() {
        if stop.is_some_and(Stop::requested) {
            return set_claims(ids[index..].to_vec(), None).await;
        }
        if let Err(error) = work(item).await {
            set_claims(ids[index + 1..].to_vec(), None).await?;
            return Err(error);
        }
        done.store(index + 1, Ordering::SeqCst);
    }
    Ok(())
}

/// A job busy with one round of work for this long is stuck: one batch takes seconds, and a
/// job resting between rounds (at most [`MAX_IDLE`]) is never stuck.
pub const STALLED_AFTER: Duration = Duration::from_secs(5 * 60);

/// What each running job is doing, for the readiness probe.
#[derive(Clone)]
pub struct Liveness {
    rounds: Arc<Mutex<HashMap<&'static str, Round>>>,
    stalled_after: Duration,
}

#[derive(Clone, Copy)]
enum Round {
    /// Working on a round since then.
    Working(Instant),
    Resting,
}

impl Default for Liveness {
    fn default() -> Self {
        Liveness::new(STALLED_AFTER)
    }
}

impl Liveness {
    /// Jobs busy with one round for longer than `stalled_after` are stalled.
    pub fn new(stalled_after: Duration) -> Self {
        Liveness {
            rounds: Arc::default(),
            stalled_after,
        }
    }

    fn set(&self, job: &'static str, round: Round) {
        let mut rounds = self.rounds.lock().unwrap_or_else(PoisonError::into_inner);
        rounds.insert(job, round);
    }

    /// The jobs busy with one round for too long: hung on a call, or dead mid-round.
    pub fn stalled(&self) -> Vec<&'static str> {
        let rounds = self.rounds.lock().unwrap_or_else(PoisonError::into_inner);
        let mut stalled: Vec<&'static str> = rounds
            .iter()
            .filter(|(_, round)| {
                matches!(round, Round::Working(since) if since.elapsed() > self.stalled_after)
            })
            .map(|(job, _)| *job)
            .collect();
        stalled.sort_unstable();
        stalled
    }
}

/// The running jobs of an instance; dropping it aborts them, [`Workers::shutdown`] stops them
/// gracefully.
pub struct Workers {
    tasks: Vec<JoinHandle<()>>,
    stop: watch::Sender<bool>,
    liveness: Liveness,
}

impl Workers {
    /// Jobs spawned here report to `liveness`.
    pub fn new(liveness: Liveness) -> Self {
        Workers {
            tasks: Vec::new(),
            stop: watch::channel(false).0,
            liveness,
        }
    }

    /// Runs `job` until the workers stop.
    pub fn spawn(&mut self, job: impl Job, wake: Wake) {
        let stop = Stop(self.stop.subscribe());
        let liveness = self.liveness.clone();
        self.tasks
            .push(tokio::spawn(run(job, wake, stop, liveness)));
    }

    /// Asks every job to stop after the item in hand, and waits (at most `grace`).
    pub async fn shutdown(mut self, grace: Duration) {
        let _ = self.stop.send(true);
        let tasks = std::mem::take(&mut self.tasks);
        let all = async {
            for task in tasks {
                let _ = task.await;
            }
        };
        if tokio::time::timeout(grace, all).await.is_err() {
            tracing::warn!("background jobs did not stop within the grace period");
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

async fn run(job: impl Job, wake: Wake, mut stop: Stop, liveness: Liveness) {
    while !stop.requested() {
        liveness.set(job.name(), Round::Working(Instant::now()));
        let ran = job
            .run_due(&stop)
            .instrument(tracing::info_span!("job", job = job.name()))
            .await;
        let idle = match ran {
            Ok(Ran::FullBatch) => continue,
            Ok(Ran::Caught) => match job.next_due().await {
                Ok(Some(due)) => (due - Utc::now())
                    .to_std()
                    .unwrap_or_default()
                    .min(MAX_IDLE),
                Ok(None) => MAX_IDLE,
                Err(error) => {
                    tracing::error!(job = job.name(), %error, "cannot read the job's schedule");
                    RETRY_AFTER
                }
            },
            Err(error) => {
                tracing::error!(job = job.name(), %error, "job failed; retrying");
                RETRY_AFTER
            }
        };
        liveness.set(job.name(), Round::Resting);
        tokio::select! {
            () = tokio::time::sleep(idle) => {}
            () = wake.0.notified() => {}
            () = stop.wait() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_busy_too_long_is_stalled_and_a_resting_one_never() {
        let liveness = Liveness::default();
        let long_ago = Instant::now() - STALLED_AFTER - Duration::from_secs(1);
        liveness.set("mail", Round::Resting);
        liveness.set("retirement", Round::Working(Instant::now()));
        assert!(liveness.stalled().is_empty());
        liveness.set("retirement", Round::Working(long_ago));
        assert_eq!(liveness.stalled(), ["retirement"]);
        liveness.set("retirement", Round::Resting);
        assert!(liveness.stalled().is_empty(), "it finished its round");
    }

    #[tokio::test]
    async fn a_heartbeat_renews_until_dropped() {
        let beats = Arc::new(AtomicUsize::new(0));
        let counted = beats.clone();
        let heartbeat = Heartbeat::start(Duration::from_millis(20), move || {
            let counted = counted.clone();
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        });
        for _ in 0..500 {
            if beats.load(Ordering::SeqCst) >= 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        drop(heartbeat);
        let seen = beats.load(Ordering::SeqCst);
        assert!(seen >= 2, "{seen} beats");
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(beats.load(Ordering::SeqCst), seen, "none after the drop");
    }

    #[tokio::test]
    async fn stopping_releases_the_claims_not_started() {
        let (stop_sender, stop_receiver) = watch::channel(false);
        let stop = Stop(stop_receiver);
        let released = Arc::new(Mutex::new(Vec::new()));
        let seen = released.clone();
        let mut worked = Vec::new();
        work_through(
            vec![1, 2, 3, 4],
            |item| *item,
            Some(&stop),
            move |ids: Vec<i32>, at| {
                if at.is_none() {
                    seen.lock().unwrap().extend(ids);
                }
                async { Ok(()) }
            },
            |item| {
                worked.push(item);
                if item == 2 {
                    let _ = stop_sender.send(true);
                }
                async { Ok(()) }
            },
        )
        .await
        .unwrap();
        assert_eq!(worked, [1, 2]);
        assert_eq!(*released.lock().unwrap(), [3, 4]);
    }

    #[tokio::test]
    async fn a_failed_item_releases_the_claims_after_it() {
        let released = Arc::new(Mutex::new(Vec::new()));
        let seen = released.clone();
        let outcome = work_through(
            vec![1, 2, 3, 4],
            |item| *item,
            None,
            move |ids: Vec<i32>, at| {
                if at.is_none() {
                    seen.lock().unwrap().extend(ids);
                }
                async { Ok(()) }
            },
            |item| async move {
                if item == 2 {
                    Err(crate::error::Error::conflict("the registry is down"))
                } else {
                    Ok(())
                }
            },
        )
        .await;
        assert!(outcome.is_err(), "the failure is reported");
        assert_eq!(*released.lock().unwrap(), [3, 4]);
    }
}
