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

#[derive(Debug, Clone)]
pub struct EmissionSummary {
    pub id: EmissionId,
    pub aircraft_id: AircraftId,
    pub tail_number: TailNumber,
    pub estimate_id: Option<EstimateId>,
    pub co2: Grams,
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

/// The columns of a summary, and only those.
#[derive(DerivePartialModel)]
#[sea_orm(entity = "emission::Entity")]
struct SummaryRow {
    id: EmissionId,
    aircraft_id: AircraftId,
    tail_number: TailNumber,
    estimate_id: Option<EstimateId>,
    co2_grams: i64,
    net_co2_grams: i64,
    departed_at: Option<DateTime<Utc>>,
    origin: Option<String>,
    destination: Option<String>,
    external_reference: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<SummaryRow> for EmissionSummary {
    fn from(row: SummaryRow) -> Self {
        EmissionSummary {
            id: row.id,
            aircraft_id: row.aircraft_id,
            tail_number: row.tail_number,
            estimate_id: row.estimate_id,
            co2: Grams::new(row.co2_grams),
            net_co2: Grams::new(row.net_co2_grams),
            departed_at: row.departed_at,
            origin: row.origin,
            destination: row.destination,
            external_reference: row.external_reference,
            created_at: row.created_at,
        }
    }
}

/// The summaries of the emissions `select` reads, reading only their columns.
pub async fn summaries(
    db: &impl ConnectionTrait,
    select: Select<emission::Entity>,
) -> Result<Vec<EmissionSummary>> {
    let rows = select.into_partial_model::<SummaryRow>().all(db).await?;
    Ok(rows.into_iter().map(EmissionSummary::from).collect())
}
