//! Durations learned from an organization's own recorded flights (SPEC §5a): Contrail ships
//! no speeds, so a leg without a duration takes it from the line of that aircraft's flights,
//! else of the organization's flights of that type.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::entity::emission;
use super::route::{DurationSource, Line, MIN_FLIGHTS, Sample, great_circle_km};
use crate::error::{Error, Input, Result};
use crate::ids::{AircraftId, OrganizationId};
use crate::units::DurationMinutes;

/// The line a leg's duration is learned from, fitted once per estimate.
pub struct Learner {
    /// The usable line and which flights it was fitted to; `None` when no set gives one.
    line: Option<(Line, DurationSource)>,
    of_aircraft: usize,
    of_type: usize,
    model_code: String,
}

/// The most recent flights of a type a line is learned from: enough for any fit, and a bound
/// on the work one estimate does however many flights an operator records.
const MAX_RECENT_FLIGHTS: u64 = 1_000;

/// A recorded flight as learning reads it: aircraft, minutes, origin, destination, legs.
type RecordedFlight = (
    AircraftId,
    i32,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// A learned duration and what it was learned from.
pub struct Learned {
    pub duration: DurationMinutes,
    pub source: DurationSource,
    pub flights: u32,
}

impl Learner {
    /// Reads the organization's most recent recorded flights of `model_code` with an origin, a
    /// destination and a duration it was given (a learned duration never teaches the next).
    /// Only this organization's flights: one operator's flights never shape another's
    /// estimates.
    pub async fn load(
        db: &impl ConnectionTrait,
        organization: OrganizationId,
        aircraft: Option<AircraftId>,
        model_code: &str,
    ) -> Result<Learner> {
        let rows: Vec<RecordedFlight> = emission::Entity::find()
            .select_only()
            .columns([
                emission::Column::AircraftId,
                emission::Column::DurationMinutes,
                emission::Column::Origin,
                emission::Column::Destination,
                emission::Column::Legs,
            ])
            .filter(emission::Column::OrganizationId.eq(organization))
            .filter(emission::Column::ModelCode.eq(model_code))
            .order_by_desc(emission::Column::Id)
            .limit(MAX_RECENT_FLIGHTS)
            .into_tuple()
            .all(db)
            .await?;
        let (mut of_aircraft, mut of_type) = (Vec::new(), Vec::new());
        for (aircraft_id, minutes, origin, destination, legs) in rows {
            let samples = samples_of(minutes, origin.as_deref(), destination.as_deref(), legs)?;
            if Some(aircraft_id) == aircraft {
                of_aircraft.extend_from_slice(&samples);
            }
            of_type.extend(samples);
        }
        // The aircraft's own flights when it has enough, else the type's.
        let (samples, source) = if of_aircraft.len() >= MIN_FLIGHTS {
            (&of_aircraft, DurationSource::LearnedAircraft)
        } else {
            (&of_type, DurationSource::LearnedType)
        };
        Ok(Learner {
            line: Line::fit(samples).map(|line| (line, source)),
            of_aircraft: of_aircraft.len(),
            of_type: of_type.len(),
            model_code: model_code.to_owned(),
        })
    }

    /// The duration of a leg this long, from the line; an error on the leg's duration naming
    /// the usable flights on record when there is no line, or it gives no valid duration.
    pub fn learn(&self, great_circle_km: f64, leg: Option<usize>) -> Result<Learned> {
        let learned = self
            .line
            .and_then(|(line, source)| Some((line.duration(great_circle_km)?, source, line)));
        match learned {
            Some((duration, source, line)) => Ok(Learned {
                duration,
                source,
                flights: line.flights,
            }),
            None => Err(Error::invalid(
                Input::Duration { leg },
                format!(
                    "DURATION_REQUIRED: no duration given and none can be learned: {} usable \
                     flights of this aircraft and {} of type {} are on record (a line needs at \
                     least {MIN_FLIGHTS} with an origin, a destination and a given duration, \
                     the longest at least 1.5× the shortest, R² ≥ 0.8 and a non-negative \
                     intercept, giving 1 to 2880 minutes); give the duration",
                    self.of_aircraft, self.of_type, self.model_code,
                ),
            )),
        }
    }
}

/// The points a recorded flight gives: each leg of given duration, or a flight recorded before
/// legs were stored with its origin, destination and duration.
fn samples_of(
    minutes: i32,
    origin: Option<&str>,
    destination: Option<&str>,
    legs: Option<String>,
) -> Result<Vec<Sample>> {
    if let Some(legs) = legs {
        let legs: Vec<super::route::Leg> = serde_json::from_str(&legs)
            .map_err(|error| sea_orm::DbErr::Custom(format!("stored legs: {error}")))?;
        return Ok(legs
            .into_iter()
            .filter(|leg| leg.duration_source == DurationSource::Given)
            .map(|leg| Sample {
                great_circle_km: leg.great_circle_m as f64 / 1_000.0,
                minutes: f64::from(leg.duration_minutes),
            })
            .collect());
    }
    let (Some(origin), Some(destination)) = (origin, destination) else {
        return Ok(Vec::new());
    };
    let (Ok(origin), Ok(destination)) = (
        crate::airports::resolve(origin),
        crate::airports::resolve(destination),
    ) else {
        return Ok(Vec::new());
    };
    if origin.icao == destination.icao {
        return Ok(Vec::new());
    }
    Ok(vec![Sample {
        great_circle_km: great_circle_km(origin, destination),
        minutes: f64::from(minutes),
    }])
}
