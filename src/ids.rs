//! The key of every entity as a type of its own, from the database column up: a provision's id
//! cannot be passed where an emission's is expected.

use std::fmt::Display;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
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
    QuoteId;
    /// A payment through the hosted checkout; Stripe knows it as `client_reference_id`.
    PaymentId;
}

/// The opaque public form of an entity's id (`base64("Payment:42")`): what clients see, in
/// the GraphQL API and in the URLs it hands out.
pub fn opaque(kind: &str, key: impl Display) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{key}"))
}

/// The kind and key an opaque id names, if it is one.
pub fn reveal(id: &str) -> Option<(String, String)> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(id.trim()).ok()?).ok()?;
    let (kind, key) = raw.split_once(':')?;
    Some((kind.to_owned(), key.to_owned()))
}

impl PaymentId {
    /// How clients know the payment (its GraphQL `id`).
    pub fn opaque(self) -> String {
        opaque("Payment", self.0)
    }
}
