//! What a resolver can reach: the application, the caller and the request's DataLoader.

use async_graphql::Context;
use sea_orm::DatabaseConnection;

use super::errors::{ApiError, ApiResult};
use super::loaders::Loaders;
use crate::app::App;
use crate::config::Config;
use crate::ids::{OrganizationId, PaymentId};

/// Who is calling, resolved from the `Authorization` header before execution.
#[derive(Debug, Clone, Copy)]
pub enum Viewer {
    Anonymous,
    InvalidKey,
    Organization(OrganizationId),
    /// A customer's browser holding one payment's `clientSecret`: it may follow that payment
    /// and nothing else.
    Customer(PaymentId),
}

impl Viewer {
    /// The caller's organization, or `UNAUTHENTICATED` saying what is missing: what every
    /// operation on an organization's data asks first, in either API.
    pub fn organization(self) -> ApiResult<OrganizationId> {
        match self {
            Viewer::Organization(id) => Ok(id),
            Viewer::Anonymous => Err(ApiError::Unauthenticated(
                "an API key is required: send `Authorization: Bearer ctr_…`",
            )),
            Viewer::InvalidKey => Err(ApiError::Unauthenticated("the API key is not valid")),
            Viewer::Customer(_) => Err(ApiError::Unauthenticated(
                "a client secret only follows its payment; everything else needs an API key",
            )),
        }
    }
}

pub trait ContextExt {
    fn app(&self) -> &App;
    fn db(&self) -> &DatabaseConnection;
    fn config(&self) -> &Config;
    fn loader(&self) -> &Loaders;
    /// The caller's organization, or `UNAUTHENTICATED`.
    fn organization(&self) -> ApiResult<OrganizationId>;
    /// Whether the caller is this organization.
    fn is(&self, organization: OrganizationId) -> bool;
    fn viewer(&self) -> Viewer;
}

impl ContextExt for Context<'_> {
    fn app(&self) -> &App {
        self.data_unchecked::<App>()
    }

    fn db(&self) -> &DatabaseConnection {
        &self.app().db
    }

    fn config(&self) -> &Config {
        &self.app().config
    }

    fn loader(&self) -> &Loaders {
        self.data_unchecked::<Loaders>()
    }

    fn organization(&self) -> ApiResult<OrganizationId> {
        self.viewer().organization()
    }

    fn viewer(&self) -> Viewer {
        self.data_opt::<Viewer>()
            .copied()
            .unwrap_or(Viewer::Anonymous)
    }

    fn is(&self, organization: OrganizationId) -> bool {
        matches!(self.data_opt::<Viewer>(), Some(Viewer::Organization(id)) if *id == organization)
    }
}
