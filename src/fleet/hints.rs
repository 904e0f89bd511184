//! Aircraft recently looked up by tail number, so that an estimate can skip the lookup: a hint
//! is never trusted, the statement that relies on it checks in the same breath that the
//! aircraft is still as remembered (same tail, type and fuel, not archived), so a hint gone
//! stale on any instance is simply not used.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use sea_orm::sea_query::{Expr, Query, SimpleExpr};
use sea_orm::{ColumnTrait, EntityName};

use super::{Aircraft, TailNumber, entity};
use crate::ids::OrganizationId;

/// Hints kept at most; beyond, the oldest half is forgotten (a fleet's worth stays warm).
const CAPACITY: usize = 10_000;

#[derive(Default)]
pub struct AircraftHints {
    known: Mutex<Known>,
}

#[derive(Default)]
struct Known {
    by_tail: HashMap<(OrganizationId, TailNumber), Remembered>,
    remembered: u64,
}

struct Remembered {
    aircraft: Aircraft,
    /// When it was remembered, in insertions: the order the oldest are forgotten in.
    generation: u64,
}

impl AircraftHints {
    /// The aircraft last seen with this tail number, if any.
    pub fn get(&self, organization: OrganizationId, tail: &TailNumber) -> Option<Aircraft> {
        let known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        known
            .by_tail
            .get(&(organization, tail.clone()))
            .map(|remembered| remembered.aircraft.clone())
    }

    pub fn remember(&self, aircraft: &Aircraft) {
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        let Known {
            by_tail,
            remembered,
        } = &mut *known;
        if by_tail.len() >= CAPACITY {
            let oldest_kept = *remembered - (CAPACITY / 2) as u64;
            by_tail.retain(|_, hint| hint.generation >= oldest_kept);
        }
        let generation = *remembered;
        *remembered += 1;
        let key = (aircraft.organization_id, aircraft.tail_number.clone());
        by_tail.insert(
            key,
            Remembered {
                aircraft: aircraft.clone(),
                generation,
            },
        );
    }

    pub fn forget(&self, organization: OrganizationId, tail: &TailNumber) {
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        known.by_tail.remove(&(organization, tail.clone()));
    }
}

/// True while `aircraft` is still in its fleet as remembered: the condition a statement
/// relying on a hint adds.
pub fn still_as_remembered(aircraft: &Aircraft) -> SimpleExpr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(entity::Entity.table_ref())
            .and_where(entity::Column::Id.eq(aircraft.id))
            .and_where(entity::Column::OrganizationId.eq(aircraft.organization_id))
            .and_where(entity::Column::TailNumber.eq(aircraft.tail_number.clone()))
            .and_where(entity::Column::ModelCode.eq(aircraft.model_code.as_str()))
            .and_where(entity::Column::FuelType.eq(aircraft.fuel_type))
            .and_where(entity::Column::ArchivedAt.is_null())
            .to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::fuel::FuelType;
    use crate::ids::AircraftId;

    fn aircraft(n: usize) -> Aircraft {
        Aircraft {
            id: AircraftId(n as i64),
            organization_id: OrganizationId(1),
            tail_number: TailNumber::parse(&format!("N{}", n + 10_000)).unwrap(),
            model_code: "E55P".to_owned(),
            fuel_type: FuelType::JetA,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            archived_at: None,
        }
    }

    #[test]
    fn keeps_at_most_its_capacity_forgetting_the_oldest() {
        let hints = AircraftHints::default();
        for n in 0..=CAPACITY {
            hints.remember(&aircraft(n));
        }
        let known = |n: usize| hints.get(OrganizationId(1), &aircraft(n).tail_number);
        assert!(hints.known.lock().unwrap().by_tail.len() <= CAPACITY);
        assert_eq!(
            known(CAPACITY).map(|a| a.id),
            Some(AircraftId(CAPACITY as i64))
        );
        assert_eq!(
            known(CAPACITY - 1).map(|a| a.id),
            Some(AircraftId(CAPACITY as i64 - 1))
        );
        assert!(known(0).is_none(), "the oldest is forgotten");
        hints.forget(OrganizationId(1), &aircraft(CAPACITY).tail_number);
        assert!(known(CAPACITY).is_none());
    }
}
