use async_graphql::{Context, Object};

use crate::api::context::ContextExt;
use crate::api::errors::ApiResult;
use crate::api::types::listing::ListingNode;

#[derive(Default)]
pub struct CreditsQuery;

#[Object]
impl CreditsQuery {
    /// Credit listings on sale, oldest first. Public.
    async fn listings(&self, ctx: &Context<'_>) -> ApiResult<Vec<ListingNode>> {
        let listings = crate::credits::list_listings(ctx.db()).await?;
        Ok(listings.into_iter().map(ListingNode).collect())
    }
}
