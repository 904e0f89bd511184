//! A fresh database per test: a SQLite file, or a PostgreSQL database created on the server of
//! `TEST_DATABASE_URL`; either is removed when the test ends, even if it failed.

use std::path::PathBuf;

use sea_orm::{ConnectionTrait, DatabaseConnection};

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

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
    pub async fn create(backend: Backend) -> TestDatabase {
        let unique = format!(
            "contrail_stripe_double_{}",
            crate::stripe_double::new_id("").unwrap().to_lowercase()
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
                let admin_url = std::env::var("TEST_DATABASE_URL")
                    .expect("TEST_DATABASE_URL must point at a PostgreSQL server");
                let admin = sea_orm::Database::connect(&admin_url).await.unwrap();
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {unique}"))
                    .await
                    .unwrap();
                admin.close().await.unwrap();
                let (base, query) = admin_url
                    .split_once('?')
                    .map_or((admin_url.as_str(), None), |(base, query)| {
                        (base, Some(query))
                    });
                let (server, _) = base.rsplit_once('/').unwrap();
                let url = match query {
                    Some(query) => format!("{server}/{unique}?{query}"),
                    None => format!("{server}/{unique}"),
                };
                TestDatabase::Postgres {
                    url,
                    admin_url,
                    name: unique,
                }
            }
        }
    }

    /// A new connection pool, as another instance of the server would have.
    pub async fn connect(&self) -> DatabaseConnection {
        let (TestDatabase::Sqlite { url, .. } | TestDatabase::Postgres { url, .. }) = self;
        crate::db::connect(url).await.unwrap()
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
            // Drop cannot await: on a runtime of its own, in a thread of its own.
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
                            let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                            let _ = admin.execute_unprepared(&drop).await;
                        }
                    });
                })
                .join();
            }
        }
    }
}
