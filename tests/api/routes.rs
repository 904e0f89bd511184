//! Methodology `contrail-2026.2`: estimates by route and by type, trips of several legs,
//! durations learned from an operator's own flights, passengers, non-CO2 apart, and the
//! uncertainty band; airports as public reference data.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_bad_inputs, error_code};
use crate::on_both_databases;

on_both_databases!(
    distances_follow_the_great_circle_and_the_icao_bands,
    a_trip_sums_its_legs,
    learns_durations_from_the_operators_own_flights,
    refuses_a_duration_it_cannot_learn,
    splits_figures_between_passengers,
    keeps_non_co2_apart,
    bands_every_figure_by_type_not_by_legs,
    records_a_route_and_keeps_old_records_as_they_were,
    refuses_bad_routes_writing_nothing,
    lists_and_finds_airports_publicly,
);

const ESTIMATE: &str = "mutation($input: EstimateEmissionInput!) { estimateEmission(input: $input) { estimate {
    id aircraft { tailNumber } aircraftType origin destination distanceKm durationMinutes
    fuelBurnedKg co2Kg safReductionKg netCo2Kg passengers co2KgPerPassenger netCo2KgPerPassenger
    legs { origin destination greatCircleKm distanceKm durationMinutes durationSource learnedFromFlights
           positioning fuelBurnedKg co2Kg safReductionKg netCo2Kg }
    nonCo2 { method multiplier kg source }
    uncertainty { lowCo2Kg highCo2Kg halfWidthPercent modelErrorPercent brochureSpreadPercent method }
    methodology { version }
    offsetOptions(percentages: [100]) { tonnes }
} } }";

const RECORD: &str =
    "mutation($input: CreateEmissionInput!) { createEmission(input: $input) { emission {
    id origin destination distanceKm durationMinutes co2Kg netCo2Kg passengers co2KgPerPassenger
    legs { origin destination durationMinutes durationSource }
    nonCo2 { kg } uncertainty { lowCo2Kg highCo2Kg halfWidthPercent } methodology { version }
} } }";

fn dec(value: &Value) -> Decimal {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{value} is not a decimal"))
        .parse()
        .unwrap()
}

/// Grams of a kilogram figure with 3 decimals.
fn grams(value: &Value) -> i64 {
    i64::try_from((dec(value) * Decimal::from(1_000)).normalize().mantissa()).unwrap()
}

async fn estimate(app: &TestApp, input: Value) -> Value {
    app.ok(ESTIMATE, json!({ "input": input })).await["estimateEmission"]["estimate"].clone()
}

async fn estimate_error(app: &TestApp, input: Value) -> (String, Option<String>, String) {
    let body = app.graphql(ESTIMATE, json!({ "input": input })).await;
    let (code, field) = error_code(&body);
    let message = body["errors"][0]["message"].as_str().unwrap().to_owned();
    (code, field, message)
}

async fn record(app: &TestApp, input: Value) -> Value {
    app.ok(RECORD, json!({ "input": input })).await["createEmission"]["emission"].clone()
}

/// (latitude, longitude) of an airport, read from the shipped CSV by ICAO code.
fn coordinates(icao: &str) -> (f64, f64) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/airports.csv");
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|header| header == name).unwrap();
    let (code, lat, lon) = (column("icao"), column("lat"), column("lon"));
    reader
        .records()
        .map(Result::unwrap)
        .find(|row| &row[code] == icao)
        .map(|row| (row[lat].parse().unwrap(), row[lon].parse().unwrap()))
        .unwrap_or_else(|| panic!("{icao} is in data/airports.csv"))
}

/// Haversine on a sphere of 6,371.0088 km, written here independently of the server's.
fn great_circle_km(from: &str, to: &str) -> f64 {
    let ((lat1, lon1), (lat2, lon2)) = (coordinates(from), coordinates(to));
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let a = ((p2 - p1) / 2.0).sin().powi(2)
        + p1.cos() * p2.cos() * ((lon2 - lon1).to_radians() / 2.0).sin().powi(2);
    2.0 * 6_371.008_8 * a.sqrt().asin()
}

fn km(value: f64) -> Decimal {
    Decimal::new((value * 1_000.0).round() as i64, 3)
}

/// What a 60-minute flight of `tail` emits, by duration alone.
async fn co2_for(app: &TestApp, tail: &str, minutes: i64) -> i64 {
    grams(
        &estimate(
            app,
            json!({ "tailNumber": tail, "durationMinutes": minutes }),
        )
        .await["co2Kg"],
    )
}

async fn distances_follow_the_great_circle_and_the_icao_bands(app: TestApp) {
    // One route in each band: +50 km below 550 km, +100 km to 5,500 km, +125 km above.
    for (origin, destination, correction) in [
        ("KTEB", "KBOS", 50.0),
        ("KTEB", "KDJT", 100.0),
        ("KTEB", "LFMN", 125.0),
    ] {
        let expected = great_circle_km(origin, destination);
        let by_icao = estimate(
            &app,
            json!({ "aircraftType": "E55P", "origin": origin, "destination": destination, "durationMinutes": 120 }),
        )
        .await;
        let leg = &by_icao["legs"][0];
        assert_eq!(
            dec(&leg["greatCircleKm"]),
            km(expected),
            "{origin}-{destination}"
        );
        assert_eq!(dec(&leg["distanceKm"]), km(expected + correction));
        assert_eq!(dec(&by_icao["distanceKm"]), km(expected + correction));
        assert_eq!(leg["durationSource"], "GIVEN");
        assert!(by_icao["aircraft"].is_null());
        assert_eq!(by_icao["aircraftType"], "E55P");
        assert_eq!(by_icao["methodology"]["version"], "contrail-2026.2");
        // The same airports by IATA code give the same figures.
        let iata = |icao: &str| match icao {
            "KTEB" => "teb",
            "KBOS" => "BOS",
            "KDJT" => "PBI",
            _ => "NCE",
        };
        let by_iata = estimate(
            &app,
            json!({ "aircraftType": "E55P", "origin": iata(origin), "destination": iata(destination), "durationMinutes": 120 }),
        )
        .await;
        for field in ["origin", "destination", "distanceKm", "co2Kg", "legs"] {
            assert_eq!(by_iata[field], by_icao[field], "{field}");
        }
    }
    // A duration on a route computes exactly what the duration alone does (SPEC §5 unchanged).
    let route = estimate(
        &app,
        json!({ "aircraftType": "E55P", "origin": "KTEB", "destination": "KBOS", "durationMinutes": 90 }),
    )
    .await;
    assert_eq!(route["fuelBurnedKg"], "813.106");
    assert_eq!(route["co2Kg"], "2569.416");
}

async fn a_trip_sums_its_legs(app: TestApp) {
    app.register("N300EM").await;
    let trip = estimate(
        &app,
        json!({ "tailNumber": "N300EM", "safBlendPercent": "10", "safPathway": "HEFA_TALLOW", "legs": [
            { "origin": "KVNY", "destination": "KTEB", "durationMinutes": 300, "positioning": true },
            { "origin": "KTEB", "destination": "PBI", "durationMinutes": 150 },
            { "origin": "PBI", "destination": "KASE", "durationMinutes": 260 },
        ] }),
    )
    .await;
    let legs = trip["legs"].as_array().unwrap();
    assert_eq!(legs.len(), 3);
    assert_eq!(
        legs.iter()
            .map(|leg| leg["positioning"].as_bool().unwrap())
            .collect::<Vec<_>>(),
        [true, false, false]
    );
    assert_eq!(
        (&trip["origin"], &trip["destination"]),
        (&json!("KVNY"), &json!("KASE"))
    );
    assert_eq!(trip["durationMinutes"], 710);
    for field in [
        "fuelBurnedKg",
        "co2Kg",
        "safReductionKg",
        "netCo2Kg",
        "distanceKm",
    ] {
        let sum: i64 = legs.iter().map(|leg| grams(&leg[field])).sum();
        assert_eq!(sum, grams(&trip[field]), "{field}");
    }
    // Each leg is computed as a flight of its duration would be.
    for leg in legs {
        let alone = estimate(
            &app,
            json!({ "tailNumber": "N300EM", "durationMinutes": leg["durationMinutes"], "safBlendPercent": "10", "safPathway": "HEFA_TALLOW" }),
        )
        .await;
        assert_eq!(leg["co2Kg"], alone["co2Kg"]);
        assert_eq!(leg["netCo2Kg"], alone["netCo2Kg"]);
    }
}

/// Routes of increasing length from Teterboro, with the duration a synthetic operator flies
/// them in: 20 + distance / 13 minutes.
const ROUTES: [&str; 6] = ["KBOS", "KPIT", "KATL", "KDJT", "KDEN", "KVNY"];

fn synthetic_minutes(destination: &str) -> i64 {
    (20.0 + great_circle_km("KTEB", destination) / 13.0).round() as i64
}

async fn record_synthetic_flights(app: &TestApp, tail: &str, destinations: &[&str]) {
    for destination in destinations {
        record(
            app,
            json!({ "tailNumber": tail, "origin": "KTEB", "destination": destination,
                    "durationMinutes": synthetic_minutes(destination) }),
        )
        .await;
    }
}

async fn learns_durations_from_the_operators_own_flights(app: TestApp) {
    app.register("N1AA").await;
    app.register("N2BB").await;
    record_synthetic_flights(&app, "N1AA", &ROUTES).await;
    let expected = 20.0 + great_circle_km("KTEB", "KMIA") / 13.0;
    let check = |estimate: &Value, source: &str| {
        let leg = &estimate["legs"][0];
        assert_eq!(leg["durationSource"], source, "{estimate:#}");
        assert_eq!(leg["learnedFromFlights"], 6);
        let minutes = leg["durationMinutes"].as_i64().unwrap() as f64;
        assert!((minutes - expected).abs() <= 1.0, "{minutes} vs {expected}");
    };
    // The aircraft's own line; then, for an aircraft without flights, the type's.
    let own = estimate(
        &app,
        json!({ "tailNumber": "N1AA", "origin": "KTEB", "destination": "MIA" }),
    )
    .await;
    check(&own, "LEARNED_AIRCRAFT");
    assert_eq!(
        grams(&own["co2Kg"]),
        co2_for(&app, "N1AA", own["durationMinutes"].as_i64().unwrap()).await
    );
    let sibling = estimate(
        &app,
        json!({ "tailNumber": "N2BB", "origin": "KTEB", "destination": "KMIA" }),
    )
    .await;
    check(&sibling, "LEARNED_TYPE");
    let by_type = estimate(
        &app,
        json!({ "aircraftType": "E55P", "origin": "KTEB", "destination": "KMIA" }),
    )
    .await;
    check(&by_type, "LEARNED_TYPE");
    // A trip mixes given and learned legs.
    let trip = estimate(
        &app,
        json!({ "tailNumber": "N1AA", "legs": [
            { "origin": "KTEB", "destination": "KMIA" },
            { "origin": "KMIA", "destination": "KTEB", "durationMinutes": 170 },
        ] }),
    )
    .await;
    assert_eq!(trip["legs"][0]["durationSource"], "LEARNED_AIRCRAFT");
    assert_eq!(trip["legs"][1]["durationSource"], "GIVEN");
    // Another organization's flights never shape an estimate: B has none of its own.
    let body = app
        .graphql_as(
            Some(&app.key_b),
            ESTIMATE,
            json!({ "input": { "aircraftType": "E55P", "origin": "KTEB", "destination": "KMIA" } }),
        )
        .await;
    assert_eq!(
        error_code(&body),
        ("BAD_USER_INPUT".into(), Some("durationMinutes".into()))
    );
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("DURATION_REQUIRED") && message.contains("0 of type E55P"),
        "{message}"
    );
}

async fn refuses_a_duration_it_cannot_learn(app: TestApp) {
    app.register("N1AA").await;
    // Four flights are not enough.
    record_synthetic_flights(&app, "N1AA", &ROUTES[..4]).await;
    let (code, field, message) = estimate_error(
        &app,
        json!({ "tailNumber": "N1AA", "origin": "KTEB", "destination": "KMIA" }),
    )
    .await;
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("BAD_USER_INPUT", Some("durationMinutes"))
    );
    assert!(
        message.contains("DURATION_REQUIRED") && message.contains("4 usable flights"),
        "{message}"
    );
    // A fifth flight that does not follow the line leaves R² below 0.8.
    record(
        &app,
        json!({ "tailNumber": "N1AA", "origin": "KTEB", "destination": "KDEN", "durationMinutes": 20 }),
    )
    .await;
    let (_, field, message) = estimate_error(
        &app,
        json!({ "tailNumber": "N1AA", "legs": [
            { "origin": "KTEB", "destination": "KBOS", "durationMinutes": 60 },
            { "origin": "KBOS", "destination": "KMIA" },
        ] }),
    )
    .await;
    assert_eq!(field.as_deref(), Some("legs.1.durationMinutes"));
    assert!(
        message.contains("5 usable flights of this aircraft"),
        "{message}"
    );
    assert_eq!(app.count_rows("emission_estimates").await, 0);
}

async fn splits_figures_between_passengers(app: TestApp) {
    app.register("N300EM").await;
    for passengers in [1_i64, 3, 7, 500] {
        let trip = estimate(
            &app,
            json!({ "tailNumber": "N300EM", "durationMinutes": 97, "passengers": passengers }),
        )
        .await;
        assert_eq!(trip["passengers"], passengers);
        for (total, share) in [
            ("co2Kg", "co2KgPerPassenger"),
            ("netCo2Kg", "netCo2KgPerPassenger"),
        ] {
            let (total, share) = (grams(&trip[total]), grams(&trip[share]));
            // Each share is the total divided equally, rounded to the gram half away from zero.
            let exact = total as f64 / passengers as f64;
            assert_eq!(share, exact.round() as i64);
            assert!((share * passengers - total).abs() * 2 <= passengers);
        }
    }
    let alone = estimate(
        &app,
        json!({ "tailNumber": "N300EM", "durationMinutes": 97 }),
    )
    .await;
    assert!(alone["passengers"].is_null() && alone["co2KgPerPassenger"].is_null());
}

async fn keeps_non_co2_apart(app: TestApp) {
    app.register("N300EM").await;
    let plain = estimate(
        &app,
        json!({ "tailNumber": "N300EM", "durationMinutes": 90 }),
    )
    .await;
    assert!(plain["nonCo2"].is_null());
    let with = estimate(
        &app,
        json!({ "tailNumber": "N300EM", "durationMinutes": 90, "nonCo2": "UK_DESNZ_RF" }),
    )
    .await;
    for field in ["co2Kg", "netCo2Kg", "fuelBurnedKg", "offsetOptions"] {
        assert_eq!(
            with[field], plain[field],
            "{field} never changes because of non-CO2"
        );
    }
    let non_co2 = &with["nonCo2"];
    assert_eq!(
        (&non_co2["method"], &non_co2["multiplier"]),
        (&json!("UK_DESNZ_RF"), &json!("1.7"))
    );
    // 2569.416 kg × 0.7 = 1798.5912 kg.
    assert_eq!(non_co2["kg"], "1798.591");
    assert!(non_co2["source"].as_str().unwrap().contains("DESNZ"));
    let options = |id: &Value, include: bool| {
        let query = "query($id: ID!, $include: Boolean!) { node(id: $id) { ... on EmissionEstimate { offsetOptions(percentages: [100, 50], includeNonCo2: $include) { tonnes } } } }";
        app.graphql(query, json!({ "id": id, "include": include }))
    };
    let covering = options(&with["id"], true).await;
    let tonnes = &covering["data"]["node"]["offsetOptions"];
    assert_eq!(tonnes[0]["tonnes"], "4.368007", "2569.416 + 1798.591 kg");
    assert_eq!(tonnes[1]["tonnes"], "2.184004");
    let refused = options(&plain["id"], true).await;
    assert_eq!(
        error_code(&refused),
        ("BAD_USER_INPUT".into(), Some("includeNonCo2".into()))
    );
}

async fn bands_every_figure_by_type_not_by_legs(app: TestApp) {
    app.register("N300EM").await;
    // E55P: LIGHT_JET model error 5.9 %, one published figure so the catalog's median spread
    // 4.6 %: √(5.9² + 2.3²) = 6.33 → 6.4 %.
    let one = estimate(
        &app,
        json!({ "tailNumber": "N300EM", "durationMinutes": 90 }),
    )
    .await;
    let band = &one["uncertainty"];
    assert_eq!(
        (
            &band["halfWidthPercent"],
            &band["modelErrorPercent"],
            &band["brochureSpreadPercent"]
        ),
        (&json!("6.4"), &json!("5.9"), &json!("4.6"))
    );
    let co2 = grams(&one["co2Kg"]);
    let delta = (co2 as f64 * 0.064).round() as i64;
    assert_eq!(
        (grams(&band["lowCo2Kg"]), grams(&band["highCo2Kg"])),
        (co2 - delta, co2 + delta)
    );
    // Three legs do not narrow the relative band: the model error is systematic per type.
    let trip = estimate(
        &app,
        json!({ "tailNumber": "N300EM", "legs": [
            { "origin": "KTEB", "destination": "KBOS", "durationMinutes": 30 },
            { "origin": "KBOS", "destination": "KTEB", "durationMinutes": 30 },
            { "origin": "KTEB", "destination": "KBOS", "durationMinutes": 30 },
        ] }),
    )
    .await;
    assert_eq!(trip["co2Kg"], one["co2Kg"]);
    assert_eq!(trip["uncertainty"]["halfWidthPercent"], "6.4");
    assert_eq!(trip["uncertainty"]["lowCo2Kg"], band["lowCo2Kg"]);
    // A category with a wide model error gets a wide band: a Learjet 60 (MIDSIZE_JET 19.2 %).
    let midsize = estimate(
        &app,
        json!({ "aircraftType": "LJ60", "durationMinutes": 90 }),
    )
    .await;
    assert_eq!(midsize["uncertainty"]["halfWidthPercent"], "19.4");
}

async fn records_a_route_and_keeps_old_records_as_they_were(app: TestApp) {
    app.register("N300EM").await;
    // Recorded before contrail-2026.2: its figures and version stay as stored.
    let old = crate::fixtures::emission_with_net(&app, "N300EM", 1_000).await;
    let recorded = record(
        &app,
        json!({ "tailNumber": "N300EM", "origin": "teb", "destination": "PBI", "durationMinutes": 150,
                "passengers": 4, "nonCo2": "UK_DESNZ_RF" }),
    )
    .await;
    assert_eq!(
        (&recorded["origin"], &recorded["destination"]),
        (&json!("KTEB"), &json!("KDJT"))
    );
    let expected = great_circle_km("KTEB", "KDJT") + 100.0;
    assert_eq!(dec(&recorded["distanceKm"]), km(expected));
    assert_eq!(recorded["legs"][0]["durationSource"], "GIVEN");
    assert_eq!(recorded["passengers"], 4);
    assert!(recorded["nonCo2"]["kg"].is_string());
    assert_eq!(recorded["methodology"]["version"], "contrail-2026.2");
    // Read back through the list, as stored.
    let listed = app
        .ok("{ emissions(first: 10) { nodes { id distanceKm legs { distanceKm } methodology { version } uncertainty { halfWidthPercent } } } }", json!({}))
        .await;
    let nodes = listed["emissions"]["nodes"].as_array().unwrap();
    let old = nodes.iter().find(|node| node["id"] == json!(old)).unwrap();
    assert_eq!(old["methodology"]["version"], "contrail-2026.1");
    assert!(old["distanceKm"].is_null() && old["legs"] == json!([]));
    assert_eq!(old["uncertainty"]["halfWidthPercent"], "6.4");
    let new = nodes
        .iter()
        .find(|node| node["id"] == recorded["id"])
        .unwrap();
    assert_eq!(dec(&new["distanceKm"]), km(expected));
    // An estimate by type cannot be recorded: the aircraft must be registered.
    let by_type = estimate(
        &app,
        json!({ "aircraftType": "E55P", "durationMinutes": 60 }),
    )
    .await;
    let emissions = app.count_rows("emissions").await;
    assert_bad_inputs(
        &app,
        RECORD,
        &[(json!({ "estimateId": by_type["id"] }), "estimateId")],
    )
    .await;
    // An estimate's route is recorded with it, and cannot be contradicted.
    let routed = estimate(
        &app,
        json!({ "tailNumber": "N300EM", "origin": "KTEB", "destination": "KBOS", "durationMinutes": 60 }),
    )
    .await;
    assert_bad_inputs(
        &app,
        RECORD,
        &[(
            json!({ "estimateId": routed["id"], "destination": "KMIA" }),
            "origin",
        )],
    )
    .await;
    assert_eq!(app.count_rows("emissions").await, emissions);
    let from_estimate = record(&app, json!({ "estimateId": routed["id"] })).await;
    assert_eq!(from_estimate["distanceKm"], routed["distanceKm"]);
    assert_eq!(from_estimate["destination"], "KBOS");
}

async fn refuses_bad_routes_writing_nothing(app: TestApp) {
    app.register("N300EM").await;
    let leg = json!({ "origin": "KTEB", "destination": "KBOS", "durationMinutes": 30 });
    let cases = [
        (
            json!({ "tailNumber": "N300EM", "origin": "KPBI", "destination": "KTEB", "durationMinutes": 60 }),
            "origin",
        ),
        (
            json!({ "tailNumber": "N300EM", "origin": "KTEB", "destination": "ZZZ", "durationMinutes": 60 }),
            "destination",
        ),
        (
            json!({ "tailNumber": "N300EM", "origin": "TEB", "destination": "KTEB", "durationMinutes": 60 }),
            "destination",
        ),
        (
            json!({ "tailNumber": "N300EM", "legs": vec![leg.clone(); 21] }),
            "legs",
        ),
        (json!({ "tailNumber": "N300EM", "legs": [] }), "legs"),
        (
            json!({ "tailNumber": "N300EM", "aircraftType": "E55P", "durationMinutes": 60 }),
            "aircraftType",
        ),
        (
            json!({ "aircraftType": "B744", "durationMinutes": 60 }),
            "aircraftType",
        ),
        (json!({ "durationMinutes": 60 }), "tailNumber"),
        (
            json!({ "tailNumber": "N300EM", "durationMinutes": 60, "legs": [leg] }),
            "legs",
        ),
        (
            json!({ "tailNumber": "N300EM", "origin": "KTEB", "destination": "KBOS", "legs": [leg] }),
            "legs",
        ),
        (
            json!({ "tailNumber": "N300EM", "durationMinutes": 60, "passengers": 0 }),
            "passengers",
        ),
        (
            json!({ "tailNumber": "N300EM", "durationMinutes": 60, "passengers": 501 }),
            "passengers",
        ),
        (
            json!({ "tailNumber": "N300EM", "legs": [leg, { "origin": "LAX", "destination": "XXXX" }] }),
            "legs.1.destination",
        ),
        (
            json!({ "tailNumber": "N300EM", "legs": [leg, { "origin": "KBOS", "destination": "BOS" }] }),
            "legs.1.destination",
        ),
        (
            json!({ "tailNumber": "N300EM", "legs": [{ "origin": "KTEB", "destination": "KBOS", "durationMinutes": 0 }] }),
            "legs.0.durationMinutes",
        ),
        (
            json!({ "tailNumber": "N300EM", "legs": vec![json!({ "origin": "KTEB", "destination": "LFMN", "durationMinutes": 600 }); 5] }),
            "legs",
        ),
    ];
    assert_bad_inputs(&app, ESTIMATE, &cases).await;
    assert_bad_inputs(
        &app,
        RECORD,
        &[
            (json!({ "tailNumber": "N300EM", "origin": "KPBI", "destination": "KTEB", "durationMinutes": 60 }), "origin"),
            (json!({ "tailNumber": "N300EM", "durationMinutes": 60, "legs": [leg] }), "legs"),
            (json!({ "tailNumber": "N300EM", "durationMinutes": 60, "passengers": 501 }), "passengers"),
            (json!({ "tailNumber": "N300EM", "origin": "KTEB", "destination": "KBOS" }), "durationMinutes"),
        ],
    )
    .await;
    assert_eq!(app.count_rows("emission_estimates").await, 0);
    assert_eq!(app.count_rows("emissions").await, 0);
}

async fn lists_and_finds_airports_publicly(app: TestApp) {
    let found = app
        .graphql_as(
            None,
            "{ pbi: airport(code: \"pbi\") { id icao iata name city country latitude longitude timeZone }
               gone: airport(code: \"KPBI\") { icao } }",
            json!({}),
        )
        .await;
    assert!(found["errors"].is_null(), "{found:#}");
    let pbi = &found["data"]["pbi"];
    assert_eq!(
        (&pbi["icao"], &pbi["iata"], &pbi["timeZone"]),
        (&json!("KDJT"), &json!("PBI"), &json!("America/New_York"))
    );
    assert!(found["data"]["gone"].is_null());
    // Relay clients refetch it by its global id.
    let again = app
        .graphql_as(
            None,
            "query($id: ID!) { node(id: $id) { ... on Airport { icao } } }",
            json!({ "id": pbi["id"] }),
        )
        .await;
    assert_eq!(again["data"]["node"]["icao"], "KDJT", "{again:#}");
    let page = |variables: Value| {
        app.graphql_as(
            None,
            "query($search: String, $first: Int, $after: String, $last: Int, $before: String) {
               airports(search: $search, first: $first, after: $after, last: $last, before: $before) {
                 totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { icao } } }",
            variables,
        )
    };
    let all = page(json!({ "first": 3 })).await;
    let all = &all["data"]["airports"];
    assert_eq!(all["totalCount"], 28_298);
    assert_eq!(
        all["nodes"],
        json!([{ "icao": "00AA" }, { "icao": "00AK" }, { "icao": "00AL" }])
    );
    let next = page(json!({ "first": 2, "after": all["pageInfo"]["endCursor"] })).await;
    assert_eq!(
        next["data"]["airports"]["nodes"],
        json!([{ "icao": "00AN" }, { "icao": "00AR" }])
    );
    assert_eq!(
        next["data"]["airports"]["pageInfo"]["hasPreviousPage"],
        true
    );
    let back = page(json!({ "last": 2, "before": all["pageInfo"]["endCursor"] })).await;
    assert_eq!(
        back["data"]["airports"]["nodes"],
        json!([{ "icao": "00AA" }, { "icao": "00AK" }])
    );
    assert_eq!(
        back["data"]["airports"]["pageInfo"]["hasPreviousPage"],
        false
    );
    let teterboro = page(json!({ "search": "Teterboro", "first": 10 })).await;
    let nodes = teterboro["data"]["airports"]["nodes"]
        .as_array()
        .unwrap()
        .clone();
    assert!(nodes.contains(&json!({ "icao": "KTEB" })), "{teterboro:#}");
    let last = page(json!({ "search": "palm beach", "last": 100 })).await;
    assert_eq!(last["data"]["airports"]["pageInfo"]["hasNextPage"], false);
    assert!(
        last["data"]["airports"]["nodes"]
            .as_array()
            .unwrap()
            .contains(&json!({ "icao": "KDJT" }))
    );
    let refused = page(json!({ "first": 101 })).await;
    assert_eq!(
        error_code(&refused),
        ("BAD_USER_INPUT".into(), Some("first".into()))
    );
}
