//! Database connections and write transactions, for SQLite and PostgreSQL alike.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tracing::Instrument;

use sea_orm::sea_query::extension::postgres::PgFunc;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SimpleExpr};
use sea_orm::sqlx::pool::PoolConnectionMetadata;
use sea_orm::sqlx::postgres::PgConnection;
use sea_orm::sqlx::sqlite::{SqliteConnection, SqliteJournalMode, SqliteSynchronous};
use sea_orm::sqlx::{self, Connection as _};
use sea_orm::{
    ColumnTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection,
    DatabaseTransaction, DbBackend, DbErr, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};

mod sqlite_memory;

/// SQLite has one writer at a time: a few connections serve concurrent WAL readers, more only
/// queue on the write lock.
const SQLITE_POOL_SIZE: u32 = 8;
/// Enough for two cores' worth of request handlers, without starving other instances sharing
/// the server's `max_connections` (100 by default).
const POSTGRES_POOL_SIZE: u32 = 16;
/// Background jobs' own pool: one connection per job, so a surge of requests cannot delay a
/// lease renewal (which would let another instance take work still in hand).
const JOBS_POOL_SIZE: u32 = 4;
/// How long a SQLite writer waits for the lock before failing.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// Rows a SQLite connection's thread may hand over before the reader takes them. Once sqlx's
/// buffer (50 rows) is full, every row the reader takes wakes the thread for one more: a page of
/// 100 emissions cost 128 thread switches instead of 40. A page (at most 101 rows) and its
/// relations fit in this one.
const SQLITE_ROW_BUFFER: usize = 1024;
/// How long after its last use a PostgreSQL connection is taken to be still open (as HikariCP's
/// `aliveBypassWindowMs`, 500 ms by default).
const RECENTLY_USED: Duration = Duration::from_millis(500);

pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let size = if url.starts_with("sqlite:") {
        SQLITE_POOL_SIZE
    } else {
        POSTGRES_POOL_SIZE
    };
    connect_with(url, size).await
}

/// The background jobs' pool.
pub async fn connect_for_jobs(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, JOBS_POOL_SIZE).await
}

tokio::task_local! {
    /// The statements of the request being served, for its `statements per request` figure.
    static STATEMENTS: Arc<AtomicU32>;
}

/// Runs `future` counting the SQL statements it runs (and those of the loaders it spawns
/// through [`in_current_request`]); the count is read from `counter` afterwards.
pub async fn counting_statements<F: Future>(counter: Arc<AtomicU32>, future: F) -> F::Output {
    STATEMENTS.scope(counter, future).await
}

/// `future`, to be spawned, still counted and traced as part of the current request.
pub fn in_current_request<F>(future: F) -> impl Future<Output = F::Output> + Send + 'static
where
    F: Future + Send + 'static,
    F::Output: Send,
{
    let counter = STATEMENTS.try_with(Arc::clone).ok();
    let future = future.instrument(tracing::Span::current());
    async move {
        match counter {
            Some(counter) => STATEMENTS.scope(counter, future).await,
            None => future.await,
        }
    }
}

/// Called by SeaORM after every statement (a caller replacing the callback calls it too).
pub fn observe_statement(info: &sea_orm::metric::Info<'_>) {
    metrics::histogram!("contrail_db_statement_duration_seconds")
        .record(info.elapsed.as_secs_f64());
    let _ = STATEMENTS.try_with(|counter| counter.fetch_add(1, Ordering::Relaxed));
}

async fn connect_with(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    if url.starts_with("sqlite:")
        && let Err(refused) = sqlite_memory::configure()
    {
        tracing::warn!("{refused}");
    }
    let mut options = ConnectOptions::new(url);
    options
        .sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(30))
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true)
                .row_buffer_size(SQLITE_ROW_BUFFER)
        })
        // Every wait for a connection becomes an event `telemetry` turns into a histogram.
        .map_sqlx_sqlite_pool_opts(|opts| {
            opts.acquire_time_level(log::LevelFilter::Trace)
                // A SQLite connection is a thread of this process, with no peer to hang up:
                // sqlx's ping before each use would only be a round trip to that thread.
                .test_before_acquire(false)
                .after_connect(|connection, _| Box::pin(keep_plans(connection)))
        })
        .map_sqlx_postgres_pool_opts(|opts| {
            opts.acquire_time_level(log::LevelFilter::Trace)
                .test_before_acquire(false)
                .before_acquire(|connection, held| Box::pin(alive(connection, held)))
        })
        .max_connections(max_connections);
    let mut db = Database::connect(options).await?;
    db.set_metric_callback(observe_statement);
    Ok(db)
}

/// Whether an idle PostgreSQL connection may be handed out: one used within the last
/// [`RECENTLY_USED`] is; an older one must answer a ping first (the server may have closed it
/// meanwhile), else the pool replaces it. sqlx pings before every use by default: a round trip
/// to the server for each statement a request runs.
async fn alive(
    connection: &mut PgConnection,
    held: PoolConnectionMetadata,
) -> Result<bool, sqlx::Error> {
    if held.idle_for >= RECENTLY_USED {
        connection.ping().await?;
    }
    Ok(true)
}

/// Makes a SQLite connection keep each statement's plan whatever values are bound to it (the
/// query planner stability guarantee). Without it, a statement whose plan read a bound value is
/// compiled again on every run with a new one, and SQLite reads a `LIMIT ?`, which SeaORM binds
/// for every `LIMIT`, `one()` included: 7 % of the server's CPU on the reads bench.
async fn keep_plans(connection: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    use libsqlite3_sys::{SQLITE_DBCONFIG_ENABLE_QPSG, SQLITE_OK, sqlite3_db_config};
    let mut handle = connection.lock_handle().await?;
    // SAFETY: the handle is an open connection, held locked by this task for the call;
    // ENABLE_QPSG takes an int (1: on) and an int pointer to report the setting back, which
    // may be null.
    let status = unsafe {
        sqlite3_db_config(
            handle.as_raw_handle().as_ptr(),
            SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as std::ffi::c_int,
            std::ptr::null_mut::<std::ffi::c_int>(),
        )
    };
    if status == SQLITE_OK {
        Ok(())
    } else {
        Err(sqlx::Error::Configuration(
            format!("SQLite refused the query planner stability guarantee (code {status})").into(),
        ))
    }
}

/// Starts a transaction that writes. On SQLite it takes the write lock at `BEGIN`, so two
/// writers queue on the busy timeout instead of failing when a read lock would need upgrading.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    if db.get_database_backend() == DbBackend::Sqlite {
        db.begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await
    } else {
        db.begin().await
    }
}

/// `column` is one of `ids`, in one SQL text whatever their number, so the statement is
/// prepared once and its plan reused (a list of placeholders would make a new text for each
/// length): `= ANY($1)` with an array on PostgreSQL, a JSON array on SQLite.
pub fn any_of(
    backend: DbBackend,
    column: impl ColumnTrait,
    ids: impl IntoIterator<Item = i64>,
) -> SimpleExpr {
    let ids: Vec<i64> = ids.into_iter().collect();
    if backend == DbBackend::Postgres {
        column.into_expr().eq(PgFunc::any(Expr::val(ids)))
    } else {
        let json = serde_json::to_string(&ids).expect("integers serialize");
        column.into_expr().in_subquery(
            Query::select()
                .column(Alias::new("value"))
                .from_function(
                    Func::cust(Alias::new("json_each")).arg(json),
                    Alias::new("ids"),
                )
                .to_owned(),
        )
    }
}

/// Whether a failed write broke a unique constraint (a conflict the client caused).
pub fn is_unique_violation(error: &DbErr) -> bool {
    matches!(
        error.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Makes transactions naming the same `key` run one after another (until this one ends), so
/// a check-then-insert on that key cannot interleave: a PostgreSQL advisory lock, shared by
/// every instance; on SQLite the write lock taken at `BEGIN` does it already.
pub async fn serialize_on(txn: &DatabaseTransaction, key: &str) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            [key.into()],
        ))
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::ffi::c_int;

    use libsqlite3_sys::{SQLITE_DBCONFIG_ENABLE_QPSG, SQLITE_OK, sqlite3_db_config};

    #[tokio::test]
    async fn sqlite_connections_keep_their_plans() {
        let db = super::connect_with("sqlite::memory:", 1).await.unwrap();
        let mut connection = db.get_sqlite_connection_pool().acquire().await.unwrap();
        let mut handle = connection.lock_handle().await.unwrap();
        let mut on: c_int = -1;
        // SAFETY: an open connection, held locked; -1 leaves the setting as it is and `on`
        // receives it.
        let status = unsafe {
            sqlite3_db_config(
                handle.as_raw_handle().as_ptr(),
                SQLITE_DBCONFIG_ENABLE_QPSG,
                -1 as c_int,
                &mut on as *mut c_int,
            )
        };
        assert_eq!((status, on), (SQLITE_OK, 1));
    }
}
