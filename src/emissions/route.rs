//! Trips by airport (methodology `contrail-2026.2`, SPEC §5a): the distance of each leg, and
//! the durations learned from an organization's own recorded flights when none is given.

use serde::{Deserialize, Serialize};

use crate::airports::Airport;
use crate::units::{DurationMinutes, Grams};

/// The IUGG mean Earth radius.
const EARTH_RADIUS_KM: f64 = 6_371.008_8;
/// Most legs a trip may have.
pub const MAX_LEGS: usize = 20;

/// Great-circle distance between two airports, kilometres (haversine).
pub fn great_circle_km(from: &Airport, to: &Airport) -> f64 {
    let (lat1, lat2) = (from.latitude.to_radians(), to.latitude.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (to.longitude - from.longitude).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// The ICAO Carbon Emissions Calculator's allowance for routing, stacking and weather, in
/// kilometres: +50 below 550 km, +100 from 550 km to 5,500 km, +125 above.
pub fn icao_correction_km(great_circle_km: f64) -> f64 {
    if great_circle_km < 550.0 {
        50.0
    } else if great_circle_km <= 5_500.0 {
        100.0
    } else {
        125.0
    }
}

/// Kilometres to whole metres, as stored.
fn metres(km: f64) -> i64 {
    (km * 1_000.0).round() as i64
}

/// Where a leg's duration came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DurationSource {
    Given,
    /// The line fitted to this aircraft's recorded flights.
    LearnedAircraft,
    /// The line fitted to the recorded flights of the organization's aircraft of this type.
    LearnedType,
}

/// A leg as a client asks for it.
#[derive(Debug, Clone)]
pub struct LegRequest {
    pub origin: &'static Airport,
    pub destination: &'static Airport,
    pub duration: Option<DurationMinutes>,
    /// An empty (positioning) leg: it counts in the trip's total (ISO 14083).
    pub positioning: bool,
}

/// A leg with its distance, duration and figures, stored with the flight as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leg {
    /// ICAO indicators of the resolved airports.
    pub origin: String,
    pub destination: String,
    pub great_circle_m: i64,
    /// Great circle plus the ICAO correction.
    pub distance_m: i64,
    pub duration_minutes: u16,
    pub duration_source: DurationSource,
    pub positioning: bool,
    pub fuel_burned_g: i64,
    pub co2_g: i64,
    pub saf_reduction_g: i64,
    pub net_co2_g: i64,
    /// How many recorded flights the learned line was fitted to (learned durations only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learned_from_flights: Option<u32>,
}

impl Leg {
    pub fn great_circle(&self) -> Metres {
        Metres(self.great_circle_m)
    }

    pub fn distance(&self) -> Metres {
        Metres(self.distance_m)
    }

    pub fn co2(&self) -> Grams {
        Grams::new(self.co2_g)
    }
}

/// A distance in whole metres, shown in kilometres with 3 decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Metres(pub i64);

impl Metres {
    pub fn km(self) -> rust_decimal::Decimal {
        rust_decimal::Decimal::new(self.0, 3)
    }
}

/// A leg's great circle and corrected distance, in metres, from its great circle in km.
pub fn distances(great_circle: f64) -> (Metres, Metres) {
    (
        Metres(metres(great_circle)),
        Metres(metres(great_circle + icao_correction_km(great_circle))),
    )
}

/// One recorded flight of known duration and distance, a point of a learned line.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub great_circle_km: f64,
    pub minutes: f64,
}

/// The least squares line `duration = a + b × great-circle km` of some recorded flights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line {
    pub intercept: f64,
    pub slope: f64,
    pub r_squared: f64,
    pub flights: u32,
}

/// The thresholds of SPEC §5a a line must meet to be used.
pub const MIN_FLIGHTS: usize = 5;
const MIN_SPAN_RATIO: f64 = 1.5;
const MIN_R_SQUARED: f64 = 0.8;

impl Line {
    /// The line through `samples` when it is usable: at least 5 flights whose longest is at
    /// least 1.5× the shortest, R² ≥ 0.8 and a non-negative intercept.
    pub fn fit(samples: &[Sample]) -> Option<Line> {
        if samples.len() < MIN_FLIGHTS {
            return None;
        }
        let n = samples.len() as f64;
        let shortest = samples
            .iter()
            .map(|s| s.great_circle_km)
            .fold(f64::MAX, f64::min);
        let longest = samples
            .iter()
            .map(|s| s.great_circle_km)
            .fold(0.0, f64::max);
        if shortest <= 0.0 || longest < MIN_SPAN_RATIO * shortest {
            return None;
        }
        let mean_x = samples.iter().map(|s| s.great_circle_km).sum::<f64>() / n;
        let mean_y = samples.iter().map(|s| s.minutes).sum::<f64>() / n;
        let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
        for sample in samples {
            let (dx, dy) = (sample.great_circle_km - mean_x, sample.minutes - mean_y);
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        let slope = sxy / sxx;
        let intercept = mean_y - slope * mean_x;
        // Durations that do not vary explain nothing: no line.
        if syy == 0.0 {
            return None;
        }
        let residual: f64 = samples
            .iter()
            .map(|s| (s.minutes - intercept - slope * s.great_circle_km).powi(2))
            .sum();
        let r_squared = 1.0 - residual / syy;
        (r_squared >= MIN_R_SQUARED && intercept >= 0.0).then_some(Line {
            intercept,
            slope,
            r_squared,
            flights: samples.len() as u32,
        })
    }

    /// The duration of a leg this long, whole minutes (half away from zero); `None` when it
    /// falls outside 1 to 2880 minutes.
    pub fn duration(&self, great_circle_km: f64) -> Option<DurationMinutes> {
        let minutes = (self.intercept + self.slope * great_circle_km).round();
        DurationMinutes::parse(minutes as i32).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn airport(latitude: f64, longitude: f64) -> Airport {
        Airport {
            icao: "TEST".into(),
            iata: None,
            name: String::new(),
            city: String::new(),
            country: String::new(),
            latitude,
            longitude,
            time_zone: String::new(),
        }
    }

    #[test]
    fn a_degree_of_meridian_is_r_times_pi_over_180() {
        let km = great_circle_km(&airport(0.0, 0.0), &airport(1.0, 0.0));
        assert!((km - EARTH_RADIUS_KM * std::f64::consts::PI / 180.0).abs() < 1e-9);
        let antipodes = great_circle_km(&airport(0.0, 0.0), &airport(0.0, 180.0));
        assert!((antipodes - EARTH_RADIUS_KM * std::f64::consts::PI).abs() < 1e-6);
    }

    #[test]
    fn corrects_by_icao_band_with_both_edges() {
        assert_eq!(icao_correction_km(0.1), 50.0);
        assert_eq!(icao_correction_km(549.999), 50.0);
        assert_eq!(icao_correction_km(550.0), 100.0);
        assert_eq!(icao_correction_km(5_500.0), 100.0);
        assert_eq!(icao_correction_km(5_500.001), 125.0);
    }

    fn samples(points: &[(f64, f64)]) -> Vec<Sample> {
        points
            .iter()
            .map(|&(great_circle_km, minutes)| Sample {
                great_circle_km,
                minutes,
            })
            .collect()
    }

    #[test]
    fn fits_a_line_only_on_enough_spread_and_well_fitting_flights() {
        let exact: Vec<(f64, f64)> = [200.0, 400.0, 650.0, 900.0, 1_300.0, 1_700.0]
            .iter()
            .map(|&km| (km, 20.0 + km / 13.0))
            .collect();
        let line = Line::fit(&samples(&exact)).unwrap();
        assert!((line.intercept - 20.0).abs() < 1e-9 && (line.slope - 1.0 / 13.0).abs() < 1e-12);
        assert_eq!(line.duration(1_040.0).unwrap().get(), 100);
        assert!(Line::fit(&samples(&exact[..4])).is_none(), "4 flights");
        let narrow = samples(&[
            (1_000.0, 90.0),
            (1_100.0, 95.0),
            (1_200.0, 100.0),
            (1_300.0, 108.0),
            (1_400.0, 110.0),
        ]);
        assert!(Line::fit(&narrow).is_none(), "longest < 1.5 × shortest");
        let scattered = samples(&[
            (200.0, 150.0),
            (400.0, 40.0),
            (650.0, 160.0),
            (900.0, 60.0),
            (1_300.0, 170.0),
        ]);
        assert!(Line::fit(&scattered).is_none(), "R² < 0.8");
        let negative = samples(&[
            (200.0, 5.0),
            (400.0, 25.0),
            (650.0, 50.0),
            (900.0, 75.0),
            (1_300.0, 115.0),
        ]);
        assert!(Line::fit(&negative).is_none(), "a < 0");
        let flat = samples(&[
            (200.0, 60.0),
            (400.0, 60.0),
            (650.0, 60.0),
            (900.0, 60.0),
            (1_300.0, 60.0),
        ]);
        assert!(Line::fit(&flat).is_none(), "durations that do not vary");
    }
}
