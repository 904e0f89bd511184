//! The double tested as Contrail uses it: over real HTTP, through async-stripe, with a webhook
//! receiver checking every delivery's signature with async-stripe's own verifier. Each scenario
//! runs on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set.

/// Runs each scenario (an `async fn(Backend)`) as a SQLite and a PostgreSQL test.
macro_rules! on_both_databases {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            #[tokio::test]
            async fn sqlite() {
                super::$scenario(super::Backend::Sqlite).await;
            }

            #[tokio::test]
            #[cfg_attr(not(postgres_tests), ignore = "PostgreSQL skipped: TEST_DATABASE_URL is not set")]
            async fn postgres() {
                super::$scenario(super::Backend::Postgres).await;
            }
        }
    )*};
}

mod api;
mod database;
mod flows;
mod instances;
mod receiver;

use std::collections::HashMap;
use std::ops::Deref;
use std::time::Duration;

use axum::http::StatusCode;
use sea_orm::DatabaseConnection;
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    ProductData,
};
use stripe_checkout::{CheckoutSession, CheckoutSessionMode};
use stripe_webhook::Event;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::{DoubleSettings, StripeDouble};
use crate::jobs::{Wake, Workers};
use database::{Backend, TestDatabase};
use receiver::Receiver;

const SECRET: &str = "sk_test_double";
const WEBHOOK_SECRET: &str = "whsec_test_double";
const SETTLE_DELAY: Duration = Duration::from_millis(200);
const SUCCESS_URL: &str = "https://shop.example/paid?session={CHECKOUT_SESSION_ID}";
const CANCEL_URL: &str = "https://shop.example/cart";

/// One server instance running the double: its HTTP server and its job.
struct Instance {
    base: String,
    stripe: stripe::Client,
    wake: Wake,
    _workers: Workers,
    server: JoinHandle<()>,
}

impl Instance {
    async fn start(db: DatabaseConnection, webhook_url: &str) -> Instance {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let double = StripeDouble::new(
            db.clone(),
            DoubleSettings {
                secret_key: SECRET.to_owned(),
                webhook_secret: WEBHOOK_SECRET.to_owned(),
                webhook_url: webhook_url.to_owned(),
                public_url: base.clone(),
                settle_delay: SETTLE_DELAY,
            },
        );
        let router = double.router();
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        let (job, wake) = double.job(db);
        let mut workers = Workers::new(Default::default());
        workers.spawn(job, wake.clone());
        Instance {
            stripe: stripe_client(&base, SECRET),
            base,
            wake,
            _workers: workers,
            server,
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A double on a fresh database, with a webhook receiver. Fields drop in order: the instance
/// stops before its database goes.
struct Harness {
    instance: Instance,
    /// A plain client that does not follow redirects, for the page's buttons.
    http: reqwest::Client,
    receiver: Receiver,
    db: DatabaseConnection,
    database: TestDatabase,
}

impl Deref for Harness {
    type Target = Instance;

    fn deref(&self) -> &Instance {
        &self.instance
    }
}

impl Harness {
    async fn start(backend: Backend) -> Harness {
        Harness::answering(backend, Vec::new()).await
    }

    /// A harness whose receiver first answers `statuses`, then 200.
    async fn answering(backend: Backend, statuses: Vec<StatusCode>) -> Harness {
        let receiver = Receiver::start(statuses).await;
        let database = TestDatabase::create(backend).await;
        let db = database.connect().await;
        crate::app::migrate(&db).await.unwrap();
        Harness {
            instance: Instance::start(db.clone(), &receiver.url).await,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            receiver,
            db,
            database,
        }
    }

    /// Another server instance on the same database, delivering to the same receiver.
    async fn another_instance(&self) -> Instance {
        Instance::start(self.database.connect().await, &self.receiver.url).await
    }

    async fn create_session(&self, request: CreateCheckoutSession) -> CheckoutSession {
        request.send(&self.stripe).await.unwrap()
    }

    /// Presses one of the page's buttons, on the page served by `instance`.
    async fn press_on(
        &self,
        instance: &Instance,
        session: &CheckoutSession,
        button: &str,
        email: &str,
    ) -> reqwest::Response {
        self.http
            .post(format!(
                "{}/checkout/{}/{button}",
                instance.base, session.id
            ))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("email={}", email.replace('@', "%40")))
            .send()
            .await
            .unwrap()
    }

    async fn press(
        &self,
        session: &CheckoutSession,
        button: &str,
        email: &str,
    ) -> reqwest::Response {
        self.press_on(&self.instance, session, button, email).await
    }
}

fn stripe_client(base: &str, secret: &str) -> stripe::Client {
    stripe::ClientBuilder::new(secret)
        .url(format!("{base}/_stripe/"))
        .build()
        .unwrap()
}

/// A session for one line of 2 × 19.99 EUR.
fn new_session() -> CreateCheckoutSession {
    let mut price = CreateCheckoutSessionLineItemsPriceData::new(stripe_types::Currency::EUR);
    price.unit_amount = Some(1999);
    price.product_data = Some(ProductData {
        description: Some("Direct air capture, 2026 vintage".to_owned()),
        ..ProductData::new("Carbon removal <1 t>")
    });
    let mut line = CreateCheckoutSessionLineItems::new();
    line.quantity = Some(2);
    line.price_data = Some(price);
    CreateCheckoutSession::new()
        .mode(CheckoutSessionMode::Payment)
        .line_items(vec![line])
        .success_url(SUCCESS_URL)
        .cancel_url(CANCEL_URL)
        .client_reference_id("payment-42")
        .metadata(HashMap::from([("order".to_owned(), "42".to_owned())]))
}

fn types(events: &[Event]) -> Vec<&str> {
    events.iter().map(|event| event.type_.as_str()).collect()
}
