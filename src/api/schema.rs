//! The schema: the query, mutation and subscription roots, described.

use async_graphql::connection::{Connection, Edge, EmptyFields, PageInfo};
use async_graphql::{MergedObject, SDLExportOptions, Schema, SchemaBuilder};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::executor::GraphQL;
use super::guard::{RequestGuard, SchemaShape};
use super::pagination::{Cursor, Paginated};
use super::queries::airports::AirportCount;
use super::subscriptions::SubscriptionRoot;
use super::types::aircraft::AircraftNode;
use super::types::airport::AirportNode;
use super::types::emission::EmissionNode;
use super::types::payment::PaymentNode;
use super::types::provision::ProvisionNode;
use super::{mutations, node, queries};
use crate::app::App;

/// What can be read. The reference data (`aircraftModels`, `airports`, `listings`,
/// `certificate`) is public; everything else is your organization's and needs your API key
/// (`Authorization: Bearer ctr_…`; without it: `UNAUTHENTICATED`).
#[derive(MergedObject, Default)]
pub struct Query(
    node::NodeQuery,
    queries::catalog::CatalogQuery,
    queries::airports::AirportsQuery,
    queries::credits::CreditsQuery,
    queries::fleet::FleetQuery,
    queries::emissions::EmissionsQuery,
    queries::provisions::ProvisionsQuery,
    queries::certificates::CertificatesQuery,
    queries::payments::PaymentsQuery,
);

/// What can be changed: each mutation takes one `input` and returns a payload, and needs your
/// API key. Every error carries `extensions.code` (`BAD_USER_INPUT` also
/// `extensions.field`, the input field at fault); bad input writes nothing. Any operation may
/// also answer `INTERNAL_SERVER_ERROR`.
#[derive(MergedObject, Default)]
pub struct Mutation(
    mutations::fleet::FleetMutation,
    mutations::emissions::EmissionsMutation,
    mutations::provisions::ProvisionsMutation,
    mutations::payments::PaymentsMutation,
);

pub(super) type ContrailSchema = Schema<Query, Mutation, SubscriptionRoot>;

fn builder() -> SchemaBuilder<Query, Mutation, SubscriptionRoot> {
    describe(Schema::build(
        Query::default(),
        Mutation::default(),
        SubscriptionRoot,
    ))
}

/// Describes the types whose descriptions async-graphql writes itself: the scalars (their
/// names, wire format and `@specifiedBy` stay the library's) and the connections.
fn describe(
    builder: SchemaBuilder<Query, Mutation, SubscriptionRoot>,
) -> SchemaBuilder<Query, Mutation, SubscriptionRoot> {
    macro_rules! lists {
        ($builder:expr, $($node:ty => $items:literal),* $(,)?) => {
            $builder$(
                .override_output_type_description::<Paginated<$node>>(concat!(
                    "A page of ", $items, ": `edges` (or just `nodes`) in the list's order, ",
                    "`pageInfo` to fetch the next or previous page, and `totalCount`."
                ))
                .override_output_type_description::<Edge<Cursor, $node, EmptyFields>>(concat!(
                    "An item of a page of ", $items, ", with its cursor."
                ))
            )*
        };
    }
    let builder = builder
        .override_output_type_description::<PageInfo>(
            "Where a page sits in its list. The next page: `first` with `after: endCursor`; the \
             previous page: `last` with `before: startCursor`.",
        )
        .override_output_type_description::<DateTime<Utc>>(
            "A date and time as an RFC 3339 string. Answers are in UTC, e.g. \
             `2026-12-02T10:15:00+00:00` (with fractional seconds when there are any); inputs \
             may use any offset, e.g. `2026-12-02T10:15:00Z` or `2026-12-02T11:15:00+01:00`.",
        )
        .override_output_type_description::<Decimal>(
            "An exact decimal number (no floating-point error) as a string, e.g. `\"2569.416\"`. \
             Each field gives its unit: masses in kilograms have 3 decimals, in tonnes 6, and \
             money amounts the decimals of their currency's minor unit (2 for USD). Figures are \
             computed at full precision and rounded once, half away from zero. As input send a \
             string (a JSON number is accepted too); more decimals than the field allows is \
             `BAD_USER_INPUT`.",
        );
    let builder = builder
        .override_output_type_description::<Connection<Cursor, AirportNode, AirportCount>>(
            "A page of airports: `edges` (or just `nodes`) in ICAO order, `pageInfo` to fetch \
             the next or previous page, and `totalCount`.",
        )
        .override_output_type_description::<Edge<Cursor, AirportNode, EmptyFields>>(
            "An item of a page of airports, with its cursor.",
        );
    lists!(builder,
        AircraftNode => "the organization's aircraft",
        EmissionNode => "emissions",
        ProvisionNode => "provisions",
        PaymentNode => "payments",
    )
}

/// The schema an application serves, behind its guard: introspection only in development.
pub fn build(app: &App) -> GraphQL {
    let guard = RequestGuard {
        limits: app.config.query_limits,
        shape: SchemaShape::from_sdl(&sdl()),
    };
    let builder = builder();
    // In production the schema is not for browsing: no introspection, and no "Did you mean
    // …?" in errors, which would give field names away one guess at a time.
    let builder = if app.config.is_development() {
        builder
    } else {
        builder.disable_introspection().disable_suggestions()
    };
    GraphQL::new(builder.data(app.clone()).finish(), guard)
}

/// The schema in SDL: what `contrail schema` prints and `schema.graphql` holds, as served
/// (custom scalars keep their `@specifiedBy`).
pub fn sdl() -> String {
    builder()
        .finish()
        .sdl_with_options(SDLExportOptions::new().include_specified_by())
}
