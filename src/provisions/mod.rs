//! Provisions: credits bought for an organization's emissions (or a plain quantity), held or
//! allocated from the ledger, and retired through a registry. Their lifecycle is in
//! [`lifecycle`]; which emissions they cover, in [`linking`].

pub mod entity;
pub mod lifecycle;
pub mod linking;
pub mod registry;
pub mod retirement;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, DeriveActiveEnum, EntityTrait, EnumIter, QueryFilter,
    QueryOrder, QuerySelect, Select,
};

use crate::credits::entity::batch;
use crate::credits::ledger::GramRange;
use crate::error::{Error, Result};
use crate::ids::{EmissionId, ListingId, OrganizationId, ProvisionId};
use crate::units::{FeeBps, Grams, Money};
use entity::{allocation, provision, provision_emission};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ProvisionStatus {
    /// Credits held for a checkout that is not paid yet.
    #[sea_orm(string_value = "PENDING_PAYMENT")]
    PendingPayment,
    /// Credits allocated; retirement follows.
    #[sea_orm(string_value = "CONFIRMED")]
    Confirmed,
    #[sea_orm(string_value = "RETIRED")]
    Retired,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
    #[sea_orm(string_value = "EXPIRED")]
    Expired,
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

impl ProvisionStatus {
    /// Statuses whose credits are (or will be, irreversibly) retired: they count as offsets.
    pub const OFFSETTING: [ProvisionStatus; 2] =
        [ProvisionStatus::Confirmed, ProvisionStatus::Retired];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Billing {
    /// Paid through the hosted checkout.
    #[sea_orm(string_value = "CHECKOUT")]
    Checkout,
    /// Billed on the organization's monthly invoice.
    #[sea_orm(string_value = "INVOICE")]
    Invoice,
}

#[derive(Debug, Clone)]
pub struct Provision {
    pub id: ProvisionId,
    pub organization_id: OrganizationId,
    pub listing_id: ListingId,
    pub status: ProvisionStatus,
    pub billing: Billing,
    pub quantity: Grams,
    pub offset_percentage: Option<u16>,
    pub unit_price: Money,
    pub fee: FeeBps,
    pub price: Money,
    pub invoice_month: String,
    pub beneficiary_name: String,
    pub retirement_message: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub registry_reference: Option<String>,
    pub external_reference: Option<String>,
}

impl TryFrom<provision::Model> for Provision {
    type Error = DbErr;

    fn try_from(row: provision::Model) -> Result<Self, DbErr> {
        Ok(Provision {
            id: row.id,
            organization_id: row.organization_id,
            listing_id: row.listing_id,
            status: row.status,
            billing: row.billing,
            quantity: Grams::new(row.quantity_grams),
            offset_percentage: row
                .offset_percentage
                .and_then(|percent| u16::try_from(percent).ok()),
            unit_price: Money::new(row.unit_price_minor, row.currency),
            fee: FeeBps::new(u32::try_from(row.fee_bps).unwrap_or(u32::MAX))
                .map_err(DbErr::Custom)?,
            price: Money::new(row.price_minor, row.currency),
            invoice_month: row.invoice_month,
            beneficiary_name: row.beneficiary_name,
            retirement_message: row.retirement_message,
            created_at: row.created_at,
            updated_at: row.updated_at,
            retired_at: row.retired_at,
            cancelled_at: row.cancelled_at,
            registry_reference: row.registry_reference,
            external_reference: row.external_reference,
        })
    }
}

impl Provision {
    /// `YYYY-MM` of the monthly invoice it is billed on; `None` when paid through a checkout.
    pub fn billed_month(&self) -> Option<&str> {
        (self.billing == Billing::Invoice).then_some(self.invoice_month.as_str())
    }
}

pub fn rows_to_provisions(rows: Vec<provision::Model>) -> Result<Vec<Provision>> {
    Ok(rows
        .into_iter()
        .map(Provision::try_from)
        .collect::<Result<_, _>>()?)
}

/// Who the credits are retired on behalf of, as printed on the certificate.
#[derive(Debug, Clone)]
pub struct BeneficiaryName(String);

impl BeneficiaryName {
    pub fn parse(input: &str) -> Result<Self, String> {
        let name = crate::units::parse_text(input, 200, false)?;
        if name.is_empty() {
            return Err("must not be empty".into());
        }
        Ok(BeneficiaryName(name))
    }
}

/// A message printed on the certificate; may hold line breaks.
#[derive(Debug, Clone)]
pub struct RetirementMessage(String);

impl RetirementMessage {
    pub fn parse(input: &str) -> Result<Self, String> {
        crate::units::parse_text(input, 1_000, true).map(RetirementMessage)
    }
}

pub fn select_provisions(organization: OrganizationId) -> Select<provision::Entity> {
    provision::Entity::find().filter(provision::Column::OrganizationId.eq(organization))
}

pub async fn find(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    id: ProvisionId,
) -> Result<Option<Provision>> {
    let row = select_provisions(organization)
        .filter(provision::Column::Id.eq(id))
        .one(db)
        .await?;
    Ok(row.map(Provision::try_from).transpose()?)
}

pub async fn find_many(db: &impl ConnectionTrait, ids: &[ProvisionId]) -> Result<Vec<Provision>> {
    let rows = provision::Entity::find()
        .filter(crate::db::any_of(
            db.get_database_backend(),
            provision::Column::Id,
            ids.iter().map(|id| id.0),
        ))
        .all(db)
        .await?;
    rows_to_provisions(rows)
}

/// A provision, whoever owns it, locked for a change until the transaction ends.
pub async fn lock(db: &impl ConnectionTrait, id: ProvisionId) -> Result<provision::Model> {
    provision::Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("Provision"))
}

/// The organization's provision, locked for a change until the transaction ends.
async fn find_for_update(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    id: ProvisionId,
) -> Result<provision::Model> {
    select_provisions(organization)
        .filter(provision::Column::Id.eq(id))
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("Provision"))
}

/// A provision's allocated range with its batch's serial prefix and vintage.
#[derive(Debug, Clone)]
pub struct Allocation {
    pub range: GramRange,
    pub serial_prefix: String,
    pub vintage: i32,
    pub released: bool,
}

impl Allocation {
    /// Serials of the first and last gram, e.g. `DEMO-BIOCHAR-2025-0000000000000-0000000999999`.
    pub fn serial_range(&self) -> String {
        format!(
            "{}-{:013}-{:013}",
            self.serial_prefix,
            self.range.start,
            self.range.end - 1
        )
    }
}

/// Allocations of several provisions with their batches, in one statement.
pub async fn allocations(
    db: &impl ConnectionTrait,
    provisions: &[ProvisionId],
) -> Result<HashMap<ProvisionId, Vec<Allocation>>> {
    let rows = allocation::Entity::find()
        .find_also_related(batch::Entity)
        .filter(crate::db::any_of(
            db.get_database_backend(),
            allocation::Column::ProvisionId,
            provisions.iter().map(|id| id.0),
        ))
        .order_by_asc(allocation::Column::Id)
        .all(db)
        .await?;
    let mut by_provision: HashMap<ProvisionId, Vec<Allocation>> = HashMap::new();
    for (row, batch) in rows {
        let batch = batch.ok_or_else(|| Error::internal(DbErr::RecordNotFound("batch".into())))?;
        by_provision
            .entry(row.provision_id)
            .or_default()
            .push(Allocation {
                range: GramRange {
                    batch: row.batch_id,
                    start: row.start_gram,
                    end: row.end_gram,
                },
                serial_prefix: batch.serial_prefix,
                vintage: batch.vintage,
                released: row.released_at.is_some(),
            });
    }
    Ok(by_provision)
}

/// Emission ids linked to each provision.
pub async fn linked_emissions(
    db: &impl ConnectionTrait,
    provisions: &[ProvisionId],
) -> Result<HashMap<ProvisionId, Vec<EmissionId>>> {
    let links = provision_emission::Entity::find()
        .filter(crate::db::any_of(
            db.get_database_backend(),
            provision_emission::Column::ProvisionId,
            provisions.iter().map(|id| id.0),
        ))
        .order_by_asc(provision_emission::Column::EmissionId)
        .all(db)
        .await?;
    let mut linked: HashMap<ProvisionId, Vec<EmissionId>> = HashMap::new();
    for link in links {
        linked
            .entry(link.provision_id)
            .or_default()
            .push(link.emission_id);
    }
    Ok(linked)
}
