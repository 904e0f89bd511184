//! `TestApp`: the real server on an ephemeral port over a fresh database (a SQLite file, or a
//! PostgreSQL database created for the test and dropped afterwards), with two organizations
//! and a counter of the SQL statements it runs.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use contrail::app::App;
use contrail::config::{Config, Mode};
use contrail::payments::gateway::PaymentGateway;
use contrail::provisions::registry::Registry;

use crate::smtp::SmtpSink;
use contrail::units::FeeBps;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};
use tokio::sync::oneshot;

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named scenario (an `async fn(TestApp)`) as two tests: on SQLite, and on
/// PostgreSQL when `TEST_DATABASE_URL` is set (listed as ignored, with the reason, otherwise).
/// `options = f;` first starts the apps with `f()`, a function of the calling module.
#[macro_export]
macro_rules! on_both_databases {
    (options = $options:ident; $($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            #[tokio::test]
            async fn sqlite() {
                let app = $crate::helpers::TestApp::spawn_with($crate::helpers::Backend::Sqlite, super::$options()).await;
                super::$scenario(app).await;
            }

            #[tokio::test]
            #[cfg_attr(not(postgres_tests), ignore = "PostgreSQL skipped: TEST_DATABASE_URL is not set")]
            async fn postgres() {
                let app = $crate::helpers::TestApp::spawn_with($crate::helpers::Backend::Postgres, super::$options()).await;
                super::$scenario(app).await;
            }
        }
    )*};
    ($($scenario:ident),* $(,)?) => {
        $crate::on_both_databases!(options = default_options; $($scenario),*);
        #[allow(dead_code)]
        fn default_options() -> $crate::helpers::Options {
            $crate::helpers::Options::default()
        }
    };
}

pub struct TestApp {
    pub address: String,
    pub db: DatabaseConnection,
    /// The application the server runs, as the test assembled it.
    pub app: App,
    /// Receives every e-mail the server sends.
    pub smtp: SmtpSink,
    /// API keys of two unrelated organizations.
    pub key_a: String,
    pub key_b: String,
    pub org_a: contrail::ids::OrganizationId,
    client: reqwest::Client,
    statements: Arc<Mutex<Vec<String>>>,
    _database: TestDatabase,
    _shutdown: oneshot::Sender<()>,
}

/// Another server instance on a test app's database.
pub struct Instance {
    pub address: String,
    _shutdown: oneshot::Sender<()>,
}

/// Options a test may change before the server starts.
pub struct Options {
    pub fee: FeeBps,
    pub mode: Mode,
    pub retirement_delay: std::time::Duration,
    pub http_limits: contrail::config::HttpLimits,
    pub payments: contrail::config::PaymentsConfig,
    pub security: contrail::config::Security,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            fee: FeeBps::default(),
            mode: Mode::Development,
            retirement_delay: std::time::Duration::ZERO,
            http_limits: Default::default(),
            payments: contrail::config::PaymentsConfig {
                // "Pay later" settles quickly in tests.
                double_settle_delay: std::time::Duration::from_millis(500),
                ..Default::default()
            },
            // Tests send bursts from one address with one key; the rate-limit tests set
            // their own limits.
            security: contrail::config::Security {
                rate_limits: contrail::config::RateLimits {
                    per_key: std::num::NonZeroU32::new(100_000).unwrap(),
                    per_address: std::num::NonZeroU32::new(100_000).unwrap(),
                    burst_secs: std::num::NonZeroU32::new(10).unwrap(),
                },
                ..Default::default()
            },
        }
    }
}

/// Assembles a [`TestApp`]: options, and fakes injected into the application.
pub struct TestAppBuilder {
    backend: Backend,
    options: Options,
    registry: Option<Arc<dyn Registry>>,
    gateway: Option<Arc<dyn PaymentGateway>>,
    stalled_after: Option<std::time::Duration>,
}

impl TestAppBuilder {
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// Retires credits through `registry` instead of the built-in local one.
    pub fn registry(mut self, registry: Arc<dyn Registry>) -> Self {
        self.registry = Some(registry);
        self
    }

    /// Takes payments through `gateway` instead of the built-in Stripe test double.
    pub fn gateway(mut self, gateway: Arc<dyn PaymentGateway>) -> Self {
        self.gateway = Some(gateway);
        self
    }

    /// Reports a background job busy with one round for longer than `after` as stalled.
    pub fn stalled_after(mut self, after: std::time::Duration) -> Self {
        self.stalled_after = Some(after);
        self
    }

    pub async fn spawn(self) -> TestApp {
        let TestAppBuilder {
            backend,
            options,
            registry,
            gateway,
            stalled_after,
        } = self;
        let smtp = SmtpSink::start().await;
        let PreparedDatabase {
            database,
            mut db,
            key_a,
            key_b,
            org_a,
        } = PreparedDatabase::create(backend).await;
        let statements: Arc<Mutex<Vec<String>>> = Arc::default();
        let recorder = statements.clone();
        db.set_metric_callback(move |info| {
            recorder.lock().unwrap().push(info.statement.sql.clone());
        });

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let local = listener.local_addr().unwrap();
        let address = format!("http://{local}");
        let config = Config {
            database_url: database.url().to_owned(),
            listen: local,
            public_url: address.clone(),
            mode: options.mode,
            fee: options.fee,
            estimate_validity: std::time::Duration::from_secs(24 * 60 * 60),
            retirement_delay: options.retirement_delay,
            query_limits: Default::default(),
            http_limits: options.http_limits,
            payments: options.payments,
            mail: contrail::config::MailSettings {
                smtp_url: Some(contrail::config::Secret::new(format!(
                    "smtp://{}",
                    smtp.address
                ))),
                from: "Contrail <no-reply@contrail.test>".into(),
            },
            security: options.security,
        };
        let mut app = App::builder(db.clone(), config);
        if let Some(registry) = registry {
            app = app.registry(registry);
        }
        if let Some(gateway) = gateway {
            app = app.gateway(gateway);
        }
        if let Some(after) = stalled_after {
            app = app.stalled_after(after);
        }
        let app = app.build().await.expect("the application assembles");
        let shutdown = start_server(listener, app.clone());
        TestApp {
            address,
            db,
            app,
            smtp,
            key_a,
            key_b,
            org_a,
            client: reqwest::Client::new(),
            statements,
            _database: database,
            _shutdown: shutdown,
        }
    }
}

/// Whether a statement is the API key lookup.
pub fn is_key_lookup(sql: &str) -> bool {
    sql.contains("api_keys")
}

/// A fresh database, migrated, with the demo supply and two organizations: what every server
/// under test starts from.
pub struct PreparedDatabase {
    pub database: TestDatabase,
    pub db: DatabaseConnection,
    pub key_a: String,
    pub key_b: String,
    pub org_a: contrail::ids::OrganizationId,
}

impl PreparedDatabase {
    pub async fn create(backend: Backend) -> PreparedDatabase {
        let database = TestDatabase::create(backend).await;
        let db = contrail::db::connect(database.url())
            .await
            .expect("connect to the test database");
        contrail::app::migrate(&db).await.expect("migrate");
        contrail::credits::seed_demo(&db)
            .await
            .expect("seed demo supply");
        let a = contrail::organizations::create(&db, "Alpha Charter")
            .await
            .expect("organization A");
        let b = contrail::organizations::create(&db, "Bravo Jets")
            .await
            .expect("organization B");
        PreparedDatabase {
            database,
            db,
            key_a: a.secret,
            key_b: b.secret,
            org_a: a.organization_id,
        }
    }
}

impl TestApp {
    pub fn builder(backend: Backend) -> TestAppBuilder {
        TestAppBuilder {
            backend,
            options: Options::default(),
            registry: None,
            gateway: None,
            stalled_after: None,
        }
    }

    pub async fn spawn(backend: Backend) -> TestApp {
        Self::builder(backend).spawn().await
    }

    pub async fn spawn_with(backend: Backend, options: Options) -> TestApp {
        Self::builder(backend).options(options).spawn().await
    }

    /// Starts another server instance on this app's database, as after a restart or behind a
    /// load balancer; it stops when the result is dropped.
    pub async fn start_another_instance(&self) -> Instance {
        self.start_another_instance_with(|_| {}).await
    }

    /// [`TestApp::start_another_instance`], its configuration first changed by `configure`
    /// (e.g. a production instance that runs trusted documents only).
    pub async fn start_another_instance_with(
        &self,
        configure: impl FnOnce(&mut Config),
    ) -> Instance {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut config = (*self.app.config).clone();
        configure(&mut config);
        config.listen = listener.local_addr().unwrap();
        let address = format!("http://{}", config.listen);
        let app = App::builder(self.db.clone(), config)
            .gateway(self.app.gateway.clone())
            .build()
            .await
            .expect("the application assembles");
        Instance {
            address,
            _shutdown: start_server(listener, app),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// POSTs a GraphQL request with an optional bearer key and returns the JSON body.
    pub async fn graphql_as(&self, key: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.expect("request reaches the server");
        response.json().await.expect("GraphQL responses are JSON")
    }

    /// As organization A.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        self.graphql_as(Some(&self.key_a), query, variables).await
    }

    /// As organization A, expecting success: returns `data`.
    pub async fn ok(&self, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// SQL statements run since the last call, apart from API key lookups (which a key
    /// checked in the last second skips, so their count depends on timing).
    pub fn take_statement_count(&self) -> u64 {
        self.take_statements()
            .iter()
            .filter(|sql| !is_key_lookup(sql))
            .count() as u64
    }

    /// The SQL of the statements run since the last call, in order.
    pub fn take_statements(&self) -> Vec<String> {
        std::mem::take(&mut *self.statements.lock().unwrap())
    }

    /// Rows in a table, straight from the database.
    pub async fn count_rows(&self, table: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get("", "n").unwrap()
    }

    /// Registers `tail` (model `E55P`) for organization A and returns its ID.
    pub async fn register(&self, tail: &str) -> String {
        let data = self
            .ok(
                "mutation($tail: String!) { registerAircraft(input: { tailNumber: $tail, modelCode: \"E55P\" }) { aircraft { id } } }",
                json!({ "tail": tail }),
            )
            .await;
        data["registerAircraft"]["aircraft"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

fn start_server(listener: tokio::net::TcpListener, app: App) -> oneshot::Sender<()> {
    let (shutdown, stopped) = oneshot::channel::<()>();
    tokio::spawn(contrail::serve(listener, app, async {
        let _ = stopped.await;
    }));
    shutdown
}

/// The first error's `extensions.code` (and `field`, if any).
pub fn error_code(body: &Value) -> (String, Option<String>) {
    let error = &body["errors"][0];
    assert!(!error.is_null(), "expected an error: {body:#}");
    let code = error["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let field = error["extensions"]["field"].as_str().map(str::to_owned);
    (code, field)
}

/// Sends `query` once per `(input, field)` case, with the case as `$input`, and asserts each is
/// a `BAD_USER_INPUT` naming `field`; returns the answers.
pub async fn assert_bad_inputs(app: &TestApp, query: &str, cases: &[(Value, &str)]) -> Vec<Value> {
    let mut answers = Vec::new();
    for (input, field) in cases {
        let body = app.graphql(query, json!({ "input": input })).await;
        assert_eq!(
            error_code(&body),
            ("BAD_USER_INPUT".to_owned(), Some((*field).to_owned())),
            "{input}"
        );
        answers.push(body);
    }
    answers
}

static NEXT_DATABASE: AtomicUsize = AtomicUsize::new(0);

pub enum TestDatabase {
    Sqlite {
        url: String,
        file: PathBuf,
    },
    Postgres {
        url: String,
        admin_url: String,
        name: String,
    },
}

impl TestDatabase {
    async fn create(backend: Backend) -> TestDatabase {
        let unique = format!(
            "contrail_test_{}_{}_{}",
            std::process::id(),
            NEXT_DATABASE.fetch_add(1, Ordering::SeqCst),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
                % 1_000_000
        );
        match backend {
            Backend::Sqlite => {
                let file = std::env::temp_dir().join(format!("{unique}.db"));
                TestDatabase::Sqlite {
                    url: format!("sqlite://{}?mode=rwc", file.display()),
                    file,
                }
            }
            Backend::Postgres => {
                let admin_url = std::env::var("TEST_DATABASE_URL").expect(
                    "TEST_DATABASE_URL must point at a PostgreSQL server for PostgreSQL tests",
                );
                let admin = sea_orm::Database::connect(&admin_url)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {unique}"))
                    .await
                    .unwrap();
                admin.close().await.unwrap();
                let url = replace_database(&admin_url, &unique);
                TestDatabase::Postgres {
                    url,
                    admin_url,
                    name: unique,
                }
            }
        }
    }
}

impl TestDatabase {
    pub fn url(&self) -> &str {
        match self {
            TestDatabase::Sqlite { url, .. } | TestDatabase::Postgres { url, .. } => url,
        }
    }
}

/// Swaps the database name of a PostgreSQL URL.
fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(base, query)| (base, Some(query)));
    let (server, _) = base
        .rsplit_once('/')
        .expect("a postgres:// URL with a database name");
    match query {
        Some(query) => format!("{server}/{database}?{query}"),
        None => format!("{server}/{database}"),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match self {
            TestDatabase::Sqlite { file, .. } => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
                }
            }
            // Runs even when the test panicked; on its own runtime, since Drop cannot await.
            TestDatabase::Postgres {
                admin_url, name, ..
            } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    runtime.block_on(async {
                        if let Ok(admin) = sea_orm::Database::connect(&admin_url).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                ))
                                .await;
                        }
                    });
                })
                .join();
            }
        }
    }
}
