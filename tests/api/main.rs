//! API tests over real HTTP: one binary, a module per area.

mod fixtures;
mod helpers;
mod process;

mod batching;
mod binary;
mod browser;
mod catalog;
mod certificates;
mod emissions;
mod estimates;
mod failover;
mod fleet;
mod hostile;
mod invoices;
mod isolation;
mod layout;
mod lifecycle;
mod linking;
pub mod payments;
mod provisions;
mod retries;
mod schema;
mod smtp;
mod subscriptions;
mod transport;
