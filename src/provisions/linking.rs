//! Which emissions a provision covers: it covers them in proportion to their net CO2.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::entity::provision_emission;
use super::lifecycle::status_word;
use super::{Provision, ProvisionStatus, find_for_update, linked_emissions};
use crate::emissions::entity::emission;
use crate::error::{Error, Result};
use crate::ids::{EmissionId, OrganizationId, ProvisionId};
use crate::units::Grams;

/// Links emissions to a provision: all of them or, if any is unknown or foreign, none.
/// Linking an emission already linked changes nothing. A retired provision's certificate is
/// issued, so its flights are final: linking a new one is a `CONFLICT`.
pub async fn link(
    db: &DatabaseConnection,
    organization: OrganizationId,
    id: ProvisionId,
    emissions: &[EmissionId],
) -> Result<Provision> {
    let txn = crate::db::begin_write(db).await?;
    let row = find_for_update(&txn, organization, id).await?;
    if !matches!(
        row.status,
        ProvisionStatus::PendingPayment | ProvisionStatus::Confirmed | ProvisionStatus::Retired
    ) {
        return Err(Error::conflict(format!(
            "the provision is {}",
            status_word(row.status)
        )));
    }
    let emissions: Vec<EmissionId> = owned_emissions(&txn, organization, emissions)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    if row.status == ProvisionStatus::Retired {
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
    Ok(row.try_into()?)
}

/// Unlinks an emission from a provision that is not retired.
pub async fn unlink(
    db: &DatabaseConnection,
    organization: OrganizationId,
    id: ProvisionId,
    emission: EmissionId,
) -> Result<Provision> {
    let txn = crate::db::begin_write(db).await?;
    let row = find_for_update(&txn, organization, id).await?;
    if row.status == ProvisionStatus::Retired {
        return Err(retired_is_final());
    }
    let (emission, _) = owned_emissions(&txn, organization, &[emission]).await?[0];
    provision_emission::Entity::delete_many()
        .filter(provision_emission::Column::ProvisionId.eq(id))
        .filter(provision_emission::Column::EmissionId.eq(emission))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(row.try_into()?)
}

/// Its certificate is issued: the flights it names can no longer change.
fn retired_is_final() -> Error {
    Error::conflict(
        "the provision is retired and its certificate issued: the flights it covers are final",
    )
}

/// The distinct emissions with their net CO2, if every id is an emission of the organization;
/// `NOT_FOUND` otherwise.
pub(super) async fn owned_emissions(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    ids: &[EmissionId],
) -> Result<Vec<(EmissionId, Grams)>> {
    let wanted: BTreeSet<EmissionId> = ids.iter().copied().collect();
    let found: Vec<(EmissionId, i64)> = emission::Entity::find()
        .select_only()
        .column(emission::Column::Id)
        .column(emission::Column::NetCo2Grams)
        .filter(emission::Column::OrganizationId.eq(organization))
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
        .map(|(id, net)| (id, Grams::new(net)))
        .collect())
}

pub(super) async fn insert_links(
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
            provision_id: Set(provision),
            emission_id: Set(*emission),
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
