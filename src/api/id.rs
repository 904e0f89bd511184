//! Global object identification: opaque IDs that name a type and a key.

use std::fmt::Display;

use async_graphql::ID;

use super::errors::{ApiError, ApiResult};
use crate::ids::{
    AircraftId, CertificateId, EmissionId, EstimateId, ListingId, PaymentId, ProjectId,
    ProvisionId, QuoteId,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    AircraftModel,
    Airport,
    CreditProject,
    Listing,
    Aircraft,
    EmissionEstimate,
    Emission,
    Provision,
    Certificate,
    Quote,
    Payment,
    Invoice,
}

impl NodeKind {
    const ALL: [NodeKind; 12] = [
        NodeKind::AircraftModel,
        NodeKind::Airport,
        NodeKind::CreditProject,
        NodeKind::Listing,
        NodeKind::Aircraft,
        NodeKind::EmissionEstimate,
        NodeKind::Emission,
        NodeKind::Provision,
        NodeKind::Certificate,
        NodeKind::Quote,
        NodeKind::Payment,
        NodeKind::Invoice,
    ];

    /// The GraphQL type the ID names.
    pub fn name(self) -> &'static str {
        match self {
            NodeKind::AircraftModel => "AircraftModel",
            NodeKind::Airport => "Airport",
            NodeKind::CreditProject => "CreditProject",
            NodeKind::Listing => "Listing",
            NodeKind::Aircraft => "Aircraft",
            NodeKind::EmissionEstimate => "EmissionEstimate",
            NodeKind::Emission => "Emission",
            NodeKind::Provision => "Provision",
            NodeKind::Certificate => "Certificate",
            NodeKind::Quote => "Quote",
            NodeKind::Payment => "Payment",
            NodeKind::Invoice => "Invoice",
        }
    }
}

pub fn encode(kind: NodeKind, key: impl Display) -> ID {
    ID(crate::ids::opaque(kind.name(), key))
}

/// The kind and key an ID names, if it is one of ours.
pub fn decode(id: &str) -> Option<(NodeKind, String)> {
    let (name, key) = crate::ids::reveal(id)?;
    let kind = NodeKind::ALL.into_iter().find(|kind| kind.name() == name)?;
    Some((kind, key))
}

/// An entity id with a global ID.
pub trait GlobalId: Sized {
    const KIND: NodeKind;
    fn key(self) -> i64;
    fn from_key(key: i64) -> Self;

    fn to_id(self) -> ID {
        encode(Self::KIND, self.key())
    }
}

macro_rules! global_ids {
    ($($id:ident => $kind:ident),* $(,)?) => {$(
        impl GlobalId for $id {
            const KIND: NodeKind = NodeKind::$kind;
            fn key(self) -> i64 {
                self.0
            }
            fn from_key(key: i64) -> Self {
                $id(key)
            }
        }
    )*};
}

global_ids! {
    ProjectId => CreditProject,
    ListingId => Listing,
    AircraftId => Aircraft,
    EstimateId => EmissionEstimate,
    EmissionId => Emission,
    ProvisionId => Provision,
    CertificateId => Certificate,
    QuoteId => Quote,
    PaymentId => Payment,
}

/// The id an ID names, if it is of type `T`; anything else is bad input on `field`.
pub fn parse<T: GlobalId>(id: &ID, field: &'static str) -> ApiResult<T> {
    decode(id)
        .filter(|(kind, _)| *kind == T::KIND)
        .and_then(|(_, key)| key.parse().ok())
        .map(T::from_key)
        .ok_or_else(|| ApiError::bad_input(field, format!("is not a valid {} ID", T::KIND.name())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_check_their_kind() {
        let id = EmissionId(42).to_id();
        assert_eq!(parse::<EmissionId>(&id, "id").unwrap(), EmissionId(42));
        assert!(parse::<AircraftId>(&id, "id").is_err());
        assert!(parse::<EmissionId>(&ID("garbage!".into()), "id").is_err());
    }
}
