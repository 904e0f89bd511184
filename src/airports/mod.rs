//! Airports and their coordinates, shipped in `data/airports.csv` (from `airportsdata`, MIT;
//! see `data/README.md`). Immutable per release, so they live in memory, in ICAO order.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

const AIRPORTS_CSV: &str = include_str!("../../data/airports.csv");

#[derive(Debug, Clone, PartialEq)]
pub struct Airport {
    /// ICAO location indicator, or the national identifier of an airport without one.
    pub icao: String,
    pub iata: Option<String>,
    pub name: String,
    pub city: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// Decimal degrees, WGS 84.
    pub latitude: f64,
    pub longitude: f64,
    /// IANA time zone.
    pub time_zone: String,
}

#[derive(Deserialize)]
struct CsvRow {
    icao: String,
    iata: String,
    name: String,
    city: String,
    country: String,
    lat: f64,
    lon: f64,
    tz: String,
}

struct Directory {
    /// In ICAO order: an airport's position is its cursor.
    airports: Vec<Airport>,
    by_icao: HashMap<String, usize>,
    by_iata: HashMap<String, usize>,
    /// Each airport's codes, name and city in lower case, in the same order: searched without
    /// lower-casing 28,298 names per request.
    search_text: Vec<String>,
}

static DIRECTORY: LazyLock<Directory> = LazyLock::new(|| {
    let mut airports: Vec<Airport> = csv::Reader::from_reader(AIRPORTS_CSV.as_bytes())
        .deserialize::<CsvRow>()
        .map(|row| {
            let row = row.expect("data/airports.csv is well-formed (checked by a test)");
            Airport {
                icao: row.icao,
                iata: Some(row.iata).filter(|iata| !iata.is_empty()),
                name: row.name,
                city: row.city,
                country: row.country,
                latitude: row.lat,
                longitude: row.lon,
                time_zone: row.tz,
            }
        })
        .collect();
    airports.sort_by(|a, b| a.icao.cmp(&b.icao));
    let by_icao = airports
        .iter()
        .enumerate()
        .map(|(index, airport)| (airport.icao.clone(), index))
        .collect();
    let by_iata = airports
        .iter()
        .enumerate()
        .filter_map(|(index, airport)| Some((airport.iata.clone()?, index)))
        .collect();
    let search_text = airports
        .iter()
        .map(|airport| {
            [
                airport.icao.as_str(),
                airport.iata.as_deref().unwrap_or_default(),
                &airport.name,
                &airport.city,
            ]
            .join("\n")
            .to_lowercase()
        })
        .collect();
    Directory {
        airports,
        by_icao,
        by_iata,
        search_text,
    }
});

/// Every airport, in ICAO order.
pub fn all() -> &'static [Airport] {
    &DIRECTORY.airports
}

/// The airport a code names: a 4-character code is an ICAO indicator, a 3-letter one an IATA
/// code (`data/README.md`). Codes change hands, so an unknown code is an error, never a guess.
pub fn resolve(code: &str) -> Result<&'static Airport, String> {
    let trimmed = code.trim();
    let upper = trimmed.to_ascii_uppercase();
    let quoted = crate::error::quote(trimmed);
    let index = match upper.len() {
        4 if upper.chars().all(|c| c.is_ascii_alphanumeric()) => DIRECTORY.by_icao.get(&upper),
        3 if upper.chars().all(|c| c.is_ascii_alphabetic()) => DIRECTORY.by_iata.get(&upper),
        _ => {
            return Err(format!(
                "{quoted} is not an airport code: give a 4-character ICAO code or a 3-letter IATA code"
            ));
        }
    };
    index
        .map(|&index| &DIRECTORY.airports[index])
        .ok_or_else(|| format!("{quoted} is not a known airport code (see `airports`)"))
}

/// The airport with this ICAO indicator, as stored with a flight.
pub fn by_icao(icao: &str) -> Option<&'static Airport> {
    DIRECTORY
        .by_icao
        .get(icao)
        .map(|&index| &DIRECTORY.airports[index])
}

/// The positions (in [`all`]) of the airports whose codes, name or city contain `search`,
/// case-insensitively; all of them without a search.
pub fn matching(search: Option<&str>) -> Vec<usize> {
    let search = search.map(|search| search.trim().to_lowercase());
    match search.filter(|search| !search.is_empty()) {
        None => (0..DIRECTORY.airports.len()).collect(),
        Some(search) => DIRECTORY
            .search_text
            .iter()
            .enumerate()
            .filter(|(_, text)| text.contains(&search))
            .map(|(index, _)| index)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ships_every_airport_with_coordinates() {
        assert_eq!(all().len(), 28_298);
        assert!(all().iter().all(|airport| {
            (-90.0..=90.0).contains(&airport.latitude)
                && (-180.0..=180.0).contains(&airport.longitude)
        }));
    }

    #[test]
    fn resolves_codes_as_given_never_guessing() {
        let teterboro = resolve("KTEB").unwrap();
        assert_eq!(resolve(" teb ").unwrap(), teterboro);
        assert_eq!(teterboro.city, "Teterboro");
        // Palm Beach's IATA code now belongs to the row KDJT; KPBI is no longer a code.
        assert_eq!(resolve("PBI").unwrap().icao, "KDJT");
        assert!(resolve("KPBI").unwrap_err().contains("not a known airport"));
        assert!(resolve("TE").unwrap_err().contains("not an airport code"));
        assert!(resolve("T3B").is_err());
    }

    #[test]
    fn searches_codes_names_and_cities() {
        let found = matching(Some("teterboro"));
        assert!(found.iter().any(|&index| all()[index].icao == "KTEB"));
        assert_eq!(matching(None).len(), all().len());
        assert!(matching(Some("zzzz-no-such-airport")).is_empty());
    }
}
