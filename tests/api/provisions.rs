use std::collections::HashMap;

use futures_util::future::join_all;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::fixtures::listing_with_batches;
use crate::helpers::{TestApp, assert_bad_inputs, error_code};
use crate::on_both_databases;

pub const CREATE: &str = "mutation($input: CreateProvisionInput!) { createProvision(input: $input) {
    certificateUrl
    provision { id status billing quantityTonnes offsetPercentage invoiceMonth price { amount currency } unitPrice { amount }
        certificate { number status publicId url } allocations { batchSerialPrefix vintage startGram endGram tonnes serialRange } }
} }";

on_both_databases!(
    allocates_exactly_once_under_concurrency,
    prices_quantities_exactly,
    allocates_oldest_vintage_first,
    rejects_bad_input_writing_nothing,
);

pub async fn provision(app: &TestApp, input: Value) -> Value {
    app.ok(CREATE, json!({ "input": input })).await["createProvision"].clone()
}

fn dec(value: &Value) -> Decimal {
    value.as_str().unwrap().parse().unwrap()
}

async fn available(app: &TestApp, listing: &str) -> Value {
    let data = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Listing { availableTonnes } } }",
            json!({ "id": listing }),
        )
        .await;
    data["node"]["availableTonnes"].clone()
}

async fn allocates_exactly_once_under_concurrency(app: TestApp) {
    let listing = listing_with_batches(&app, 15_000, &[(2024, 12), (2025, 8)]).await;
    let attempts = (0..50).map(|i| {
        let input = json!({ "quantityTonnes": "1", "listingId": listing, "beneficiaryName": format!("Customer {i}") });
        app.graphql(CREATE, json!({ "input": input }))
    });
    let results = join_all(attempts).await;
    let mut codes: HashMap<String, usize> = HashMap::new();
    let mut ranges: Vec<(String, i64, i64)> = Vec::new();
    for body in &results {
        if body.get("errors").is_some() {
            *codes.entry(error_code(body).0).or_default() += 1;
            continue;
        }
        *codes.entry("OK".into()).or_default() += 1;
        for allocation in body["data"]["createProvision"]["provision"]["allocations"]
            .as_array()
            .unwrap()
        {
            ranges.push((
                allocation["batchSerialPrefix"].as_str().unwrap().to_owned(),
                dec(&allocation["startGram"]).try_into().unwrap(),
                dec(&allocation["endGram"]).try_into().unwrap(),
            ));
        }
    }
    println!("50 concurrent 1 t provisions on 20 t of supply: {codes:?}");
    assert_eq!(codes.get("OK"), Some(&20), "{codes:?}");
    assert_eq!(codes.get("INSUFFICIENT_SUPPLY"), Some(&30), "{codes:?}");
    ranges.sort();
    for pair in ranges.windows(2) {
        let ((batch_a, _, end_a), (batch_b, start_b, _)) = (&pair[0], &pair[1]);
        assert!(
            batch_a != batch_b || end_a <= start_b,
            "overlapping ranges: {pair:?}"
        );
    }
    let total: i64 = ranges.iter().map(|(_, start, end)| end - start).sum();
    assert_eq!(total, 20_000_000, "exactly 20 t allocated");
    assert_eq!(available(&app, &listing).await, "0.000000");
    assert_eq!(
        app.count_rows("provisions").await,
        20,
        "failed attempts wrote nothing"
    );
    assert_eq!(app.count_rows("certificates").await, 20);
}

async fn prices_quantities_exactly(app: TestApp) {
    // The default demo listing sells at 150.00 USD per tonne.
    let small = provision(
        &app,
        json!({ "quantityTonnes": "0.001", "beneficiaryName": "Small" }),
    )
    .await;
    assert_eq!(small["provision"]["quantityTonnes"], "0.001000");
    assert_eq!(
        small["provision"]["price"],
        json!({ "amount": "0.15", "currency": "USD" })
    );
    let large = provision(
        &app,
        json!({ "quantityTonnes": "1234.567891", "beneficiaryName": "Large" }),
    )
    .await;
    // 1234.567891 t × 150.00 = 185185.18365 → 185185.18
    assert_eq!(large["provision"]["price"]["amount"], "185185.18");
    assert_eq!(large["provision"]["quantityTonnes"], "1234.567891");
    let allocated: Decimal = large["provision"]["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| dec(&a["tonnes"]))
        .sum();
    assert_eq!(allocated, dec(&json!("1234.567891")));
    assert_eq!(large["provision"]["billing"], "INVOICE");
    assert_eq!(large["provision"]["status"], "RETIRED");
    assert_eq!(large["provision"]["certificate"]["status"], "ISSUED");
    assert!(
        large["certificateUrl"]
            .as_str()
            .unwrap()
            .starts_with(&app.url("/certificates/"))
    );
}

async fn allocates_oldest_vintage_first(app: TestApp) {
    // Added newest first, so allocation order is by vintage, not by insertion.
    let listing = listing_with_batches(&app, 10_000, &[(2026, 5), (2023, 2), (2025, 5)]).await;
    let first = provision(
        &app,
        json!({ "quantityTonnes": "3", "listingId": listing, "beneficiaryName": "A" }),
    )
    .await;
    let allocations = first["provision"]["allocations"].as_array().unwrap();
    let vintages: Vec<_> = allocations
        .iter()
        .map(|a| {
            (
                a["vintage"].as_i64().unwrap(),
                a["tonnes"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(vintages, [(2023, "2.000000"), (2025, "1.000000")]);
    assert_eq!(allocations[1]["startGram"], "0");
    assert_eq!(allocations[1]["endGram"], "1000000");
    let second = provision(
        &app,
        json!({ "quantityTonnes": "1", "listingId": listing, "beneficiaryName": "B" }),
    )
    .await;
    let allocation = &second["provision"]["allocations"][0];
    assert_eq!(
        (allocation["vintage"].as_i64(), &allocation["startGram"]),
        (Some(2025), &json!("1000000"))
    );
    assert_eq!(available(&app, &listing).await, "8.000000");
}

async fn rejects_bad_input_writing_nothing(app: TestApp) {
    app.register("N300EM").await;
    let emission = app
        .ok("mutation { createEmission(input: { tailNumber: \"N300EM\", durationMinutes: 60 }) { emission { id } } }", json!({}))
        .await["createEmission"]["emission"]["id"]
        .clone();
    let cases = [
        (json!({ "beneficiaryName": "X" }), "quantityTonnes"),
        (
            json!({ "quantityTonnes": "1", "emissionIds": [emission], "offsetPercentage": 100, "beneficiaryName": "X" }),
            "quantityTonnes",
        ),
        (
            json!({ "quantityTonnes": "0.0000001", "beneficiaryName": "X" }),
            "quantityTonnes",
        ),
        (
            json!({ "quantityTonnes": "-1", "beneficiaryName": "X" }),
            "quantityTonnes",
        ),
        (
            json!({ "emissionIds": [emission], "beneficiaryName": "X" }),
            "offsetPercentage",
        ),
        (
            json!({ "emissionIds": [emission], "offsetPercentage": 301, "beneficiaryName": "X" }),
            "offsetPercentage",
        ),
        (
            json!({ "emissionIds": [emission], "offsetPercentage": 0, "beneficiaryName": "X" }),
            "offsetPercentage",
        ),
        (
            json!({ "emissionIds": [], "offsetPercentage": 100, "beneficiaryName": "X" }),
            "emissionIds",
        ),
        (
            json!({ "emissionIds": ["bogus"], "offsetPercentage": 100, "beneficiaryName": "X" }),
            "emissionIds",
        ),
        (
            json!({ "quantityTonnes": "1", "beneficiaryName": "  " }),
            "beneficiaryName",
        ),
        (
            json!({ "quantityTonnes": "1", "beneficiaryName": "X", "listingId": "bogus" }),
            "listingId",
        ),
    ];
    assert_bad_inputs(&app, CREATE, &cases).await;
    let too_much = app
        .graphql(
            CREATE,
            json!({ "input": { "quantityTonnes": "6000", "beneficiaryName": "X" } }),
        )
        .await;
    assert_eq!(error_code(&too_much).0, "INSUFFICIENT_SUPPLY");
    let foreign = app
        .graphql_as(
            Some(&app.key_b),
            CREATE,
            json!({ "input": { "emissionIds": [emission], "offsetPercentage": 100, "beneficiaryName": "X" } }),
        )
        .await;
    assert_eq!(error_code(&foreign).0, "NOT_FOUND");
    for table in [
        "provisions",
        "allocations",
        "certificates",
        "provision_emissions",
    ] {
        assert_eq!(app.count_rows(table).await, 0, "{table} untouched");
    }
    let data = app.ok("{ listings { availableTonnes } }", json!({})).await;
    assert_eq!(data["listings"][0]["availableTonnes"], "5000.000000");
}
