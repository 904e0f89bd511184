use std::time::Duration;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{Options, TestApp, error_code};
use crate::on_both_databases;
use crate::provisions::provision;

on_both_databases!(options = retire_later; invoice_totals_match_to_the_cent);

/// Provisions stay cancellable for the test.
fn retire_later() -> Options {
    Options {
        retirement_delay: Duration::from_secs(3_600),
        ..Options::default()
    }
}

fn dec(value: &Value) -> Decimal {
    value.as_str().unwrap().parse().unwrap()
}

async fn invoice_totals_match_to_the_cent(app: TestApp) {
    let mut expected_price = Decimal::ZERO;
    let mut expected_tonnes = Decimal::ZERO;
    let mut ids = Vec::new();
    for tonnes in ["0.001", "0.333333", "1.234567", "2.5", "10.000001"] {
        let created = provision(
            &app,
            json!({ "quantityTonnes": tonnes, "beneficiaryName": "Invoice" }),
        )
        .await;
        expected_price += dec(&created["provision"]["price"]["amount"]);
        expected_tonnes += dec(&created["provision"]["quantityTonnes"]);
        ids.push(created["provision"]["id"].clone());
    }
    let cancelled = provision(
        &app,
        json!({ "quantityTonnes": "7", "beneficiaryName": "Cancelled" }),
    )
    .await;
    app.ok(
        "mutation($id: ID!) { cancelProvision(input: { provisionId: $id }) { provision { status } } }",
        json!({ "id": cancelled["provision"]["id"] }),
    )
    .await;
    // Another organization's provision is on its own invoice.
    app.graphql_as(
        Some(&app.key_b),
        "mutation { createProvision(input: { quantityTonnes: \"3\", beneficiaryName: \"B\" }) { provision { id } } }",
        json!({}),
    )
    .await;

    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let data = app
        .ok(
            "query($month: String!) { invoice(month: $month) { month totalTonnes total { amount currency } totals { amount }
                provisions(first: 100) { totalCount nodes { id price { amount } } } } }",
            json!({ "month": month }),
        )
        .await;
    let invoice = &data["invoice"];
    assert_eq!(invoice["month"], month);
    assert_eq!(dec(&invoice["total"]["amount"]), expected_price);
    assert_eq!(invoice["total"]["currency"], "USD");
    assert_eq!(dec(&invoice["totalTonnes"]), expected_tonnes);
    assert_eq!(invoice["provisions"]["totalCount"], 5);
    let listed: Vec<_> = invoice["provisions"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| node["id"].clone())
        .collect();
    assert_eq!(listed, ids);
    // 0.15 + 50.00 + 185.19 + 375.00 + 1500.00 (each rounded once, then summed exactly)
    assert_eq!(invoice["total"]["amount"], "2110.34");

    let empty = app.ok("{ invoice(month: \"2020-01\") { totalTonnes total { amount } provisions { totalCount } } }", json!({})).await;
    assert_eq!(
        empty["invoice"],
        json!({ "totalTonnes": "0.000000", "total": { "amount": "0.00" }, "provisions": { "totalCount": 0 } })
    );
    for month in ["2026-13", "2026-1", "November", "2026-11-01"] {
        let body = app
            .graphql(
                "query($m: String!) { invoice(month: $m) { month } }",
                json!({ "m": month }),
            )
            .await;
        assert_eq!(
            error_code(&body),
            ("BAD_USER_INPUT".to_owned(), Some("month".to_owned())),
            "{month}"
        );
    }
}

/// An invoice has an identity a normalised cache can keep: a global ID `node` answers, for its
/// organization only.
#[tokio::test]
async fn an_invoice_is_a_node_of_its_organization() {
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    provision(
        &app,
        json!({ "quantityTonnes": "1", "beneficiaryName": "Invoice" }),
    )
    .await;
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let invoice = app
        .ok(
            "query($month: String!) { invoice(month: $month) { id month totalTonnes } }",
            json!({ "month": month }),
        )
        .await["invoice"]
        .clone();
    let node = app
        .ok(
            "query($id: ID!) { node(id: $id) { id ... on Invoice { month totalTonnes } } }",
            json!({ "id": invoice["id"] }),
        )
        .await["node"]
        .clone();
    assert_eq!(node, invoice);
    let other = app
        .graphql_as(
            Some(&app.key_b),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": invoice["id"] }),
        )
        .await;
    assert_eq!(error_code(&other).0, "NOT_FOUND", "{other}");
}
