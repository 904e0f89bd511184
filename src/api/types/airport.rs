use async_graphql::{ID, Object};

use crate::airports::Airport;
use crate::api::id::{NodeKind, encode};

pub struct AirportNode(pub &'static Airport);

/// An airport or landing strip with its coordinates (from `airportsdata`, MIT licence).
#[Object(name = "Airport")]
impl AirportNode {
    /// Global ID (for `node(id:)`).
    pub async fn id(&self) -> ID {
        encode(NodeKind::Airport, &self.0.icao)
    }

    /// ICAO location indicator (or the national identifier of an airport without one, e.g.
    /// `00AA`): the code Contrail stores.
    async fn icao(&self) -> &str {
        &self.0.icao
    }

    /// IATA code; null for most small airports.
    async fn iata(&self) -> Option<&str> {
        self.0.iata.as_deref()
    }

    /// Name, e.g. `Teterboro Airport`.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// City served.
    async fn city(&self) -> &str {
        &self.0.city
    }

    /// ISO 3166-1 alpha-2 country code.
    async fn country(&self) -> &str {
        &self.0.country
    }

    /// Latitude, decimal degrees (WGS 84).
    async fn latitude(&self) -> f64 {
        self.0.latitude
    }

    /// Longitude, decimal degrees (WGS 84).
    async fn longitude(&self) -> f64 {
        self.0.longitude
    }

    /// IANA time zone, e.g. `America/New_York`.
    async fn time_zone(&self) -> &str {
        &self.0.time_zone
    }
}
