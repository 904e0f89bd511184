//! API tests over real HTTP: one binary, a module per area.

mod fixtures;
mod helpers;
mod process;

mod batched_requests;
mod batching;
mod binary;
mod browser;
mod catalog;
mod certificates;
mod clients;
mod documents;
mod emissions;
mod estimates;
mod failover;
mod fleet;
mod hostile;
mod idempotency;
mod invoices;
mod isolation;
mod keys;
mod layout;
mod lifecycle;
mod linking;
mod openapi;
mod paging;
pub mod payments;
mod provisions;
mod rest;
mod rest_errors;
mod retries;
mod schema;
mod security;
mod smtp;
mod subscriptions;
mod transport;
