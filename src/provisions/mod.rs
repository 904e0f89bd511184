//! Provisions: credits bought for an organization's emissions (or a plain quantity), allocated
//! from the ledger at once, billed on the monthly invoice, and retired through a registry.

pub mod entity;
pub mod graphql;
pub mod registry;
pub mod retirement;

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Select, Set,
};

use crate::certificates::{self, CertificateStatus};
use crate::credits::ListingId;
use crate::credits::ledger::{self, BatchId, GramRange};
use crate::emissions::{EmissionId, entity::emission};
use crate::error::{Error, Result};
use crate::organizations::OrganizationId;
use crate::units::{Currency, FeeBps, Grams, Money, Percentage};
use entity::{allocation, provision, provision_emission};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProvisionId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum ProvisionStatus {
    PendingPayment,
    Confirmed,
    Retired,
    Cancelled,
    Expired,
    Failed,
}

impl ProvisionStatus {
    const ALL: [ProvisionStatus; 6] = [
        ProvisionStatus::PendingPayment,
        ProvisionStatus::Confirmed,
        ProvisionStatus::Retired,
        ProvisionStatus::Cancelled,
        ProvisionStatus::Expired,
        ProvisionStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProvisionStatus::PendingPayment => "PENDING_PAYMENT",
            ProvisionStatus::Confirmed => "CONFIRMED",
            ProvisionStatus::Retired => "RETIRED",
            ProvisionStatus::Cancelled => "CANCELLED",
            ProvisionStatus::Expired => "EXPIRED",
            ProvisionStatus::Failed => "FAILED",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == value)
    }

    /// Statuses whose credits are (or will be, irreversibly) retired: they count as offsets.
    pub const OFFSETTING: [ProvisionStatus; 2] =
        [ProvisionStatus::Confirmed, ProvisionStatus::Retired];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum Billing {
    /// Paid through the hosted checkout.
    Checkout,
    /// Billed on the organization's monthly invoice.
    Invoice,
}

impl Billing {
    fn as_str(self) -> &'static str {
        match self {
            Billing::Checkout => "CHECKOUT",
            Billing::Invoice => "INVOICE",
        }
    }
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
}

impl Provision {
    fn from_row(row: provision::Model) -> Result<Self, DbErr> {
        let corrupt = |what: &str| DbErr::Custom(format!("provision {}: bad {what}", row.id));
        let currency: Currency = row.currency.parse().map_err(|_| corrupt("currency"))?;
        Ok(Provision {
            id: ProvisionId(row.id),
            organization_id: OrganizationId(row.organization_id),
            listing_id: ListingId(row.listing_id),
            status: ProvisionStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?,
            billing: match row.billing.as_str() {
                "CHECKOUT" => Billing::Checkout,
                "INVOICE" => Billing::Invoice,
                _ => return Err(corrupt("billing")),
            },
            quantity: Grams::new(row.quantity_grams),
            offset_percentage: row.offset_percentage.map(|percent| percent as u16),
            unit_price: Money::new(row.unit_price_minor, currency),
            fee: FeeBps::new(row.fee_bps as u32).map_err(|_| corrupt("fee"))?,
            price: Money::new(row.price_minor, currency),
            invoice_month: row.invoice_month,
            beneficiary_name: row.beneficiary_name,
            retirement_message: row.retirement_message,
            created_at: row.created_at,
            updated_at: row.updated_at,
            retired_at: row.retired_at,
            cancelled_at: row.cancelled_at,
            registry_reference: row.registry_reference,
        })
    }
}

pub fn rows_to_provisions(rows: Vec<provision::Model>) -> Result<Vec<Provision>> {
    Ok(rows
        .into_iter()
        .map(Provision::from_row)
        .collect::<Result<_, _>>()?)
}

/// How much to provision.
pub enum Quantity {
    Tonnes(Grams),
    /// A share of the emissions' summed net CO2; the provision is linked to them.
    Emissions {
        ids: Vec<EmissionId>,
        percentage: Percentage,
    },
}

pub struct NewProvision {
    pub quantity: Quantity,
    pub listing: Option<ListingId>,
    pub beneficiary_name: BeneficiaryName,
    pub retirement_message: Option<RetirementMessage>,
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

#[derive(Debug, Clone)]
pub struct RetirementMessage(String);

impl RetirementMessage {
    pub fn parse(input: &str) -> Result<Self, String> {
        crate::units::parse_text(input, 1_000, true).map(RetirementMessage)
    }
}

/// Where provisioning happens: the database, the fee, and how and when credits are retired.
pub struct Provisioning<'a> {
    pub db: &'a DatabaseConnection,
    pub fee: FeeBps,
    pub retirements: &'a retirement::Retirements,
    pub retirement_delay: std::time::Duration,
}

/// Provisions credits billed to the monthly invoice: the quantity is allocated from the
/// listing's batches, the emissions are linked and the certificate is created, all in one
/// transaction. Retirement follows (see [`retirement`]).
pub async fn create(
    ctx: &Provisioning<'_>,
    organization: OrganizationId,
    new: NewProvision,
) -> Result<Provision> {
    let txn = crate::db::begin_write(ctx.db).await?;
    let quantity_field = match new.quantity {
        Quantity::Tonnes(_) => "quantityTonnes",
        Quantity::Emissions { .. } => "emissionIds",
    };
    let (quantity, emission_ids, percentage) = match new.quantity {
        Quantity::Tonnes(quantity) => (quantity, Vec::new(), None),
        Quantity::Emissions { ids, percentage } => {
            let owned = owned_emissions(&txn, organization, &ids).await?;
            let net: Grams = owned.iter().map(|(_, net)| *net).sum();
            let ids = owned.into_iter().map(|(id, _)| id).collect();
            (net.percent(percentage), ids, Some(percentage))
        }
    };
    if quantity <= Grams::ZERO {
        return Err(Error::bad_input(
            "emissionIds",
            "the emissions have no net CO2 to offset",
        ));
    }
    let listing_id = match new.listing {
        Some(id) => id,
        None => {
            crate::credits::default_listing(&txn)
                .await?
                .ok_or_else(|| Error::insufficient_supply("no credit listing is available"))?
                .id
        }
    };
    let listing = ledger::lock_listing(&txn, listing_id).await?;
    if quantity < listing.min_fill {
        return Err(Error::bad_input(
            quantity_field,
            format!("the listing sells at least {} t", listing.min_fill.tonnes()),
        ));
    }
    let price = listing
        .unit_price
        .per_tonne_times(quantity, ctx.fee)
        .ok_or_else(|| {
            Error::bad_input(quantity_field, "the price would be too large to express")
        })?;
    let ranges = ledger::allocate(&txn, listing.id, quantity).await?;
    let now = Utc::now();
    let row = provision::ActiveModel {
        organization_id: Set(organization.0),
        listing_id: Set(listing.id.0),
        status: Set(ProvisionStatus::Confirmed.as_str().to_owned()),
        billing: Set(Billing::Invoice.as_str().to_owned()),
        quantity_grams: Set(quantity.get()),
        offset_percentage: Set(percentage.map(|percentage| i32::from(percentage.get()))),
        unit_price_minor: Set(listing.unit_price.minor),
        currency: Set(listing.unit_price.currency.code().to_owned()),
        fee_bps: Set(ctx.fee.get() as i32),
        price_minor: Set(price.minor),
        invoice_month: Set(now.format("%Y-%m").to_string()),
        beneficiary_name: Set(new.beneficiary_name.0),
        retirement_message: Set(new
            .retirement_message
            .map(|message| message.0)
            .filter(|m| !m.is_empty())),
        created_at: Set(now),
        updated_at: Set(now),
        retire_after: Set(Some(
            now + Duration::from_std(ctx.retirement_delay).unwrap_or_default(),
        )),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let id = ProvisionId(row.id);
    insert_links(&txn, id, &emission_ids, now).await?;
    let allocations = ranges.iter().map(|range| allocation::ActiveModel {
        provision_id: Set(id.0),
        batch_id: Set(range.batch.0),
        start_gram: Set(range.start),
        end_gram: Set(range.end),
        created_at: Set(now),
        released_at: Set(None),
        ..Default::default()
    });
    allocation::Entity::insert_many(allocations)
        .exec(&txn)
        .await?;
    certificates::create(&txn, id, now).await?;
    txn.commit().await?;
    if !ctx.retirement_delay.is_zero() {
        ctx.retirements.scheduled.notify_one();
        return Ok(Provision::from_row(row)?);
    }
    retirement::retire_if_due(ctx.db, ctx.retirements.registry.as_ref(), id).await?;
    find(ctx.db, organization, id)
        .await?
        .ok_or_else(|| Error::not_found("Provision"))
}

/// The distinct emissions with their net CO2, if every id is an emission of the organization;
/// `NOT_FOUND` otherwise.
async fn owned_emissions(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    ids: &[EmissionId],
) -> Result<Vec<(EmissionId, Grams)>> {
    let wanted: BTreeSet<i64> = ids.iter().map(|id| id.0).collect();
    let found: Vec<(i64, i64)> = emission::Entity::find()
        .select_only()
        .column(emission::Column::Id)
        .column(emission::Column::NetCo2Grams)
        .filter(emission::Column::OrganizationId.eq(organization.0))
        .filter(emission::Column::Id.is_in(wanted.iter().copied()))
        .order_by_asc(emission::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    if found.len() != wanted.len() {
        return Err(Error::not_found("Emission"));
    }
    Ok(found
        .into_iter()
        .map(|(id, net)| (EmissionId(id), Grams::new(net)))
        .collect())
}

async fn insert_links(
    db: &impl ConnectionTrait,
    provision: ProvisionId,
    emissions: &[EmissionId],
    now: DateTime<Utc>,
) -> Result<()> {
    if emissions.is_empty() {
        return Ok(());
    }
    let links = emissions
        .iter()
        .map(|emission| provision_emission::ActiveModel {
            provision_id: Set(provision.0),
            emission_id: Set(emission.0),
            created_at: Set(now),
        });
    provision_emission::Entity::insert_many(links)
        .on_conflict(
            OnConflict::columns([
                provision_emission::Column::ProvisionId,
                provision_emission::Column::EmissionId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .try_insert()
        .exec(db)
        .await?;
    Ok(())
}

pub fn select_provisions(organization: OrganizationId) -> Select<provision::Entity> {
    provision::Entity::find().filter(provision::Column::OrganizationId.eq(organization.0))
}

pub async fn find(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    id: ProvisionId,
) -> Result<Option<Provision>> {
    let row = select_provisions(organization)
        .filter(provision::Column::Id.eq(id.0))
        .one(db)
        .await?;
    Ok(row.map(Provision::from_row).transpose()?)
}

pub async fn find_many(db: &impl ConnectionTrait, ids: &[ProvisionId]) -> Result<Vec<Provision>> {
    let rows = provision::Entity::find()
        .filter(provision::Column::Id.is_in(ids.iter().map(|id| id.0)))
        .all(db)
        .await?;
    rows_to_provisions(rows)
}

/// The provision, locked for a change until the transaction ends.
async fn find_for_update(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    id: ProvisionId,
) -> Result<provision::Model> {
    select_provisions(organization)
        .filter(provision::Column::Id.eq(id.0))
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("Provision"))
}

/// Links emissions to a provision: all of them or, if any is unknown or foreign, none.
/// Linking an emission already linked changes nothing.
pub async fn link(
    db: &DatabaseConnection,
    organization: OrganizationId,
    id: ProvisionId,
    emissions: &[EmissionId],
) -> Result<Provision> {
    let txn = crate::db::begin_write(db).await?;
    let row = find_for_update(&txn, organization, id).await?;
    let status = ProvisionStatus::parse(&row.status);
    if !matches!(
        status,
        Some(
            ProvisionStatus::PendingPayment | ProvisionStatus::Confirmed | ProvisionStatus::Retired
        )
    ) {
        return Err(Error::conflict(format!(
            "the provision is {}",
            row.status.to_lowercase()
        )));
    }
    let emissions: Vec<EmissionId> = owned_emissions(&txn, organization, emissions)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    if status == Some(ProvisionStatus::Retired) {
        // Linking again what is linked changes nothing and stays a safe retry.
        let linked = linked_emissions(&txn, &[id])
            .await?
            .remove(&id)
            .unwrap_or_default();
        if emissions.iter().any(|emission| !linked.contains(emission)) {
            return Err(retired_is_final());
        }
    }
    insert_links(&txn, id, &emissions, Utc::now()).await?;
    txn.commit().await?;
    Ok(Provision::from_row(row)?)
}

pub async fn unlink(
    db: &DatabaseConnection,
    organization: OrganizationId,
    id: ProvisionId,
    emission: EmissionId,
) -> Result<Provision> {
    let txn = crate::db::begin_write(db).await?;
    let row = find_for_update(&txn, organization, id).await?;
    if row.status == ProvisionStatus::Retired.as_str() {
        return Err(retired_is_final());
    }
    let (emission, _) = owned_emissions(&txn, organization, &[emission]).await?[0];
    provision_emission::Entity::delete_many()
        .filter(provision_emission::Column::ProvisionId.eq(id.0))
        .filter(provision_emission::Column::EmissionId.eq(emission.0))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Provision::from_row(row)?)
}

/// Its certificate is issued: the flights it names can no longer change.
fn retired_is_final() -> Error {
    Error::conflict(
        "the provision is retired and its certificate issued: the flights it covers are final",
    )
}

/// Cancels a provision whose credits are not retired: its grams return to supply and its
/// certificate is void. Retirement is irreversible: a retired provision is a `CONFLICT`.
/// Cancelling twice is harmless.
pub async fn cancel(
    db: &DatabaseConnection,
    organization: OrganizationId,
    id: ProvisionId,
) -> Result<Provision> {
    let txn = crate::db::begin_write(db).await?;
    let row = find_for_update(&txn, organization, id).await?;
    match ProvisionStatus::parse(&row.status) {
        Some(ProvisionStatus::Cancelled) => return Ok(Provision::from_row(row)?),
        Some(ProvisionStatus::Confirmed | ProvisionStatus::PendingPayment)
            if row.retirement_claimed_at.is_none() => {}
        Some(ProvisionStatus::Confirmed) => {
            return Err(Error::conflict(
                "the credits are being retired; retirement is irreversible",
            ));
        }
        _ => {
            return Err(Error::conflict(format!(
                "a {} provision cannot be cancelled; retirement is irreversible",
                row.status.to_lowercase()
            )));
        }
    }
    ledger::lock_listing(&txn, ListingId(row.listing_id)).await?;
    let now = Utc::now();
    let held = allocation::Entity::find()
        .filter(allocation::Column::ProvisionId.eq(id.0))
        .filter(allocation::Column::ReleasedAt.is_null())
        .all(&txn)
        .await?;
    let ranges: Vec<GramRange> = held
        .iter()
        .map(|held| GramRange {
            batch: BatchId(held.batch_id),
            start: held.start_gram,
            end: held.end_gram,
        })
        .collect();
    ledger::release(&txn, &ranges).await?;
    allocation::Entity::update_many()
        .col_expr(allocation::Column::ReleasedAt, Expr::value(now))
        .filter(allocation::Column::ProvisionId.eq(id.0))
        .filter(allocation::Column::ReleasedAt.is_null())
        .exec(&txn)
        .await?;
    let mut active: provision::ActiveModel = row.into();
    active.status = Set(ProvisionStatus::Cancelled.as_str().to_owned());
    active.cancelled_at = Set(Some(now));
    active.updated_at = Set(now);
    active.retire_after = Set(None);
    let row = active.update(&txn).await?;
    certificates::settle(&txn, id, CertificateStatus::Void, now).await?;
    txn.commit().await?;
    Ok(Provision::from_row(row)?)
}

/// A provision's allocated ranges with their batches' serial prefix and vintage.
#[derive(Debug, Clone)]
pub struct Allocation {
    pub range: GramRange,
    pub serial_prefix: String,
    pub vintage: i32,
    pub released: bool,
}

/// Allocations of several provisions, in two statements.
pub async fn allocations(
    db: &impl ConnectionTrait,
    provisions: &[ProvisionId],
) -> Result<HashMap<ProvisionId, Vec<Allocation>>> {
    let rows = allocation::Entity::find()
        .filter(allocation::Column::ProvisionId.is_in(provisions.iter().map(|id| id.0)))
        .order_by_asc(allocation::Column::Id)
        .all(db)
        .await?;
    let batch_ids: BTreeSet<i64> = rows.iter().map(|row| row.batch_id).collect();
    let batches: HashMap<i64, ledger::Batch> =
        ledger::find_batches(db, &batch_ids.into_iter().map(BatchId).collect::<Vec<_>>())
            .await?
            .into_iter()
            .map(|batch| (batch.id.0, batch))
            .collect();
    let mut by_provision: HashMap<ProvisionId, Vec<Allocation>> = HashMap::new();
    for row in rows {
        let batch = batches
            .get(&row.batch_id)
            .ok_or_else(|| Error::internal(DbErr::RecordNotFound("batch".into())))?;
        by_provision
            .entry(ProvisionId(row.provision_id))
            .or_default()
            .push(Allocation {
                range: GramRange {
                    batch: BatchId(row.batch_id),
                    start: row.start_gram,
                    end: row.end_gram,
                },
                serial_prefix: batch.serial_prefix.clone(),
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
        .filter(provision_emission::Column::ProvisionId.is_in(provisions.iter().map(|id| id.0)))
        .order_by_asc(provision_emission::Column::EmissionId)
        .all(db)
        .await?;
    let mut linked: HashMap<ProvisionId, Vec<EmissionId>> = HashMap::new();
    for link in links {
        linked
            .entry(ProvisionId(link.provision_id))
            .or_default()
            .push(EmissionId(link.emission_id));
    }
    Ok(linked)
}

/// Provision ids linked to each emission, newest first.
pub async fn provisions_of_emissions(
    db: &impl ConnectionTrait,
    emissions: &[EmissionId],
) -> Result<HashMap<EmissionId, Vec<ProvisionId>>> {
    let links = provision_emission::Entity::find()
        .filter(provision_emission::Column::EmissionId.is_in(emissions.iter().map(|id| id.0)))
        .order_by_desc(provision_emission::Column::ProvisionId)
        .all(db)
        .await?;
    let mut linked: HashMap<EmissionId, Vec<ProvisionId>> = HashMap::new();
    for link in links {
        linked
            .entry(EmissionId(link.emission_id))
            .or_default()
            .push(ProvisionId(link.provision_id));
    }
    Ok(linked)
}

/// How much of each emission's net CO2 is offset, in exact kilograms: each offsetting
/// provision covers its linked emissions in proportion to their net CO2.
pub async fn offsets(
    db: &impl ConnectionTrait,
    emissions: &[EmissionId],
) -> Result<HashMap<EmissionId, Decimal>> {
    let offsetting: Vec<&str> = ProvisionStatus::OFFSETTING
        .iter()
        .map(|status| status.as_str())
        .collect();
    let covering: Vec<(i64, i64, i64)> = provision_emission::Entity::find()
        .select_only()
        .column(provision_emission::Column::EmissionId)
        .column(provision_emission::Column::ProvisionId)
        .column_as(
            Expr::col((provision::Entity, provision::Column::QuantityGrams)),
            "quantity_grams",
        )
        .join(
            sea_orm::JoinType::InnerJoin,
            provision_emission::Entity::belongs_to(provision::Entity)
                .from(provision_emission::Column::ProvisionId)
                .to(provision::Column::Id)
                .into(),
        )
        .filter(provision_emission::Column::EmissionId.is_in(emissions.iter().map(|id| id.0)))
        .filter(provision::Column::Status.is_in(offsetting))
        .into_tuple()
        .all(db)
        .await?;
    let mut offsets: HashMap<EmissionId, Decimal> =
        emissions.iter().map(|id| (*id, Decimal::ZERO)).collect();
    if covering.is_empty() {
        return Ok(offsets);
    }
    // Every emission each covering provision is linked to, with its net CO2.
    let provision_ids: BTreeSet<i64> = covering
        .iter()
        .map(|(_, provision, _)| *provision)
        .collect();
    let shares: Vec<(i64, i64, i64)> = provision_emission::Entity::find()
        .select_only()
        .column(provision_emission::Column::ProvisionId)
        .column(provision_emission::Column::EmissionId)
        .column_as(
            Expr::col((emission::Entity, emission::Column::NetCo2Grams)),
            "net_co2_grams",
        )
        .join(
            sea_orm::JoinType::InnerJoin,
            provision_emission::Entity::belongs_to(emission::Entity)
                .from(provision_emission::Column::EmissionId)
                .to(emission::Column::Id)
                .into(),
        )
        .filter(provision_emission::Column::ProvisionId.is_in(provision_ids))
        .into_tuple()
        .all(db)
        .await?;
    let mut linked_net: HashMap<i64, i64> = HashMap::new();
    let mut net: HashMap<i64, i64> = HashMap::new();
    for (provision, emission, net_grams) in shares {
        *linked_net.entry(provision).or_default() += net_grams;
        net.insert(emission, net_grams);
    }
    for (emission, provision, quantity) in covering {
        let total = linked_net.get(&provision).copied().unwrap_or_default();
        let own = net.get(&emission).copied().unwrap_or_default();
        if total > 0 {
            let share_kg = Decimal::from(quantity) * Decimal::from(own)
                / Decimal::from(total)
                / Decimal::from(1_000);
            *offsets.entry(EmissionId(emission)).or_default() += share_kg;
        }
    }
    Ok(offsets)
}

/// How far an emission's net CO2 is offset, judged on the offset rounded to the gram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum OffsetStatus {
    NotOffset,
    PartiallyOffset,
    Offset,
}

impl OffsetStatus {
    pub fn of(offset: Grams, net: Grams) -> Self {
        if offset == Grams::ZERO {
            OffsetStatus::NotOffset
        } else if offset >= net {
            OffsetStatus::Offset
        } else {
            OffsetStatus::PartiallyOffset
        }
    }
}

/// A condition on `emissions` rows matching [`OffsetStatus::of`] computed in SQL, so a filter
/// pages like any other. The coverage of an emission is the sum, over its offsetting
/// provisions, of quantity ÷ the net CO2 of all the provision's emissions; its offset in grams
/// is coverage × net. Rounding to the gram becomes comparing with a half gram.
pub fn offset_status_condition(status: OffsetStatus) -> sea_orm::sea_query::SimpleExpr {
    let offsetting = ProvisionStatus::OFFSETTING
        .iter()
        .map(|status| format!("'{}'", status.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let offset_grams = format!(
        "COALESCE((SELECT SUM(CAST(p.quantity_grams AS DOUBLE PRECISION) / \
            (SELECT SUM(e2.net_co2_grams) FROM provision_emissions pe2 \
             JOIN emissions e2 ON e2.id = pe2.emission_id WHERE pe2.provision_id = p.id)) \
         FROM provision_emissions pe JOIN provisions p ON p.id = pe.provision_id \
         WHERE pe.emission_id = emissions.id AND p.status IN ({offsetting})), 0) * emissions.net_co2_grams"
    );
    Expr::cust(match status {
        OffsetStatus::NotOffset => format!("{offset_grams} < 0.5"),
        OffsetStatus::Offset => {
            format!("{offset_grams} >= 0.5 AND {offset_grams} >= emissions.net_co2_grams - 0.5")
        }
        OffsetStatus::PartiallyOffset => {
            format!("{offset_grams} >= 0.5 AND {offset_grams} < emissions.net_co2_grams - 0.5")
        }
    })
}

/// An invoice month `YYYY-MM`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InvoiceMonth(String);

impl InvoiceMonth {
    pub fn parse(input: &str) -> Result<Self, String> {
        let valid = input.len() == 7
            && chrono::NaiveDate::parse_from_str(&format!("{input}-01"), "%Y-%m-%d").is_ok()
            && input.as_bytes()[4] == b'-';
        if valid {
            Ok(InvoiceMonth(input.to_owned()))
        } else {
            Err(format!(
                "{} is not a month (YYYY-MM)",
                crate::error::quote(input)
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The organization's provisions billed on the month's invoice (cancelled ones excluded).
pub fn select_invoiced(
    organization: OrganizationId,
    month: &InvoiceMonth,
) -> Select<provision::Entity> {
    let offsetting: Vec<&str> = ProvisionStatus::OFFSETTING
        .iter()
        .map(|status| status.as_str())
        .collect();
    select_provisions(organization)
        .filter(provision::Column::Billing.eq(Billing::Invoice.as_str()))
        .filter(provision::Column::InvoiceMonth.eq(month.as_str()))
        .filter(provision::Column::Status.is_in(offsetting))
}

/// Totals of an invoice: quantity, and price per currency, summed exactly in the database.
pub async fn invoice_totals(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    month: &InvoiceMonth,
) -> Result<(Grams, Vec<Money>)> {
    let rows: Vec<(String, i64, i64)> = select_invoiced(organization, month)
        .select_only()
        .column(provision::Column::Currency)
        .column_as(
            Expr::cust("CAST(SUM(quantity_grams) AS BIGINT)"),
            "quantity",
        )
        .column_as(Expr::cust("CAST(SUM(price_minor) AS BIGINT)"), "price")
        .group_by(provision::Column::Currency)
        .order_by_asc(provision::Column::Currency)
        .into_tuple()
        .all(db)
        .await?;
    let mut quantity = Grams::ZERO;
    let mut totals = Vec::new();
    for (currency, grams, price) in rows {
        let currency: Currency = currency
            .parse()
            .map_err(|_| Error::internal(DbErr::Custom("bad currency".into())))?;
        quantity = quantity + Grams::new(grams);
        totals.push(Money::new(price, currency));
    }
    Ok((quantity, totals))
}
