//! All of GraphQL: the schema, its types, the loaders that batch their reads, the request
//! guard, and the one mapping of errors to `extensions.code`. Below it, the domains know
//! nothing of GraphQL.

pub mod context;
pub mod errors;
mod executor;
pub mod guard;
pub mod id;
pub mod inputs;
pub mod loaders;
pub mod mutations;
mod node;
mod observe;
pub mod pagination;
mod queries;
mod schema;
mod subscriptions;
mod types;

pub use executor::GraphQL;
pub use schema::{build, sdl};
