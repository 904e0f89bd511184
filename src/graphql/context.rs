//! What a resolver can reach: the database, configuration, the caller and the request's
//! DataLoader.

use std::sync::Arc;

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, HashMapCache};
use sea_orm::DatabaseConnection;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::organizations::OrganizationId;
use crate::provisions::retirement::Retirements;

/// Who is calling, resolved from the `Authorization` header before execution.
#[derive(Debug, Clone, Copy)]
pub enum Viewer {
    Anonymous,
    InvalidKey,
    Organization(OrganizationId),
}

/// Batches lookups of one request; created per request so nothing is cached across callers.
pub struct DbLoader {
    pub db: DatabaseConnection,
}

/// The request's loader; its cache is what makes preloading a page's relations pay off.
pub type Loaders = DataLoader<DbLoader, HashMapCache>;

pub trait ContextExt {
    fn db(&self) -> &DatabaseConnection;
    fn config(&self) -> &Config;
    fn loader(&self) -> &Loaders;
    fn retirements(&self) -> &Retirements;
    /// The caller's organization, or `UNAUTHENTICATED`.
    fn organization(&self) -> Result<OrganizationId>;
}

impl ContextExt for Context<'_> {
    fn db(&self) -> &DatabaseConnection {
        self.data_unchecked::<DatabaseConnection>()
    }

    fn config(&self) -> &Config {
        self.data_unchecked::<Arc<Config>>()
    }

    fn loader(&self) -> &Loaders {
        self.data_unchecked::<Loaders>()
    }

    fn retirements(&self) -> &Retirements {
        self.data_unchecked::<Retirements>()
    }

    fn organization(&self) -> Result<OrganizationId> {
        match self
            .data_opt::<Viewer>()
            .copied()
            .unwrap_or(Viewer::Anonymous)
        {
            Viewer::Organization(id) => Ok(id),
            Viewer::Anonymous => Err(Error::Unauthenticated(
                "an API key is required: send `Authorization: Bearer ctr_…`",
            )),
            Viewer::InvalidKey => Err(Error::Unauthenticated("the API key is not valid")),
        }
    }
}
