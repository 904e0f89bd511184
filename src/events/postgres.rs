//! `NOTIFY` in the changing transaction, one `LISTEN`ing connection per instance.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement};

use super::Change;
use super::hub::Hub;
use crate::error::{Error, Result};
use crate::ids::{OrganizationId, PaymentId};

/// Channel names are case-sensitive (quoted).
const CHANNEL: &str = "contrail_payments";
/// How long to wait before listening again after the connection failed for good.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

pub(super) async fn notify(txn: &DatabaseTransaction, change: Change) -> Result<()> {
    let payload = format!("{}:{}", change.organization.0, change.payment.0);
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [CHANNEL.into(), payload.into()],
    ))
    .await?;
    Ok(())
}

fn parse(payload: &str) -> Option<Change> {
    let (organization, payment) = payload.split_once(':')?;
    Some(Change {
        organization: OrganizationId(organization.parse().ok()?),
        payment: PaymentId(payment.parse().ok()?),
    })
}

async fn connect(url: &str) -> Result<PgListener> {
    let mut listener = PgListener::connect(url).await.map_err(Error::internal)?;
    listener.listen(CHANNEL).await.map_err(Error::internal)?;
    Ok(listener)
}

/// Listens now, then keeps listening in the background for as long as the runtime runs.
pub(super) async fn listen(url: &str, hub: Arc<Hub>) -> Result<()> {
    let first = connect(url).await?;
    let url = url.to_owned();
    tokio::spawn(async move {
        let mut listener = Some(first);
        loop {
            let mut current = match listener.take() {
                Some(listener) => listener,
                None => match connect(&url).await {
                    Ok(listener) => {
                        tracing::info!("listening for changes again");
                        // Whatever was announced while no connection listened is lost.
                        hub.resync_all();
                        listener
                    }
                    Err(error) => {
                        tracing::warn!(%error, "cannot listen for changes; retrying");
                        tokio::time::sleep(RECONNECT_AFTER).await;
                        continue;
                    }
                },
            };
            loop {
                match current.try_recv().await {
                    Ok(Some(notification)) => match parse(notification.payload()) {
                        Some(change) => hub.dispatch(change),
                        None => tracing::warn!(
                            payload = notification.payload(),
                            "ignoring a malformed change notification"
                        ),
                    },
                    // The connection dropped and was re-established (listening again).
                    Ok(None) => {
                        tracing::warn!("the change listener reconnected; subscribers re-read");
                        hub.resync_all();
                    }
                    Err(error) => {
                        tracing::warn!(%error, "the change listener failed");
                        break;
                    }
                }
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_carry_ids_only() {
        assert_eq!(
            parse("3:42"),
            Some(Change {
                organization: OrganizationId(3),
                payment: PaymentId(42)
            })
        );
        assert_eq!(parse("3"), None);
        assert_eq!(parse("x:1"), None);
    }
}
