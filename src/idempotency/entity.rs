use sea_orm::entity::prelude::*;

use crate::ids::OrganizationId;

/// A request made with an `Idempotency-Key`: in progress until its response is stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: OrganizationId,
    pub key: String,
    pub request_fingerprint: String,
    pub response_status: Option<i64>,
    pub response_content_type: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub response_body: Option<String>,
    /// When the request holding the key started (or took it over).
    pub locked_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
