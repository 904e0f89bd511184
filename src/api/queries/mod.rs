//! The query roots, merged into `Query` by [`super::schema`].

pub mod airports;
pub mod catalog;
pub mod certificates;
pub mod credits;
pub mod emissions;
pub mod fleet;
pub mod payments;
pub mod provisions;
