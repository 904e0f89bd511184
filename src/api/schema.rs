//! The schema: the query and mutation roots merged, the request guard and the error codes.

use std::sync::Arc;

use async_graphql::{MergedObject, Schema, SchemaBuilder};

use super::errors::ErrorCodes;
use super::guard::{RequestGuard, SchemaShape};
use super::subscriptions::SubscriptionRoot;
use super::{mutations, node, queries};
use crate::app::App;

#[derive(MergedObject, Default)]
pub struct Query(
    node::NodeQuery,
    queries::catalog::CatalogQuery,
    queries::credits::CreditsQuery,
    queries::fleet::FleetQuery,
    queries::emissions::EmissionsQuery,
    queries::provisions::ProvisionsQuery,
    queries::certificates::CertificatesQuery,
    queries::payments::PaymentsQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    mutations::fleet::FleetMutation,
    mutations::emissions::EmissionsMutation,
    mutations::provisions::ProvisionsMutation,
    mutations::payments::PaymentsMutation,
);

pub type ContrailSchema = Schema<Query, Mutation, SubscriptionRoot>;

fn builder() -> SchemaBuilder<Query, Mutation, SubscriptionRoot> {
    Schema::build(Query::default(), Mutation::default(), SubscriptionRoot).extension(ErrorCodes)
}

/// The schema an application serves: introspection only in development.
pub fn build(app: &App) -> ContrailSchema {
    let guard = RequestGuard {
        limits: app.config.query_limits,
        shape: Arc::new(SchemaShape::from_sdl(&sdl())),
    };
    let builder = builder().extension(guard);
    // In production the schema is not for browsing: no introspection, and no "Did you mean
    // …?" in errors, which would give field names away one guess at a time.
    let builder = if app.config.is_development() {
        builder
    } else {
        builder.disable_introspection().disable_suggestions()
    };
    builder.data(app.clone()).finish()
}

/// The schema in SDL: what `contrail schema` prints and `schema.graphql` holds.
pub fn sdl() -> String {
    builder().finish().sdl()
}
