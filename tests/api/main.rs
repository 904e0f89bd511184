//! API tests over real HTTP: one binary, a module per area.

mod helpers;

mod batching;
mod binary;
mod catalog;
mod emissions;
mod estimates;
mod fleet;
mod isolation;
mod schema;
mod transport;
