//! The domain's enums as GraphQL enums (async-graphql's `remote` derives the conversions both
//! ways), so the domain stays free of GraphQL.

use async_graphql::Enum;

/// An aviation fuel, with its CORSIA fuel conversion factor (kg of CO2 per kg of fuel burned).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::fuel::FuelType")]
pub enum FuelType {
    /// Jet A kerosene: 3.16 kg CO2 per kg.
    JetA,
    /// Jet A-1 kerosene: 3.16 kg CO2 per kg.
    JetA1,
    /// Jet B (wide-cut): 3.10 kg CO2 per kg.
    JetB,
    /// Aviation gasoline 100LL, for piston engines: 3.10 kg CO2 per kg.
    #[graphql(name = "AVGAS_100LL")]
    Avgas100ll,
}

/// How a sustainable aviation fuel (SAF) was produced. Each pathway has a CORSIA default
/// life-cycle value (gCO2e/MJ): the lower it is, the more CO2 a blend saves.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::fuel::SafPathway")]
pub enum SafPathway {
    /// Fischer-Tropsch from municipal solid waste: 5.2 gCO2e/MJ.
    FtMunicipalSolidWaste,
    /// Fischer-Tropsch from agricultural residues: 7.7 gCO2e/MJ.
    FtAgriculturalResidues,
    /// Fischer-Tropsch from forestry residues: 8.3 gCO2e/MJ.
    FtForestryResidues,
    /// HEFA (hydroprocessed esters and fatty acids) from used cooking oil: 13.9 gCO2e/MJ.
    HefaUsedCookingOil,
    /// HEFA from corn oil: 17.2 gCO2e/MJ.
    HefaCornOil,
    /// HEFA from tallow: 22.5 gCO2e/MJ.
    HefaTallow,
}

/// The class of an aircraft type in the catalog.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::catalog::AircraftCategory")]
pub enum AircraftCategory {
    /// Turboprop, e.g. King Air 350.
    Turboprop,
    /// Very light jet, e.g. Phenom 100, Citation Mustang.
    VeryLightJet,
    /// Light jet, e.g. Phenom 300, Citation CJ4.
    LightJet,
    /// Midsize jet, e.g. Citation XLS.
    MidsizeJet,
    /// Super-midsize jet, e.g. Challenger 350.
    SuperMidsizeJet,
    /// Large jet, e.g. Falcon 7X.
    LargeJet,
    /// Ultra-long-range jet, e.g. Global 7500, G650.
    UltraLongRangeJet,
}

/// How an aircraft type is powered.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::catalog::EngineType")]
pub enum EngineType {
    /// Turboprop engines.
    Turboprop,
    /// Jet engines.
    Jet,
}

/// Where a provision is in its lifecycle.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::provisions::ProvisionStatus")]
pub enum ProvisionStatus {
    /// Its credits are held for a hosted checkout that is not paid yet.
    PendingPayment,
    /// Its credits are allocated (it counts as an offset); retirement follows.
    Confirmed,
    /// Its credits are retired at the registry and its certificate issued: final.
    Retired,
    /// Cancelled (by `cancelProvision`, by the customer at checkout, or by a refund before
    /// retirement); its credits went back to supply.
    Cancelled,
    /// Its checkout closed unpaid; its credits went back to supply.
    Expired,
    /// Its payment failed; its credits went back to supply.
    Failed,
}

/// How a provision is paid for.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::provisions::Billing")]
pub enum Billing {
    /// Paid through the hosted checkout.
    Checkout,
    /// Billed on the organization's monthly invoice.
    Invoice,
}

/// Whether a certificate proves a retirement yet.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::certificates::CertificateStatus")]
pub enum CertificateStatus {
    /// The credits are allocated and being retired.
    Pending,
    /// The credits are retired.
    Issued,
    /// The provision was cancelled; nothing was retired.
    Void,
}

/// How far an emission's net CO2 is offset, judged on the offset rounded to the gram.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::accounting::offsets::OffsetStatus")]
pub enum OffsetStatus {
    /// No offset (under half a gram).
    NotOffset,
    /// Some, but less than all of its net CO2.
    PartiallyOffset,
    /// All of its net CO2, or more.
    Offset,
}

/// Whether the customer paid.
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

/// Whether the credits a payment bought are retired.
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

/// Aviation's effects beyond its CO2 (contrails, NOx, water vapour), shown as a separate
/// figure, never added into the CO2 figures.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonCo2Method {
    /// No non-CO2 figure (the default, as ICAO and CORSIA count).
    None,
    /// The UK government's aviation factors "with radiative forcing" (DESNZ, 2023 onwards):
    /// CO2 × 1.7, so the non-CO2 figure is CO2 × 0.7.
    UkDesnzRf,
}

impl NonCo2Method {
    pub fn into_domain(self) -> Option<crate::emissions::methodology::NonCo2Method> {
        match self {
            NonCo2Method::None => None,
            NonCo2Method::UkDesnzRf => Some(crate::emissions::methodology::NonCo2Method::UkDesnzRf),
        }
    }
}

impl From<crate::emissions::methodology::NonCo2Method> for NonCo2Method {
    fn from(method: crate::emissions::methodology::NonCo2Method) -> Self {
        match method {
            crate::emissions::methodology::NonCo2Method::UkDesnzRf => NonCo2Method::UkDesnzRf,
        }
    }
}

/// Where a leg's duration came from.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::emissions::route::DurationSource")]
pub enum DurationSource {
    /// Given with the request.
    Given,
    /// The least-squares line of this aircraft's recorded flights.
    LearnedAircraft,
    /// The least-squares line of your recorded flights of this aircraft type.
    LearnedType,
}
