use sea_orm::entity::prelude::*;

use super::TailNumber;
use crate::fuel::FuelType;
use crate::ids::{AircraftId, OrganizationId};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "aircraft")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: AircraftId,
    pub organization_id: OrganizationId,
    pub tail_number: TailNumber,
    pub model_code: String,
    pub fuel_type: FuelType,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Set when it left the fleet but its flights keep it on the books.
    pub archived_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
