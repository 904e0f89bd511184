//! An aircraft with recorded flights or estimates stays on the books: it is archived, never
//! deleted, so every figure keeps the aircraft it was computed for.

use sea_orm::{ConnectionTrait, PaginatorTrait};

use crate::error::Result;
use crate::fleet::{self, Aircraft, Removal};
use crate::ids::{AircraftId, OrganizationId};

/// Whether anything recorded refers to the aircraft.
pub async fn aircraft_has_history(db: &impl ConnectionTrait, aircraft: AircraftId) -> Result<bool> {
    let emissions = crate::emissions::select_for_aircraft(aircraft)
        .count(db)
        .await?;
    let estimates = crate::emissions::select_estimates_for_aircraft(aircraft)
        .count(db)
        .await?;
    Ok(emissions + estimates > 0)
}

/// Takes an aircraft out of the fleet: deleted without history, archived with it.
pub async fn remove_aircraft(
    db: &impl ConnectionTrait,
    organization: OrganizationId,
    id: AircraftId,
) -> Result<Aircraft> {
    let removal = if aircraft_has_history(db, id).await? {
        Removal::Archive
    } else {
        Removal::Delete
    };
    fleet::remove(db, organization, id, removal).await
}
