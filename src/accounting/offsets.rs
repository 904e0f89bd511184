//! How far each emission is offset: every offsetting provision (confirmed or retired) covers
//! its linked emissions in proportion to their net CO2, and an emission's offset is the sum of
//! its shares.

use std::collections::{BTreeSet, HashMap};

use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Select,
};

use crate::emissions::entity::emission;
use crate::error::Result;
use crate::ids::{EmissionId, ProvisionId};
use crate::provisions::ProvisionStatus;
use crate::provisions::entity::{provision, provision_emission};
use crate::units::Grams;

/// How much of each emission's net CO2 is offset, in exact kilograms.
pub async fn offsets(
    db: &impl ConnectionTrait,
    emissions: &[EmissionId],
) -> Result<HashMap<EmissionId, Decimal>> {
    let covering: Vec<(EmissionId, ProvisionId, i64)> = provision_emission::Entity::find()
        .select_only()
        .column(provision_emission::Column::EmissionId)
        .column(provision_emission::Column::ProvisionId)
        .column(provision::Column::QuantityGrams)
        .inner_join(provision::Entity)
        .filter(provision_emission::Column::EmissionId.is_in(emissions.iter().copied()))
        .filter(provision::Column::Status.is_in(ProvisionStatus::OFFSETTING))
        .into_tuple()
        .all(db)
        .await?;
    let mut offsets: HashMap<EmissionId, Decimal> =
        emissions.iter().map(|id| (*id, Decimal::ZERO)).collect();
    if covering.is_empty() {
        return Ok(offsets);
    }
    // Every emission each covering provision is linked to, with its net CO2.
    let provisions: BTreeSet<ProvisionId> = covering
        .iter()
        .map(|(_, provision, _)| *provision)
        .collect();
    let shares: Vec<(ProvisionId, EmissionId, i64)> = provision_emission::Entity::find()
        .select_only()
        .column(provision_emission::Column::ProvisionId)
        .column(provision_emission::Column::EmissionId)
        .column(emission::Column::NetCo2Grams)
        .inner_join(emission::Entity)
        .filter(provision_emission::Column::ProvisionId.is_in(provisions))
        .into_tuple()
        .all(db)
        .await?;
    let mut linked_net: HashMap<ProvisionId, i64> = HashMap::new();
    let mut net: HashMap<EmissionId, i64> = HashMap::new();
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
            *offsets.entry(emission).or_default() += share_kg;
        }
    }
    Ok(offsets)
}

/// How far an emission's net CO2 is offset, judged on the offset rounded to the gram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// Keeps the emissions whose status is `status`, computed in SQL so a filtered list pages like
/// any other.
pub fn with_status(
    select: Select<emission::Entity>,
    status: OffsetStatus,
) -> Select<emission::Entity> {
    select.filter(status_condition(status))
}

/// [`OffsetStatus::of`] in SQL. The coverage of an emission is the sum, over its offsetting
/// provisions, of quantity ÷ the net CO2 of all the provision's emissions; its offset in grams
/// is coverage × net. Rounding to the gram becomes comparing with a half gram.
fn status_condition(status: OffsetStatus) -> SimpleExpr {
    let offsetting = ProvisionStatus::OFFSETTING
        .iter()
        .map(|status| format!("'{}'", status.to_value()))
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
