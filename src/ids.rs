//! The key of every entity as a type of its own, from the database column up: a provision's id
//! cannot be passed where an emission's is expected.

use sea_orm::DeriveValueType;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, DeriveValueType)]
        pub struct $name(pub i64);
    )*};
}

ids! {
    /// A tenant: every fleet, emission and provision belongs to one.
    OrganizationId;
    AircraftId;
    EstimateId;
    EmissionId;
    ProjectId;
    /// A listing is also the `assetPriceSourceId` of the checkout flow.
    ListingId;
    BatchId;
    ProvisionId;
    CertificateId;
}
