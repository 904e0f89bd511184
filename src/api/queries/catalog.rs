use async_graphql::{Context, Object};

use crate::api::context::ContextExt;
use crate::api::errors::ApiResult;
use crate::api::inputs;
use crate::api::types::aircraft_model::AircraftModelNode;
use crate::api::types::enums::AircraftCategory;

#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// Aircraft types Contrail can estimate, optionally by category or matching `search` in
    /// code, manufacturer or name. Public.
    async fn aircraft_models(
        &self,
        ctx: &Context<'_>,
        category: Option<AircraftCategory>,
        search: Option<String>,
    ) -> ApiResult<Vec<AircraftModelNode>> {
        let search = search
            .map(|search| inputs::text(&search, 100, "search"))
            .transpose()?;
        let models =
            crate::catalog::list(ctx.db(), category.map(Into::into), search.as_deref()).await?;
        Ok(models.into_iter().map(AircraftModelNode).collect())
    }
}
