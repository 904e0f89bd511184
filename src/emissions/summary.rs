//! An emission as a list shows it: without its flight's details (type, fuel, SAF, factors,
//! legs…), which are most of its columns. A page of 100 emissions read whole copies and decodes
//! about 2,700 values; its summaries, about 1,100.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DerivePartialModel, Select};

use super::entity::emission;
use super::{Emission, FlightFigures};
use crate::error::Result;
use crate::fleet::TailNumber;
use crate::ids::{AircraftId, EmissionId, EstimateId};
use crate::units::Grams;

/// Read from these columns alone (see [`summaries`]).
#[derive(Debug, Clone, DerivePartialModel)]
#[sea_orm(entity = "emission::Entity")]
pub struct EmissionSummary {
    pub id: EmissionId,
    pub aircraft_id: AircraftId,
    pub tail_number: TailNumber,
    pub estimate_id: Option<EstimateId>,
    #[sea_orm(from_col = "co2_grams")]
    pub co2: Grams,
    #[sea_orm(from_col = "net_co2_grams")]
    pub net_co2: Grams,
    pub departed_at: Option<DateTime<Utc>>,
    pub origin: Option<String>,
    pub destination: Option<String>,
    pub external_reference: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Emission {
    /// The emission as a list shows it, and its flight's details.
    pub fn into_parts(self) -> (EmissionSummary, FlightFigures) {
        let summary = EmissionSummary {
            id: self.id,
            aircraft_id: self.aircraft_id,
            tail_number: self.tail_number,
            estimate_id: self.estimate_id,
            co2: self.flight.figures.co2,
            net_co2: self.flight.figures.net_co2,
            departed_at: self.departed_at,
            origin: self.origin,
            destination: self.destination,
            external_reference: self.external_reference,
            created_at: self.created_at,
        };
        (summary, self.flight)
    }
}

/// The summaries of the emissions `select` reads, reading only their columns.
pub async fn summaries(
    db: &impl ConnectionTrait,
    select: Select<emission::Entity>,
) -> Result<Vec<EmissionSummary>> {
    Ok(select.into_partial_model().all(db).await?)
}
