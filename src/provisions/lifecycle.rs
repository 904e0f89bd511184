//! A provision's lifecycle in three steps, each inside the caller's transaction:
//! [`reserve`] takes the credits from the ledger as a hold (`PENDING_PAYMENT`), [`confirm`]
//! makes the hold an allocation with its certificate and schedules retirement (`CONFIRMED`),
//! [`release`] gives the credits back (`CANCELLED`, `EXPIRED`, `FAILED`). A provision billed on
//! the monthly invoice is reserved and confirmed at once ([`create`]).

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::Expr;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, IntoActiveModel, QueryFilter, Set,
};

use super::entity::{allocation, provision, provision_emission};
use super::linking::{insert_links, owned_emissions};
use super::retirement::{self, Retirements};
use super::{
    BeneficiaryName, Billing, Provision, ProvisionStatus, RetirementMessage, find_for_update,
};
use crate::certificates::{self, CertificateStatus};
use crate::credits::ledger::{self, GramRange};
use crate::error::{Error, Existing, Input, Result};
use crate::ids::{EmissionId, ListingId, OrganizationId, ProvisionId};
use crate::retries::{Created, ExternalReference, Fingerprint, Referenced, same_request};
use crate::units::{FeeBps, Grams, Money, Percentage};

/// How much to provision.
#[derive(Debug)]
pub enum Quantity {
    Tonnes(Grams),
    /// A share of the emissions' summed net CO2; the provision is linked to them.
    Emissions {
        ids: Vec<EmissionId>,
        percentage: Percentage,
    },
}

impl Quantity {
    /// The input a quantity problem is blamed on.
    fn input(&self) -> Input {
        match self {
            Quantity::Tonnes(_) => Input::Quantity,
            Quantity::Emissions { .. } => Input::Emissions,
        }
    }
}

pub struct NewProvision {
    pub quantity: Quantity,
    /// Defaults to the default listing.
    pub listing: Option<ListingId>,
    pub beneficiary_name: BeneficiaryName,
    pub retirement_message: Option<RetirementMessage>,
}

impl NewProvision {
    /// What the request is, for telling a retry from another request with its reference.
    pub fn fingerprint(&self) -> Fingerprint {
        let quantity = match &self.quantity {
            Quantity::Tonnes(grams) => format!("{grams:?}"),
            Quantity::Emissions { ids, percentage } => {
                let ids: BTreeSet<EmissionId> = ids.iter().copied().collect();
                format!("{ids:?} × {percentage:?}")
            }
        };
        Fingerprint::of(&[
            ("quantity", &quantity),
            ("listing", &self.listing),
            ("beneficiary_name", &self.beneficiary_name),
            ("retirement_message", &self.retirement_message),
        ])
    }
}

/// What a provision is charged.
#[derive(Debug, Clone, Copy)]
pub enum Price {
    /// The listing's unit price now, plus the platform fee.
    Listing(FeeBps),
    /// A quote's price, held since it was given, whatever the listing costs now.
    Quoted {
        unit_price: Money,
        fee: FeeBps,
        total: Money,
    },
}

/// Where provisioning happens: the database, the fee, and how and when credits are retired.
pub struct Provisioning<'a> {
    pub db: &'a DatabaseConnection,
    pub fee: FeeBps,
    pub retirements: &'a Retirements,
    pub retirement_delay: Duration,
}

/// Holds the credits of a new provision: its quantity is taken from the listing's batches
/// (oldest vintage first) and recorded as its allocation, its emissions linked, while it waits
/// in `PENDING_PAYMENT`.
pub async fn reserve(
    txn: &DatabaseTransaction,
    organization: OrganizationId,
    new: NewProvision,
    price: Price,
    billing: Billing,
    request: Option<&Referenced>,
) -> Result<provision::Model> {
    let input = new.quantity.input();
    let (quantity, emission_ids, percentage) = match new.quantity {
        Quantity::Tonnes(quantity) => (quantity, Vec::new(), None),
        Quantity::Emissions { ids, percentage } => {
            let owned = owned_emissions(txn, organization, &ids).await?;
            let net: Grams = owned.iter().map(|(_, net)| *net).sum();
            let ids = owned.into_iter().map(|(id, _)| id).collect();
            (net.percent(percentage), ids, Some(percentage))
        }
    };
    if quantity <= Grams::ZERO {
        return Err(Error::invalid(
            input,
            "the emissions have no net CO2 to offset",
        ));
    }
    let listing_id = match new.listing {
        Some(id) => id,
        None => {
            crate::credits::default_listing(txn)
                .await?
                .ok_or_else(|| Error::insufficient_supply("no credit listing is available"))?
                .id
        }
    };
    let listing = ledger::lock_listing(txn, listing_id).await?;
    if quantity < listing.min_fill {
        return Err(Error::invalid(
            input,
            format!("the listing sells at least {} t", listing.min_fill.tonnes()),
        ));
    }
    let (unit_price, fee, total) = match price {
        Price::Listing(fee) => {
            let total = listing
                .unit_price
                .per_tonne_times(quantity, fee)
                .ok_or_else(|| Error::invalid(input, "the price would be too large to express"))?;
            (listing.unit_price, fee, total)
        }
        Price::Quoted {
            unit_price,
            fee,
            total,
        } => (unit_price, fee, total),
    };
    let ranges = ledger::allocate(txn, listing.id, quantity).await?;
    let now = Utc::now();
    let row = provision::ActiveModel {
        organization_id: Set(organization),
        listing_id: Set(listing.id),
        status: Set(ProvisionStatus::PendingPayment),
        billing: Set(billing),
        quantity_grams: Set(quantity.get()),
        offset_percentage: Set(percentage.map(|percentage| i32::from(percentage.get()))),
        unit_price_minor: Set(unit_price.minor),
        currency: Set(unit_price.currency),
        fee_bps: Set(fee.get() as i32),
        price_minor: Set(total.minor),
        invoice_month: Set(now.format("%Y-%m").to_string()),
        beneficiary_name: Set(new.beneficiary_name.0),
        retirement_message: Set(new
            .retirement_message
            .map(|message| message.0)
            .filter(|message| !message.is_empty())),
        created_at: Set(now),
        updated_at: Set(now),
        retire_after: Set(None),
        external_reference: Set(request.map(|request| request.reference.as_str().to_owned())),
        request_fingerprint: Set(request.map(|request| request.fingerprint.as_str().to_owned())),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    insert_links(txn, row.id, &emission_ids, now).await?;
    record_allocations(txn, row.id, &ranges).await?;
    Ok(row)
}

async fn record_allocations(
    txn: &DatabaseTransaction,
    provision: ProvisionId,
    ranges: &[GramRange],
) -> Result<()> {
    let now = Utc::now();
    let allocations = ranges.iter().map(|range| allocation::ActiveModel {
        provision_id: Set(provision),
        batch_id: Set(range.batch),
        start_gram: Set(range.start),
        end_gram: Set(range.end),
        created_at: Set(now),
        released_at: Set(None),
        ..Default::default()
    });
    allocation::Entity::insert_many(allocations)
        .exec(txn)
        .await?;
    Ok(())
}

/// Holds fresh credits for a provision whose hold was released (its checkout expired, then was
/// paid after all): back to `PENDING_PAYMENT`, or `INSUFFICIENT_SUPPLY` if none are left.
pub async fn hold_again(
    txn: &DatabaseTransaction,
    released: provision::Model,
) -> Result<provision::Model> {
    ledger::lock_listing(txn, released.listing_id).await?;
    let quantity = Grams::new(released.quantity_grams);
    let ranges = ledger::allocate(txn, released.listing_id, quantity).await?;
    record_allocations(txn, released.id, &ranges).await?;
    let mut row = released.into_active_model();
    row.status = Set(ProvisionStatus::PendingPayment);
    row.cancelled_at = Set(None);
    row.updated_at = Set(Utc::now());
    Ok(row.update(txn).await?)
}

/// Undoes a reservation that never became a checkout (the provider refused to open it): the
/// credits go back and nothing of the provision is left.
pub async fn discard(txn: &DatabaseTransaction, reserved: provision::Model) -> Result<()> {
    let id = reserved.id;
    release(txn, reserved, ProvisionStatus::Failed).await?;
    allocation::Entity::delete_many()
        .filter(allocation::Column::ProvisionId.eq(id))
        .exec(txn)
        .await?;
    provision_emission::Entity::delete_many()
        .filter(provision_emission::Column::ProvisionId.eq(id))
        .exec(txn)
        .await?;
    provision::Entity::delete_by_id(id).exec(txn).await?;
    Ok(())
}

/// Confirms a reserved provision: its hold becomes its allocation, its certificate is created
/// (`PENDING` until retirement) and its retirement falls due after `retirement_delay`.
pub async fn confirm(
    txn: &DatabaseTransaction,
    reserved: provision::Model,
    retirement_delay: Duration,
) -> Result<provision::Model> {
    let now = Utc::now();
    let id = reserved.id;
    let mut row = reserved.into_active_model();
    row.status = Set(ProvisionStatus::Confirmed);
    row.updated_at = Set(now);
    row.retire_after = Set(Some(
        now + chrono::Duration::from_std(retirement_delay).unwrap_or_default(),
    ));
    let row = row.update(txn).await?;
    certificates::create(txn, id, now).await?;
    Ok(row)
}

/// Gives a provision's held or allocated credits back to supply and moves it to `status`
/// (`CANCELLED`, `EXPIRED` or `FAILED`); its certificate, if any, becomes void.
pub async fn release(
    txn: &DatabaseTransaction,
    held: provision::Model,
    status: ProvisionStatus,
) -> Result<provision::Model> {
    let id = held.id;
    ledger::lock_listing(txn, held.listing_id).await?;
    let now = Utc::now();
    let allocated = allocation::Entity::find()
        .filter(allocation::Column::ProvisionId.eq(id))
        .filter(allocation::Column::ReleasedAt.is_null())
        .all(txn)
        .await?;
    let ranges: Vec<GramRange> = allocated
        .iter()
        .map(|allocation| GramRange {
            batch: allocation.batch_id,
            start: allocation.start_gram,
            end: allocation.end_gram,
        })
        .collect();
    ledger::release(txn, &ranges).await?;
    allocation::Entity::update_many()
        .col_expr(allocation::Column::ReleasedAt, Expr::value(now))
        .filter(allocation::Column::ProvisionId.eq(id))
        .filter(allocation::Column::ReleasedAt.is_null())
        .exec(txn)
        .await?;
    let mut row = held.into_active_model();
    row.status = Set(status);
    row.updated_at = Set(now);
    row.retire_after = Set(None);
    if status == ProvisionStatus::Cancelled {
        row.cancelled_at = Set(Some(now));
    }
    let row = row.update(txn).await?;
    certificates::settle(txn, id, CertificateStatus::Void, now).await?;
    Ok(row)
}

/// Provisions credits billed to the monthly invoice: reserved and confirmed in one
/// transaction, then retired at once when no delay is configured (else by the worker). With an
/// external reference, the same request sent again answers the provision it made.
pub async fn create(
    ctx: &Provisioning<'_>,
    organization: OrganizationId,
    new: NewProvision,
    reference: Option<ExternalReference>,
) -> Result<Created<Provision>> {
    let request = reference.map(|reference| Referenced {
        fingerprint: new.fingerprint(),
        reference,
    });
    let txn = crate::db::begin_write(ctx.db).await?;
    if let Some(request) = &request {
        crate::db::serialize_on(&txn, &request.lock_key("provision", organization)).await?;
        if let Some(existing) = by_reference(&txn, organization, request).await? {
            return Ok(Created::Replayed(existing.try_into()?));
        }
    }
    let price = Price::Listing(ctx.fee);
    let reserved = reserve(
        &txn,
        organization,
        new,
        price,
        Billing::Invoice,
        request.as_ref(),
    )
    .await?;
    let confirmed = confirm(&txn, reserved, ctx.retirement_delay).await?;
    txn.commit().await?;
    if !ctx.retirement_delay.is_zero() {
        ctx.retirements.wake();
        return Ok(Created::New(confirmed.try_into()?));
    }
    ctx.retirements.retire_if_due(ctx.db, confirmed.id).await?;
    super::find(ctx.db, organization, confirmed.id)
        .await?
        .map(Created::New)
        .ok_or_else(|| Error::not_found("Provision"))
}

/// The provision made with `request`'s reference, if it was this same request; a conflict
/// naming it if another request made it.
pub async fn by_reference(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    request: &Referenced,
) -> Result<Option<provision::Model>> {
    let Some(row) = provision::Entity::find()
        .filter(provision::Column::OrganizationId.eq(organization))
        .filter(provision::Column::ExternalReference.eq(request.reference.as_str()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if !same_request(row.request_fingerprint.as_deref(), &request.fingerprint) {
        return Err(Error::reference_taken(
            &request.reference,
            Existing::Provision(row.id),
        ));
    }
    Ok(Some(row))
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
    match row.status {
        ProvisionStatus::Cancelled => return Ok(row.try_into()?),
        ProvisionStatus::Confirmed | ProvisionStatus::PendingPayment
            if !retirement::in_progress(row.retirement_claimed_at) => {}
        ProvisionStatus::Confirmed => {
            return Err(Error::conflict(
                "the credits are being retired; retirement is irreversible",
            ));
        }
        status => {
            return Err(Error::conflict(format!(
                "a {} provision cannot be cancelled; retirement is irreversible",
                status_word(status)
            )));
        }
    }
    let row = release(&txn, row, ProvisionStatus::Cancelled).await?;
    txn.commit().await?;
    Ok(row.try_into()?)
}

/// The status in a sentence, as clients see it spelled (lower case).
pub(super) fn status_word(status: ProvisionStatus) -> String {
    use sea_orm::ActiveEnum;
    status.to_value().to_lowercase()
}
