//! The domain's enums on the REST wire: the same names as in GraphQL (`JET_A`,
//! `PENDING_PAYMENT`, …), which are the names the domain stores, so they are read from the
//! domain and never written twice.

use std::borrow::Cow;

use sea_orm::{ActiveEnum, Iterable};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

macro_rules! wire_enums {
    ($($(#[doc = $doc:literal])* $name:ident => $domain:ty;)*) => {$(
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name(pub $domain);

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0.to_value())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let name = String::deserialize(deserializer)?;
                <$domain>::try_from_value(&name).map($name).map_err(|_| {
                    serde::de::Error::custom(format!(
                        "{} is not one of {}",
                        crate::error::quote(&name),
                        <$domain>::iter()
                            .map(|value| value.to_value())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(<$domain>::iter().map(|value| value.to_value())))
                    .description(Some(concat!($($doc, "\n"),*).trim()))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }

        impl From<$domain> for $name {
            fn from(value: $domain) -> Self {
                $name(value)
            }
        }
    )*};
}

wire_enums! {
    /// An aviation fuel: `JET_A` and `JET_A1` emit 3.16 kg CO2 per kg, `JET_B` and
    /// `AVGAS_100LL` 3.10.
    FuelType => crate::fuel::FuelType;
    /// How a sustainable aviation fuel was produced (CORSIA default life-cycle values).
    SafPathway => crate::fuel::SafPathway;
    /// Where a provision is in its lifecycle.
    ProvisionStatus => crate::provisions::ProvisionStatus;
    /// `CHECKOUT`: paid through the hosted checkout; `INVOICE`: billed monthly.
    Billing => crate::provisions::Billing;
    /// `PENDING` while the credits are retired, `ISSUED` once retired, `VOID` if cancelled.
    CertificateStatus => crate::certificates::CertificateStatus;
    /// Whether the customer paid.
    PaymentStatus => crate::payments::PaymentStatus;
    /// Whether the credits a payment bought are retired.
    RetirementStatus => crate::payments::RetirementStatus;
}

/// How far an emission's net CO2 is offset: `NOT_OFFSET`, `PARTIALLY_OFFSET` or `OFFSET`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OffsetStatus {
    NotOffset,
    PartiallyOffset,
    Offset,
}

impl From<crate::accounting::offsets::OffsetStatus> for OffsetStatus {
    fn from(status: crate::accounting::offsets::OffsetStatus) -> Self {
        use crate::accounting::offsets::OffsetStatus as Domain;
        match status {
            Domain::NotOffset => OffsetStatus::NotOffset,
            Domain::PartiallyOffset => OffsetStatus::PartiallyOffset,
            Domain::Offset => OffsetStatus::Offset,
        }
    }
}
