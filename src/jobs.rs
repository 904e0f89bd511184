//! A small runner for background work that lives in the database, so it survives restarts and
//! is shared by every instance: a [`Job`] claims what is due (on PostgreSQL with
//! `FOR UPDATE SKIP LOCKED`, so instances never take the same item) and does it. The runner
//! repeats while work is due, then sleeps until the next item falls due, a [`Wake`] arrives, or
//! [`MAX_IDLE`] passes (work scheduled by another instance is found then).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::error::Result;

/// The longest a job sleeps without looking for due work.
pub const MAX_IDLE: Duration = Duration::from_secs(30);
/// How long a job waits after a failure (a database outage, say) before trying again.
const RETRY_AFTER: Duration = Duration::from_secs(5);

/// What one run of a job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ran {
    /// A full batch: more may be due at once.
    FullBatch,
    /// Everything due was done (or is being done elsewhere).
    Caught,
}

#[async_trait::async_trait]
pub trait Job: Send + Sync + 'static {
    /// The job's name in logs.
    fn name(&self) -> &'static str;

    /// Claims and does one batch of the work due now.
    async fn run_due(&self) -> Result<Ran>;

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

/// The running jobs of an instance; dropping it stops them.
#[derive(Default)]
pub struct Workers(Vec<JoinHandle<()>>);

impl Workers {
    /// Runs `job` until the workers are dropped.
    pub fn spawn(&mut self, job: impl Job, wake: Wake) {
        self.0.push(tokio::spawn(run(job, wake)));
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

async fn run(job: impl Job, wake: Wake) {
    loop {
        let idle = match job.run_due().await {
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
        tokio::select! {
            () = tokio::time::sleep(idle) => {}
            () = wake.0.notified() => {}
        }
    }
}
