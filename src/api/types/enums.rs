//! The domain's enums as GraphQL enums (async-graphql's `remote` derives the conversions both
//! ways), so the domain stays free of GraphQL.

use async_graphql::Enum;

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::fuel::FuelType")]
pub enum FuelType {
    JetA,
    JetA1,
    JetB,
    #[graphql(name = "AVGAS_100LL")]
    Avgas100ll,
}

/// SAF production pathways with CORSIA default life-cycle values.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::fuel::SafPathway")]
pub enum SafPathway {
    FtMunicipalSolidWaste,
    FtAgriculturalResidues,
    FtForestryResidues,
    HefaUsedCookingOil,
    HefaCornOil,
    HefaTallow,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::catalog::AircraftCategory")]
pub enum AircraftCategory {
    Turboprop,
    VeryLightJet,
    LightJet,
    MidsizeJet,
    SuperMidsizeJet,
    LargeJet,
    UltraLongRangeJet,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::catalog::EngineType")]
pub enum EngineType {
    Turboprop,
    Jet,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::provisions::ProvisionStatus")]
pub enum ProvisionStatus {
    PendingPayment,
    Confirmed,
    Retired,
    Cancelled,
    Expired,
    Failed,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::provisions::Billing")]
pub enum Billing {
    /// Paid through the hosted checkout.
    Checkout,
    /// Billed on the organization's monthly invoice.
    Invoice,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::certificates::CertificateStatus")]
pub enum CertificateStatus {
    Pending,
    Issued,
    Void,
}

/// How far an emission's net CO2 is offset, judged on the offset rounded to the gram.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::accounting::offsets::OffsetStatus")]
pub enum OffsetStatus {
    NotOffset,
    PartiallyOffset,
    Offset,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::payments::PaymentStatus")]
pub enum PaymentStatus {
    /// The checkout is open, or an asynchronous payment has not settled yet.
    Pending,
    /// Paid: the credits are allocated and being retired.
    Succeeded,
    /// The payment method failed; the credits were released.
    Failed,
    /// The customer gave up; the credits were released.
    Cancelled,
    /// The checkout closed unpaid; the credits were released.
    Expired,
    /// Paid, then refunded.
    Refunded,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::payments::RetirementStatus")]
pub enum RetirementStatus {
    /// Nothing is retired before the payment succeeds.
    NotStarted,
    /// Paid: the registry is retiring the credits.
    Pending,
    /// The credits are retired and the certificate issued.
    Retired,
    /// Nothing will be retired: no credits were left for a late payment (refunded), or the
    /// payment was refunded before retirement.
    Failed,
}
