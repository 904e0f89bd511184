//! The GraphQL object types, one file each; they resolve related objects through the
//! request's DataLoader.

pub mod aircraft;
pub mod aircraft_model;
pub mod airport;
pub mod certificate;
pub mod emission;
pub mod enums;
pub mod estimate;
pub mod flight;
pub mod invoice;
pub mod listing;
pub mod money;
pub mod payment;
pub mod provision;
pub mod quote;
