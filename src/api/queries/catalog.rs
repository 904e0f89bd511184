use async_graphql::Object;

use crate::api::errors::ApiResult;
use crate::api::inputs;
use crate::api::types::aircraft_model::AircraftModelNode;
use crate::api::types::enums::AircraftCategory;

#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// Aircraft types Contrail can estimate, ordered by code, optionally by category or
    /// matching `search` in code, manufacturer or name. Public.
    async fn aircraft_models(
        &self,
        #[graphql(desc = "Only types of this category; all when null.")] category: Option<
            AircraftCategory,
        >,
        #[graphql(
            desc = "Case-insensitive text found in the code, manufacturer or name (at most 100 characters); all when null or blank."
        )]
        search: Option<String>,
    ) -> ApiResult<Vec<AircraftModelNode>> {
        let search = search
            .map(|search| inputs::text(&search, 100, "search"))
            .transpose()?;
        let models = crate::catalog::list(category.map(Into::into), search.as_deref());
        Ok(models.into_iter().map(AircraftModelNode).collect())
    }
}
