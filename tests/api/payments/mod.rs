//! Hosted checkout, quotes and payments (SPEC §6, §7).

mod access;
mod checkout;
mod failures;
mod holds;
pub mod support;
mod webhooks;
