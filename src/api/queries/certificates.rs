use async_graphql::{Context, Object};

use crate::api::context::ContextExt;
use crate::api::errors::{ApiError, ApiResult};
use crate::api::inputs;
use crate::api::types::certificate::CertificateNode;

#[derive(Default)]
pub struct CertificatesQuery;

#[Object]
impl CertificatesQuery {
    /// A certificate by its public id. Public.
    async fn certificate(
        &self,
        ctx: &Context<'_>,
        public_id: String,
    ) -> ApiResult<Option<CertificateNode>> {
        let public_id = inputs::text(&public_id, 100, "publicId")?;
        crate::certificates::find_by_public_id(ctx.db(), &public_id)
            .await?
            .map(|certificate| Some(CertificateNode(certificate)))
            .ok_or_else(|| ApiError::not_found("Certificate"))
    }
}
