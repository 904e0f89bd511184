use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, ID, Object};
use rust_decimal::Decimal;

use super::{CreditProject, Listing, ListingId, ProjectId};
use crate::error::{Error, Result};
use crate::graphql::MoneyObject;
use crate::graphql::context::{ContextExt, DbLoader};
use crate::graphql::node::{NodeKind, encode};
use crate::provisions::graphql::AvailableSupply;

pub struct CreditProjectNode(pub CreditProject);

/// A carbon-removal project whose credits are sold through listings.
#[Object(name = "CreditProject")]
impl CreditProjectNode {
    pub async fn id(&self) -> ID {
        encode(NodeKind::CreditProject, self.0.id.0)
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Registry that certifies and retires the credits.
    async fn registry(&self) -> &str {
        &self.0.registry
    }

    /// Removal method, e.g. `Biochar`.
    async fn method(&self) -> &str {
        &self.0.method
    }

    /// ISO 3166-1 alpha-2 country code.
    async fn country(&self) -> &str {
        &self.0.country
    }

    async fn vintage(&self) -> i32 {
        self.0.vintage
    }

    async fn description(&self) -> &str {
        &self.0.description
    }
}

pub struct ListingNode(pub Listing);

/// Credits of one project on sale at a price per tonne. Its `id` is the `assetPriceSourceId`
/// of the checkout flow.
#[Object(name = "Listing")]
impl ListingNode {
    pub async fn id(&self) -> ID {
        encode(NodeKind::Listing, self.0.id.0)
    }

    async fn project(&self, ctx: &Context<'_>) -> Result<CreditProjectNode> {
        ctx.loader()
            .load_one(self.0.project_id)
            .await?
            .map(CreditProjectNode)
            .ok_or_else(|| Error::not_found("CreditProject"))
    }

    /// Price of one tonne of CO2 removed, before the platform fee.
    async fn unit_price(&self) -> MoneyObject {
        self.0.unit_price.into()
    }

    /// Tonnes not yet allocated, live from the ledger.
    async fn available_tonnes(&self, ctx: &Context<'_>) -> Result<Decimal> {
        let available = ctx.loader().load_one(AvailableSupply(self.0.id)).await?;
        Ok(available.unwrap_or_default().tonnes())
    }

    /// Smallest quantity sold, in tonnes.
    async fn min_fill_tonnes(&self) -> Decimal {
        self.0.min_fill.tonnes()
    }

    /// Whether this listing prices estimates and provisions that name none.
    async fn is_default(&self) -> bool {
        self.0.is_default
    }
}

impl Loader<ProjectId> for DbLoader {
    type Value = CreditProject;
    type Error = Error;

    async fn load(&self, keys: &[ProjectId]) -> Result<HashMap<ProjectId, CreditProject>> {
        let projects = super::find_projects(&self.db, keys).await?;
        Ok(projects
            .into_iter()
            .map(|project| (project.id, project))
            .collect())
    }
}

impl Loader<ListingId> for DbLoader {
    type Value = Listing;
    type Error = Error;

    async fn load(&self, keys: &[ListingId]) -> Result<HashMap<ListingId, Listing>> {
        let listings = super::find_listings(&self.db, keys).await?;
        Ok(listings
            .into_iter()
            .map(|listing| (listing.id, listing))
            .collect())
    }
}

#[derive(Default)]
pub struct CreditsQuery;

#[Object]
impl CreditsQuery {
    /// Credit listings on sale. Public.
    async fn listings(&self, ctx: &Context<'_>) -> Result<Vec<ListingNode>> {
        let listings = super::list_listings(ctx.db()).await?;
        Ok(listings.into_iter().map(ListingNode).collect())
    }
}
