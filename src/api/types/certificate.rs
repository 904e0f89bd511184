use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::enums::CertificateStatus;
use super::listing::CreditProjectNode;
use super::provision::{AllocationObject, ProvisionNode};
use crate::api::context::ContextExt;
use crate::api::errors::{ApiError, ApiResult};
use crate::api::id::GlobalId;
use crate::api::loaders::{AllocationsOf, EmissionsOf};
use crate::certificates::Certificate;
use crate::provisions::Provision;

pub struct CertificateNode(pub Certificate);

impl CertificateNode {
    async fn provision_of(&self, ctx: &Context<'_>) -> ApiResult<Provision> {
        ctx.loader()
            .load_one(self.0.provision_id)
            .await?
            .ok_or_else(|| ApiError::not_found("Provision"))
    }
}

/// Public proof that credits were retired for a beneficiary. Anyone with its `publicId` can
/// read it; its provision's commercial details are only for the organization that owns it.
#[Object(name = "Certificate")]
impl CertificateNode {
    /// Global ID (for `node(id:)`, by the organization that owns it).
    pub async fn id(&self) -> ID {
        self.0.id.to_id()
    }

    /// Unguessable identifier of the public page; `certificate(publicId:)` reads it.
    async fn public_id(&self) -> &str {
        &self.0.public_id
    }

    /// e.g. `CTR-2026-000123`, sequential per year.
    async fn number(&self) -> &str {
        &self.0.number
    }

    /// The public certificate page.
    async fn url(&self, ctx: &Context<'_>) -> String {
        self.0.url(&ctx.config().public_url)
    }

    /// `PENDING` until the credits are retired, then `ISSUED`; `VOID` if cancelled.
    async fn status(&self) -> CertificateStatus {
        self.0.status.into()
    }

    /// On whose behalf the credits are retired.
    async fn beneficiary_name(&self, ctx: &Context<'_>) -> ApiResult<String> {
        Ok(self.provision_of(ctx).await?.beneficiary_name)
    }

    /// The message printed on it; null when none was given.
    async fn retirement_message(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        Ok(self.provision_of(ctx).await?.retirement_message)
    }

    /// Tonnes of CO2 removal it certifies (6 decimals).
    async fn quantity_tonnes(&self, ctx: &Context<'_>) -> ApiResult<Decimal> {
        Ok(self.provision_of(ctx).await?.quantity.tonnes())
    }

    /// The project whose credits were retired.
    async fn project(&self, ctx: &Context<'_>) -> ApiResult<CreditProjectNode> {
        let provision = self.provision_of(ctx).await?;
        let listing = ctx
            .loader()
            .load_one(provision.listing_id)
            .await?
            .ok_or_else(|| ApiError::not_found("Listing"))?;
        ctx.loader()
            .load_one(listing.project_id)
            .await?
            .map(CreditProjectNode)
            .ok_or_else(|| ApiError::not_found("CreditProject"))
    }

    /// The provision, for the organization that owns it; null for anyone else.
    async fn provision(&self, ctx: &Context<'_>) -> ApiResult<Option<ProvisionNode>> {
        let provision = self.provision_of(ctx).await?;
        Ok(ctx
            .is(provision.organization_id)
            .then_some(ProvisionNode(provision)))
    }

    /// The flights it covers.
    async fn emissions(&self, ctx: &Context<'_>) -> ApiResult<Vec<CertifiedFlight>> {
        let emissions = ctx
            .loader()
            .load_one(EmissionsOf(self.0.provision_id))
            .await?
            .unwrap_or_default();
        Ok(emissions
            .into_iter()
            .map(|emission| CertifiedFlight {
                tail_number: emission.tail_number.as_str().to_owned(),
                departed_at: emission.departed_at,
                origin: emission.origin,
                destination: emission.destination,
                co2_kg: emission.flight.figures.co2.kg(),
                net_co2_kg: emission.flight.figures.net_co2.kg(),
            })
            .collect())
    }

    /// The serial ranges retired (or, for a void certificate, once allocated).
    async fn allocations(&self, ctx: &Context<'_>) -> ApiResult<Vec<AllocationObject>> {
        let allocations = ctx
            .loader()
            .load_one(AllocationsOf(self.0.provision_id))
            .await?
            .unwrap_or_default();
        Ok(allocations.into_iter().map(AllocationObject).collect())
    }

    /// When its provision was confirmed.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the credits were retired; null until then.
    async fn issued_at(&self) -> Option<DateTime<Utc>> {
        self.0.issued_at
    }

    /// When it became void; null unless `VOID`.
    async fn voided_at(&self) -> Option<DateTime<Utc>> {
        self.0.voided_at
    }
}

/// A flight as a certificate shows it publicly.
#[derive(SimpleObject)]
pub struct CertifiedFlight {
    /// The aircraft's registration when the flight was recorded.
    pub tail_number: String,
    /// Departure time; null when it was not given.
    pub departed_at: Option<DateTime<Utc>>,
    /// Departure airport code; null when it was not given.
    pub origin: Option<String>,
    /// Arrival airport code; null when it was not given.
    pub destination: Option<String>,
    /// CO2 of the flight, kilograms (3 decimals).
    pub co2_kg: Decimal,
    /// CO2 after the SAF reduction, kilograms (3 decimals).
    pub net_co2_kg: Decimal,
}
