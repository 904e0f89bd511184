use serde_json::json;

use crate::helpers::TestApp;
use crate::on_both_databases;

on_both_databases!(lists_all_69_types_publicly, searches_and_filters);

async fn lists_all_69_types_publicly(app: TestApp) {
    let body = app
        .graphql_as(
            None,
            "{ aircraftModels { code manufacturer name category engine fuelBurnUsGallonsPerHour fuelBurnKgPerHour defaultFuelType dataQuality sources { url usGallonsPerHour retrieved } } }",
            json!({}),
        )
        .await;
    let models = body["data"]["aircraftModels"]
        .as_array()
        .expect("public without a key");
    assert_eq!(models.len(), 69);
    let phenom = models.iter().find(|model| model["code"] == "E55P").unwrap();
    assert_eq!(phenom["fuelBurnUsGallonsPerHour"], "179");
    assert_eq!(phenom["fuelBurnKgPerHour"], "542.071");
    assert_eq!(phenom["manufacturer"], "Embraer");
    assert_eq!(phenom["category"], "LIGHT_JET");
    assert_eq!(phenom["defaultFuelType"], "JET_A");
    let sources = phenom["sources"].as_array().unwrap();
    assert!(!sources.is_empty());
    assert!(
        sources
            .iter()
            .all(|source| source["url"].as_str().unwrap().starts_with("https://"))
    );
    assert!(phenom["dataQuality"].as_str().unwrap().contains("source"));
}

async fn searches_and_filters(app: TestApp) {
    let data = app
        .ok("{ aircraftModels(search: \"phenom\") { code } }", json!({}))
        .await;
    let codes: Vec<_> = data["aircraftModels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["code"].clone())
        .collect();
    assert_eq!(codes, vec![json!("E50P"), json!("E55P")]);
    let data = app
        .ok(
            "{ aircraftModels(category: TURBOPROP) { category } }",
            json!({}),
        )
        .await;
    let turboprops = data["aircraftModels"].as_array().unwrap();
    assert!(!turboprops.is_empty());
    assert!(
        turboprops
            .iter()
            .all(|model| model["category"] == "TURBOPROP")
    );
}
