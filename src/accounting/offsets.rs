//! How far each emission is offset: every offsetting provision (confirmed or retired) covers
//! its linked emissions in proportion to their net CO2, and an emission's offset is the sum of
//! its shares.

use std::collections::HashMap;

use rust_decimal::Decimal;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query, SimpleExpr};
use sea_orm::{ActiveEnum, ConnectionTrait, FromQueryResult, Iterable, QueryFilter, Select};

use crate::emissions::entity::emission;
use crate::error::Result;
use crate::ids::EmissionId;
use crate::provisions::entity::{provision, provision_emission};
use crate::provisions::{Provision, ProvisionStatus};
use crate::units::Grams;

/// What covers an emission: every provision linked to it, newest first, and how much of its
/// net CO2 the offsetting ones offset, in exact kilograms.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    pub provisions: Vec<Provision>,
    pub offset_kg: Decimal,
}

impl Coverage {
    /// The offset, rounded once, to the gram.
    pub fn offset(&self) -> Grams {
        Grams::from_kg(self.offset_kg)
    }

    /// The exact offset as a percentage of `net` (at most 2 decimals; 150 when offset 150 %).
    pub fn percentage_of(&self, net: Grams) -> Decimal {
        if net == Grams::ZERO {
            return Decimal::ZERO;
        }
        crate::units::round(self.offset_kg * Decimal::from(100) / net.kg(), 2).normalize()
    }

    /// How far an emission of net CO2 `net` is offset.
    pub fn status(&self, net: Grams) -> OffsetStatus {
        OffsetStatus::of(self.offset(), net)
    }
}

/// The coverage of each of `emissions`, in one statement whatever their number: each link
/// comes with its provision and the net CO2 of all the emissions that provision covers.
pub async fn coverage(
    db: &impl ConnectionTrait,
    emissions: &[EmissionId],
) -> Result<HashMap<EmissionId, Coverage>> {
    let backend = db.get_database_backend();
    // The net CO2 of every emission the row's provision covers, its share's denominator.
    let linked_net = Expr::cust(
        "(SELECT CAST(SUM(linked.net_co2_grams) AS BIGINT) FROM provision_emissions siblings \
         JOIN emissions linked ON linked.id = siblings.emission_id \
         WHERE siblings.provision_id = provisions.id)",
    );
    let query = Query::select()
        .columns(provision::Column::iter().map(|column| (provision::Entity, column)))
        .expr_as(
            Expr::col((
                provision_emission::Entity,
                provision_emission::Column::EmissionId,
            )),
            Alias::new("covered_emission_id"),
        )
        .expr_as(
            Expr::col((emission::Entity, emission::Column::NetCo2Grams)),
            Alias::new("covered_net_co2_grams"),
        )
        .expr_as(linked_net, Alias::new("linked_net_co2_grams"))
        .from(provision_emission::Entity)
        .inner_join(
            provision::Entity,
            Expr::col((provision::Entity, provision::Column::Id)).equals((
                provision_emission::Entity,
                provision_emission::Column::ProvisionId,
            )),
        )
        .inner_join(
            emission::Entity,
            Expr::col((emission::Entity, emission::Column::Id)).equals((
                provision_emission::Entity,
                provision_emission::Column::EmissionId,
            )),
        )
        .and_where(crate::db::any_of(
            backend,
            provision_emission::Column::EmissionId,
            emissions.iter().map(|id| id.0),
        ))
        .order_by((provision::Entity, provision::Column::Id), Order::Desc)
        .to_owned();
    let mut coverage: HashMap<EmissionId, Coverage> = emissions
        .iter()
        .map(|id| (*id, Coverage::default()))
        .collect();
    for row in db.query_all(&query).await? {
        let provision = Provision::try_from(provision::Model::from_query_result(&row, "")?)?;
        let emission = EmissionId(row.try_get("", "covered_emission_id")?);
        let own: i64 = row.try_get("", "covered_net_co2_grams")?;
        let total: i64 = row.try_get("", "linked_net_co2_grams")?;
        let covered = coverage.entry(emission).or_default();
        if ProvisionStatus::OFFSETTING.contains(&provision.status) && total > 0 {
            covered.offset_kg += Decimal::from(provision.quantity.get()) * Decimal::from(own)
                / Decimal::from(total)
                / Decimal::from(1_000);
        }
        covered.provisions.push(provision);
    }
    Ok(coverage)
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
