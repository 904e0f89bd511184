//! Quotes (seed `001`): the price of a quantity of a listing's credits, platform fee included,
//! held until it expires and used by one checkout at most.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QuerySelect, Set,
};

use super::entity::quote;
use crate::credits::ledger;
use crate::error::{Error, Input, Result};
use crate::ids::{ListingId, OrganizationId, QuoteId};
use crate::units::{FeeBps, Grams, Money};

pub type Quote = quote::Model;

impl quote::Model {
    pub fn quantity(&self) -> Grams {
        Grams::new(self.quantity_grams)
    }

    pub fn unit_price(&self) -> Money {
        Money::new(self.unit_price_minor, self.currency)
    }

    pub fn subtotal(&self) -> Money {
        Money::new(self.subtotal_minor, self.currency)
    }

    pub fn fee(&self) -> Money {
        Money::new(self.fee_minor, self.currency)
    }

    pub fn total(&self) -> Money {
        Money::new(self.total_minor, self.currency)
    }

    pub fn fee_bps(&self) -> FeeBps {
        FeeBps::new(u32::try_from(self.fee_bps).unwrap_or(u32::MAX)).unwrap_or_default()
    }
}

/// Prices `quantity` of the listing's credits now and holds that price for `validity`. The
/// supply is checked, not held: a checkout holds it.
pub async fn create(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    listing: ListingId,
    quantity: Grams,
    fee: FeeBps,
    validity: Duration,
) -> Result<Quote> {
    let listing = crate::credits::find_listing(db, listing)
        .await?
        .ok_or_else(|| Error::not_found("Listing"))?;
    if quantity < listing.min_fill {
        return Err(Error::invalid(
            Input::Quantity,
            format!("the listing sells at least {} t", listing.min_fill.tonnes()),
        ));
    }
    let available = ledger::available(db, &[listing.id])
        .await?
        .remove(&listing.id)
        .unwrap_or_default();
    if available < quantity {
        return Err(Error::insufficient_supply(format!(
            "the listing has {} t available, {} t requested",
            available.tonnes(),
            quantity.tonnes()
        )));
    }
    let too_large = || Error::invalid(Input::Quantity, "the price would be too large to express");
    let subtotal = listing
        .unit_price
        .per_tonne_times(quantity, FeeBps::default())
        .ok_or_else(too_large)?;
    let total = listing
        .unit_price
        .per_tonne_times(quantity, fee)
        .ok_or_else(too_large)?;
    let now = Utc::now();
    let issued = quote::ActiveModel {
        organization_id: Set(organization),
        listing_id: Set(listing.id),
        quantity_grams: Set(quantity.get()),
        unit_price_minor: Set(listing.unit_price.minor),
        currency: Set(listing.unit_price.currency),
        fee_bps: Set(fee.get() as i32),
        subtotal_minor: Set(subtotal.minor),
        fee_minor: Set(total.minor - subtotal.minor),
        total_minor: Set(total.minor),
        created_at: Set(now),
        expires_at: Set(now + chrono::Duration::from_std(validity).unwrap_or_default()),
        consumed_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    metrics::counter!("contrail_quotes_issued_total").increment(1);
    Ok(issued)
}

pub async fn find(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    id: QuoteId,
) -> Result<Option<Quote>> {
    Ok(quote::Entity::find_by_id(id)
        .filter(quote::Column::OrganizationId.eq(organization))
        .one(db)
        .await?)
}

pub async fn find_many(db: &impl ConnectionTrait, ids: &[QuoteId]) -> Result<Vec<Quote>> {
    Ok(quote::Entity::find()
        .filter(crate::db::any_of(
            db.get_database_backend(),
            quote::Column::Id,
            ids.iter().map(|id| id.0),
        ))
        .all(db)
        .await?)
}

/// Uses a quote, inside the checkout's transaction: an expired one is `QUOTE_EXPIRED`, one
/// used already a `CONFLICT`.
pub async fn consume(
    txn: &DatabaseTransaction,
    organization: OrganizationId,
    id: QuoteId,
) -> Result<Quote> {
    let row = quote::Entity::find_by_id(id)
        .filter(quote::Column::OrganizationId.eq(organization))
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| Error::not_found("Quote"))?;
    let now = Utc::now();
    if row.consumed_at.is_some() {
        return Err(Error::conflict("the quote has been used already"));
    }
    if row.expires_at <= now {
        return Err(Error::Expired(format!(
            "the quote expired at {}; request a new one",
            row.expires_at.to_rfc3339()
        )));
    }
    let mut active = row.into_active_model();
    active.consumed_at = Set(Some(now));
    Ok(active.update(txn).await?)
}

/// Makes a quote usable again when the checkout that used it could not be opened.
pub async fn restore(txn: &DatabaseTransaction, id: QuoteId) -> Result<()> {
    let mut active = quote::ActiveModel {
        id: Set(id),
        ..Default::default()
    };
    active.consumed_at = Set(None);
    active.update(txn).await?;
    Ok(())
}
