//! The GraphQL schema: domain roots merged into one, plus shared types and the error-code
//! extension.

pub mod context;
pub mod guard;
pub mod node;
pub mod pagination;

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{
    EmptySubscription, ErrorExtensionValues, MergedObject, Response, Schema, SchemaBuilder,
    ServerError, ServerResult, SimpleObject, ValidationResult, Variables,
};
use rust_decimal::Decimal;
use sea_orm::DatabaseConnection;

use crate::config::Config;
use crate::provisions::retirement::Retirements;
use crate::units;

#[derive(MergedObject, Default)]
pub struct Query(
    node::NodeQuery,
    crate::catalog::graphql::CatalogQuery,
    crate::credits::graphql::CreditsQuery,
    crate::fleet::graphql::FleetQuery,
    crate::emissions::graphql::EmissionsQuery,
    crate::provisions::graphql::ProvisionsQuery,
    crate::certificates::graphql::CertificatesQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    crate::fleet::graphql::FleetMutation,
    crate::emissions::graphql::EmissionsMutation,
    crate::provisions::graphql::ProvisionsMutation,
);

pub type ContrailSchema = Schema<Query, Mutation, EmptySubscription>;

fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription).extension(ErrorCodes)
}

pub fn build(
    db: DatabaseConnection,
    config: Arc<Config>,
    retirements: Retirements,
) -> ContrailSchema {
    let guard = guard::RequestGuard {
        limits: config.query_limits,
        shape: Arc::new(guard::SchemaShape::from_sdl(&sdl())),
    };
    let builder = builder().extension(guard);
    let builder = if config.is_development() {
        builder
    } else {
        builder.disable_introspection()
    };
    builder.data(db).data(config).data(retirements).finish()
}

/// The schema in SDL: what `contrail schema` prints and `schema.graphql` holds.
pub fn sdl() -> String {
    builder().finish().sdl()
}

/// An amount of money in major units of its ISO 4217 currency.
#[derive(SimpleObject)]
#[graphql(name = "Money")]
pub struct MoneyObject {
    /// Major units, e.g. `"262.50"`.
    pub amount: Decimal,
    /// ISO 4217 code, e.g. `"USD"`.
    pub currency: String,
}

impl From<units::Money> for MoneyObject {
    fn from(money: units::Money) -> Self {
        MoneyObject {
            amount: money.amount(),
            currency: money.currency.code().to_owned(),
        }
    }
}

/// Gives every error an `extensions.code`. Resolver errors carry theirs already (see
/// `crate::error`); this labels the ones async-graphql raises itself.
struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodes)
    }
}

/// Labels an error async-graphql raised with `code`, names the input field a coercion message
/// points at, and cuts quoted input out of its message.
fn with_code(mut error: ServerError, code: &str) -> ServerError {
    let extensions = error
        .extensions
        .get_or_insert_with(ErrorExtensionValues::default);
    if extensions.get("code").is_some() {
        return error;
    }
    extensions.set("code", code);
    if let Some(field) = argument_field(&error.message) {
        extensions.set("field", field);
    }
    error.message = crate::error::shorten_quotes(&error.message);
    error
}

/// The input field of `Invalid value for argument "input.tailNumber", …`: the last named
/// segment of the path.
fn argument_field(message: &str) -> Option<String> {
    let path = message.split_once("argument \"")?.1.split('"').next()?;
    path.rsplit('.')
        .find(|segment| !segment.is_empty() && !segment.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_owned)
}

#[async_trait::async_trait]
impl Extension for ErrorCodes {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables)
            .await
            .map_err(|error| with_code(error, "GRAPHQL_PARSE_FAILED"))
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|error| with_code(error, "GRAPHQL_VALIDATION_FAILED"))
                .collect()
        })
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        // Errors raised during execution without a code come from async-graphql coercing an
        // argument or variable to its input type: the client's input is at fault.
        response.errors = response
            .errors
            .into_iter()
            .map(|error| with_code(error, "BAD_USER_INPUT"))
            .collect();
        response
    }
}
