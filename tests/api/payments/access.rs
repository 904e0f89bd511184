//! Who sees a payment, and what reading many costs.

use std::sync::Arc;

use sea_orm::ConnectionTrait;
use serde_json::json;

use super::support::*;
use crate::helpers::{Backend, TestApp, error_code};

async fn scripted(backend: Backend) -> (TestApp, Arc<ScriptedGateway>) {
    let gateway = Arc::new(ScriptedGateway::default());
    let app = TestApp::builder(backend)
        .gateway(gateway.clone())
        .spawn()
        .await;
    (app, gateway)
}

#[tokio::test]
async fn payments_and_quotes_are_private_to_their_organization() {
    let (app, _) = scripted(Backend::Sqlite).await;
    let (listing, _) = default_listing(&app).await;
    let created = checkout(&app, checkout_input(&listing, "1")).await;
    let id = created["payment"]["id"].clone();
    let as_b = |query: &'static str| app.graphql_as(Some(&app.key_b), query, json!({ "id": id }));
    let body = as_b("query($id: ID!) { payment(id: $id) { id } }").await;
    assert_eq!(error_code(&body).0, "NOT_FOUND");
    let body = as_b("query($id: ID!) { node(id: $id) { id } }").await;
    assert_eq!(error_code(&body).0, "NOT_FOUND");
    let body = app
        .graphql_as(Some(&app.key_b), "{ payments { totalCount } }", json!({}))
        .await;
    assert_eq!(body["data"]["payments"]["totalCount"], 0);
    let body = app
        .graphql_as(None, "{ payments { totalCount } }", json!({}))
        .await;
    assert_eq!(error_code(&body).0, "UNAUTHENTICATED");
    let mine = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Payment { status } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(mine["node"]["status"], "PENDING");
    let listed = app
        .ok(
            "{ payments(filter: { status: PENDING }) { totalCount nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["payments"]["nodes"][0]["id"], id);
}

const PAGE: &str = "query($first: Int) { payments(first: $first) { totalCount nodes {
    id status amount { amount } beneficiaryName
    provision { id status quantityTonnes }
    certificate { number status }
    quote { id total { amount } }
    events { status } } } }";

#[tokio::test]
async fn a_page_of_100_payments_costs_what_a_page_of_10_does() {
    let (app, gateway) = scripted(Backend::Sqlite).await;
    let (listing, _) = default_listing(&app).await;
    let quote = "mutation($l: ID!) { createQuote(input: { assetPriceSourceId: $l, quantityTonnes: \"0.5\" }) { quote { id } } }";
    let mut paid = Vec::new();
    for n in 0..100 {
        let input = if n % 2 == 0 {
            let quote =
                app.ok(quote, json!({ "l": listing })).await["createQuote"]["quote"]["id"].clone();
            json!({ "quoteId": quote, "metadata": { "beneficiaryName": "Quoted" },
                "successUrl": "https://shop.example/paid", "cancelUrl": "https://shop.example/cart" })
        } else {
            checkout_input(&listing, "0.5")
        };
        let created = checkout(&app, input).await;
        if n % 10 == 0 {
            let id = created["payment"]["id"].as_str().unwrap().to_owned();
            let id: contrail::ids::PaymentId =
                contrail::api::id::parse(&async_graphql::ID(id), "id").unwrap();
            gateway.pay(id);
            paid.push(id.0.to_string());
        }
    }
    // Only the paid ones are reconciled, so no background work runs while statements are
    // counted below.
    app.db
        .execute_unprepared(&format!(
            "UPDATE payments SET reconcile_after = created_at WHERE id IN ({})",
            paid.join(", ")
        ))
        .await
        .unwrap();
    app.app.reconciliation_wake.wake();
    let succeeded = || async {
        app.ok(
            "{ payments(filter: { retirementStatus: RETIRED }) { totalCount } }",
            json!({}),
        )
        .await["payments"]["totalCount"]
            .as_u64()
            .unwrap()
    };
    let mut retired = succeeded().await;
    for _ in 0..200 {
        if retired == 10 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        retired = succeeded().await;
    }
    assert_eq!(retired, 10);

    // Background jobs may add statements of their own now and then: the fewest of a few runs
    // is the request's own count.
    let count = |first: i64| {
        let app = &app;
        async move {
            let mut fewest = u64::MAX;
            for _ in 0..3 {
                app.take_statement_count();
                let data = app.ok(PAGE, json!({ "first": first })).await;
                assert_eq!(
                    data["payments"]["nodes"].as_array().unwrap().len() as i64,
                    first
                );
                fewest = fewest.min(app.take_statement_count());
            }
            fewest
        }
    };
    let ten = count(10).await;
    let hundred = count(100).await;
    eprintln!("statements for a page of 10 payments: {ten}, of 100: {hundred}");
    assert_eq!(ten, hundred);
}
