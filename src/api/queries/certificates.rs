use async_graphql::{Context, Object};

use crate::api::context::ContextExt;
use crate::api::errors::{ApiError, ApiResult};
use crate::api::inputs;
use crate::api::types::certificate::CertificateNode;

#[derive(Default)]
pub struct CertificatesQuery;

#[Object]
impl CertificatesQuery {
    /// A certificate by its public id; `NOT_FOUND` when there is none. Public: only the
    /// organization that owns it sees its `provision`.
    async fn certificate(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The certificate's `publicId` (the last segment of its page's URL).")]
        public_id: String,
    ) -> ApiResult<Option<CertificateNode>> {
        let public_id = inputs::text(&public_id, 100, "publicId")?;
        crate::certificates::find_by_public_id(ctx.db(), &public_id)
            .await?
            .map(|certificate| Some(CertificateNode(certificate)))
            .ok_or_else(|| ApiError::not_found("Certificate"))
    }
}
