//! A `contrail serve` of its own for a bench: a fresh directory (and, with a PostgreSQL URL, a
//! fresh database), the rate limits lifted, its demo API key read from its first start. The
//! directory and the database are also what a bench that runs Contrail in-process starts from.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::ConnectionTrait;
use tokio::sync::mpsc;

pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type Result<T, E = Error> = std::result::Result<T, E>;

const STARTUP_DEADLINE: Duration = Duration::from_secs(60);
/// Requests per second, far above what a bench sends.
const UNLIMITED: &str = "1000000";

/// `contrail serve` in a fresh directory (and database), killed when dropped, a panic
/// included; its directory and database are removed after it.
pub struct Server {
    child: Child,
    pub port: u16,
    pub key: Arc<str>,
    _directory: ScratchDirectory,
    _database: Option<PostgresDatabase>,
}

impl Server {
    pub async fn start(postgres: Option<&str>) -> Result<Server> {
        let name = format!(
            "contrail_bench_{}_{}",
            std::process::id(),
            Utc::now().timestamp_micros()
        );
        let database = match postgres {
            Some(admin_url) => Some(PostgresDatabase::create(admin_url, &name).await?),
            None => None,
        };
        let directory = ScratchDirectory::create(std::env::temp_dir().join(&name))?;
        let port = free_port()?;
        let mut command = serve(&directory, port);
        command.stdout(Stdio::piped());
        if let Some(database) = &database {
            command.env("CONTRAIL_DATABASE_URL", &database.url);
        }
        let mut child = command.spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout from the server")?;
        let mut server = Server {
            child,
            port,
            key: Arc::from(""),
            _directory: directory,
            _database: database,
        };
        server.key = tokio::time::timeout(STARTUP_DEADLINE, demo_key(stdout))
            .await
            .map_err(|_| "the server printed no API key in time")??
            .into();
        server.wait_until_ready().await?;
        Ok(server)
    }

    /// `contrail serve` on a database another server prepared, whose API key is `key`.
    pub async fn attach(database_url: &str, key: Arc<str>) -> Result<Server> {
        let name = format!(
            "contrail_bench_attached_{}_{}",
            std::process::id(),
            Utc::now().timestamp_micros()
        );
        let directory = ScratchDirectory::create(std::env::temp_dir().join(&name))?;
        let port = free_port()?;
        let child = serve(&directory, port)
            .env("CONTRAIL_DATABASE_URL", database_url)
            .stdout(Stdio::null())
            .spawn()?;
        let server = Server {
            child,
            port,
            key,
            _directory: directory,
            _database: None,
        };
        server.wait_until_ready().await?;
        Ok(server)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/graphql", self.port)
    }

    pub fn graphql_url(&self) -> String {
        format!("http://127.0.0.1:{}/graphql", self.port)
    }

    async fn wait_until_ready(&self) -> Result<()> {
        let url = format!("http://127.0.0.1:{}/readyz", self.port);
        let deadline = Instant::now() + STARTUP_DEADLINE;
        while Instant::now() < deadline {
            if let Ok(response) = reqwest::get(&url).await
                && response.status() == reqwest::StatusCode::OK
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err("the server never became ready".into())
    }

    /// The server's resident memory (VmRSS), in MiB.
    pub fn rss_mib(&self) -> Result<f64> {
        self.memory_mib("VmRSS")
    }

    /// The most resident memory the server has had (VmHWM), in MiB.
    pub fn peak_rss_mib(&self) -> Result<f64> {
        self.memory_mib("VmHWM")
    }

    /// A figure of /proc/<pid>/status, in MiB.
    fn memory_mib(&self, field: &str) -> Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kib: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| format!("no {field} in /proc/<pid>/status"))?;
        Ok(kib / 1024.0)
    }
}

impl Server {
    /// CPU time the server has used so far (user and system), in seconds.
    pub fn cpu_secs(&self) -> Result<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))?;
        // Fields after the command name, which is in parentheses and may hold spaces.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .ok_or("no command in /proc/<pid>/stat")?
            .1
            .split_whitespace()
            .collect();
        let ticks = |index: usize| -> Result<f64> {
            Ok(fields
                .get(index)
                .ok_or("a short /proc/<pid>/stat")?
                .parse::<f64>()?)
        };
        // utime and stime are fields 14 and 15 of stat(5); 11 and 12 after the name.
        Ok((ticks(11)? + ticks(12)?) / CLOCK_TICKS_PER_SEC)
    }
}

/// `getconf CLK_TCK` on Linux.
const CLOCK_TICKS_PER_SEC: f64 = 100.0;

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// `contrail serve` in `directory`, listening on `port`, its rate limits lifted.
fn serve(directory: &ScratchDirectory, port: u16) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_contrail"));
    command
        .current_dir(&directory.0)
        .env_clear()
        .env("CONTRAIL_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        // Every simulated customer shares one address and the demo key here: the rate
        // limits, which keep one client from taking an instance, are not what is measured.
        .env("CONTRAIL_RATE_LIMIT_PER_ADDRESS", UNLIMITED)
        .env("CONTRAIL_RATE_LIMIT_PER_KEY", UNLIMITED)
        .stderr(Stdio::inherit());
    command
}

/// The demo organization's API key, which a fresh database's server prints once (after
/// "Created a demo organization"). Stdout is drained to the end, so the server never blocks
/// writing to it.
async fn demo_key(stdout: std::process::ChildStdout) -> Result<String> {
    let (lines, mut printed) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let mut announced = false;
    while let Some(line) = printed.recv().await {
        announced |= line.starts_with("Created a demo organization");
        let line = line.trim();
        if announced && line.starts_with("ctr_") {
            return Ok(line.to_owned());
        }
    }
    Err("the server exited without printing a demo API key".into())
}

/// A directory removed when dropped.
pub struct ScratchDirectory(PathBuf);

impl ScratchDirectory {
    pub fn create(path: PathBuf) -> Result<ScratchDirectory> {
        std::fs::create_dir_all(&path)?;
        Ok(ScratchDirectory(path))
    }
}

impl Drop for ScratchDirectory {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A database of its own on the PostgreSQL server, dropped when this is.
pub struct PostgresDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PostgresDatabase {
    pub async fn create(admin_url: &str, name: &str) -> Result<PostgresDatabase> {
        let admin = sea_orm::Database::connect(admin_url).await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        admin.close().await?;
        let (server, query) = match admin_url.split_once('?') {
            Some((base, query)) => (base, format!("?{query}")),
            None => (admin_url, String::new()),
        };
        let (server, _) = server
            .rsplit_once('/')
            .ok_or("BENCH_DATABASE_URL has no database name")?;
        Ok(PostgresDatabase {
            admin_url: admin_url.to_owned(),
            name: name.to_owned(),
            url: format!("{server}/{name}{query}"),
        })
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        // Drop cannot await, and blocking on the bench's own runtime would panic: a thread
        // with a runtime of its own.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let admin = sea_orm::Database::connect(&admin_url).await?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await?;
                Ok::<_, Error>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the bench database {}", self.name);
        }
    }
}
