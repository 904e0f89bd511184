//! The credits ledger: batches of grams behind each listing, and allocation of exact gram
//! ranges from them.
//!
//! Every change to a listing's free ranges happens in a write transaction that first locks the
//! listing row ([`lock_listing`]): on PostgreSQL a row lock shared by every instance, on SQLite
//! the database write lock taken at `BEGIN IMMEDIATE`. Allocations of one listing therefore
//! run one at a time and never see a range another is taking.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::Listing;
use super::entity::{batch, free_range, listing};
use crate::error::{Error, Result};
use crate::ids::{BatchId, ListingId};
use crate::units::Grams;

#[derive(Debug, Clone)]
pub struct Batch {
    pub id: BatchId,
    pub listing_id: ListingId,
    pub serial_prefix: String,
    pub vintage: i32,
    pub quantity: Grams,
}

impl From<batch::Model> for Batch {
    fn from(row: batch::Model) -> Self {
        Batch {
            id: row.id,
            listing_id: row.listing_id,
            serial_prefix: row.serial_prefix,
            vintage: row.vintage,
            quantity: Grams::new(row.quantity_grams),
        }
    }
}

/// Grams `[start, end)` of one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GramRange {
    pub batch: BatchId,
    pub start: i64,
    pub end: i64,
}

impl GramRange {
    pub fn len(self) -> Grams {
        Grams::new(self.end - self.start)
    }
}

pub struct NewBatch {
    pub listing: ListingId,
    pub serial_prefix: String,
    pub vintage: i32,
    pub quantity: Grams,
}

/// Adds a batch to a listing's supply; all of its grams are free.
pub async fn add_batch(txn: &DatabaseTransaction, new: NewBatch) -> Result<BatchId> {
    lock_listing(txn, new.listing).await?;
    let row = batch::ActiveModel {
        listing_id: Set(new.listing),
        serial_prefix: Set(new.serial_prefix.clone()),
        vintage: Set(new.vintage),
        quantity_grams: Set(new.quantity.get()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(|error| {
        if crate::db::is_unique_violation(&error) {
            Error::conflict(format!(
                "a batch with serial prefix {:?} already exists",
                new.serial_prefix
            ))
        } else {
            error.into()
        }
    })?;
    free_range::ActiveModel {
        batch_id: Set(row.id),
        start_gram: Set(0),
        end_gram: Set(new.quantity.get()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(row.id)
}

/// Locks a listing for a change to its supply, for the rest of the transaction.
pub async fn lock_listing(txn: &DatabaseTransaction, id: ListingId) -> Result<Listing> {
    let row = listing::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| Error::not_found("Listing"))?;
    Ok(row.into())
}

/// The listing's free ranges in allocation order: oldest vintage first, then batch, then gram.
async fn free_ranges(
    txn: &DatabaseTransaction,
    listing: ListingId,
) -> Result<Vec<(batch::Model, free_range::Model)>> {
    let batches = batch::Entity::find()
        .filter(batch::Column::ListingId.eq(listing))
        .order_by_asc(batch::Column::Vintage)
        .order_by_asc(batch::Column::Id)
        .all(txn)
        .await?;
    let mut ranges: HashMap<BatchId, Vec<free_range::Model>> = HashMap::new();
    for range in free_range::Entity::find()
        .filter(free_range::Column::BatchId.is_in(batches.iter().map(|batch| batch.id)))
        .order_by_asc(free_range::Column::StartGram)
        .all(txn)
        .await?
    {
        ranges.entry(range.batch_id).or_default().push(range);
    }
    Ok(batches
        .into_iter()
        .flat_map(|batch| {
            let ranges = ranges.remove(&batch.id).unwrap_or_default();
            ranges.into_iter().map(move |range| (batch.clone(), range))
        })
        .collect())
}

/// Takes `quantity` grams from the listing's free ranges, oldest vintage first. The caller
/// holds the listing's lock ([`lock_listing`]). Not enough supply: `INSUFFICIENT_SUPPLY`,
/// and nothing is taken.
pub async fn allocate(
    txn: &DatabaseTransaction,
    listing: ListingId,
    quantity: Grams,
) -> Result<Vec<GramRange>> {
    let free = free_ranges(txn, listing).await?;
    let available: i64 = free
        .iter()
        .map(|(_, range)| range.end_gram - range.start_gram)
        .sum();
    if available < quantity.get() {
        return Err(Error::insufficient_supply(format!(
            "the listing has {} t available, {} t requested",
            Grams::new(available).tonnes(),
            quantity.tonnes()
        )));
    }
    let mut remaining = quantity.get();
    let mut taken = Vec::new();
    for (batch, range) in free {
        if remaining == 0 {
            break;
        }
        let take = Ord::min(remaining, range.end_gram - range.start_gram);
        taken.push(GramRange {
            batch: batch.id,
            start: range.start_gram,
            end: range.start_gram + take,
        });
        remaining -= take;
        if take == range.end_gram - range.start_gram {
            free_range::Entity::delete_by_id(range.id).exec(txn).await?;
        } else {
            let start = range.start_gram + take;
            let mut range = range.into_active_model();
            range.start_gram = Set(start);
            range.update(txn).await?;
        }
    }
    Ok(taken)
}

/// Returns ranges to their batches' free supply. The caller holds the listing's lock.
pub async fn release(txn: &DatabaseTransaction, ranges: &[GramRange]) -> Result<()> {
    if ranges.is_empty() {
        return Ok(());
    }
    let rows = ranges.iter().map(|range| free_range::ActiveModel {
        batch_id: Set(range.batch),
        start_gram: Set(range.start),
        end_gram: Set(range.end),
        ..Default::default()
    });
    free_range::Entity::insert_many(rows).exec(txn).await?;
    Ok(())
}

/// Free grams of each listing, in one statement.
pub async fn available(
    db: &impl ConnectionTrait,
    listings: &[ListingId],
) -> Result<HashMap<ListingId, Grams>> {
    let free: Vec<(ListingId, i64)> = free_range::Entity::find()
        .select_only()
        .column(batch::Column::ListingId)
        // PostgreSQL sums BIGINT to NUMERIC; the cast keeps one column type on both databases.
        .column_as(
            Expr::cust(
                "CAST(SUM(credit_free_ranges.end_gram - credit_free_ranges.start_gram) AS BIGINT)",
            ),
            "free_grams",
        )
        .inner_join(batch::Entity)
        .filter(crate::db::any_of(
            db.get_database_backend(),
            batch::Column::ListingId,
            listings.iter().map(|id| id.0),
        ))
        .group_by(batch::Column::ListingId)
        .into_tuple()
        .all(db)
        .await?;
    let mut available: HashMap<ListingId, Grams> =
        listings.iter().map(|id| (*id, Grams::ZERO)).collect();
    available.extend(free.into_iter().map(|(id, grams)| (id, Grams::new(grams))));
    Ok(available)
}

pub async fn list_batches(
    db: &impl ConnectionTrait,
    listing: Option<ListingId>,
) -> Result<Vec<Batch>> {
    let mut select = batch::Entity::find().order_by_asc(batch::Column::Id);
    if let Some(listing) = listing {
        select = select.filter(batch::Column::ListingId.eq(listing));
    }
    Ok(select.all(db).await?.into_iter().map(Into::into).collect())
}

pub async fn find_batches(db: &impl ConnectionTrait, ids: &[BatchId]) -> Result<Vec<Batch>> {
    let rows = batch::Entity::find()
        .filter(batch::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}
