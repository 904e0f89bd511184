//! The mutation roots, merged into `Mutation` by [`super::schema`]. Each takes one `input`,
//! parses it into domain types, runs one domain operation and returns a payload.

pub mod emissions;
pub mod fleet;
pub mod payments;
pub mod provisions;
