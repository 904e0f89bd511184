//! Checkouts hold what they sell, under concurrency; quotes hold a price, once.

use futures_util::future::join_all;
use sea_orm::ConnectionTrait;
use serde_json::json;

use super::support::*;
use crate::fixtures::listing_with_batches;
use crate::helpers::{TestApp, error_code};
use crate::on_both_databases;

on_both_databases!(
    concurrent_checkouts_never_sell_a_tonne_twice,
    quotes_hold_their_price_once,
);

async fn concurrent_checkouts_never_sell_a_tonne_twice(app: TestApp) {
    let listing = listing_with_batches(&app, 10_000, &[(2024, 5)]).await;
    let attempts =
        (0..10).map(|_| app.graphql(CHECKOUT, json!({ "input": checkout_input(&listing, "1") })));
    let bodies = join_all(attempts).await;
    let (opened, refused): (Vec<_>, Vec<_>) =
        bodies.iter().partition(|body| body.get("errors").is_none());
    assert_eq!(opened.len(), 5, "{bodies:#?}");
    for body in &refused {
        assert_eq!(error_code(body).0, "INSUFFICIENT_SUPPLY", "{body}");
    }
    assert_eq!(available(&app, &listing).await, "0.000000");
    assert_eq!(app.count_rows("payments").await, 5);

    // One checkout expires: its tonne is for sale again.
    let url = opened[0]["data"]["createCheckout"]["url"].as_str().unwrap();
    let session = url.rsplit('/').next().unwrap();
    app.app.gateway.expire_session(session).await.unwrap();
    let id = &opened[0]["data"]["createCheckout"]["payment"]["id"];
    wait_for(&app, id, is("EXPIRED", "NOT_STARTED")).await;
    assert_eq!(available(&app, &listing).await, "1.000000");
    let again = app
        .ok(CHECKOUT, json!({ "input": checkout_input(&listing, "1") }))
        .await;
    assert_eq!(again["createCheckout"]["payment"]["status"], "PENDING");
}

const QUOTE: &str = "mutation($input: CreateQuoteInput!) { createQuote(input: $input) {
    quote { id quantityTonnes unitPrice { amount } subtotal { amount } fee { amount } total { amount currency } expiresAt consumed listing { id } } } }";

async fn quotes_hold_their_price_once(app: TestApp) {
    let (listing, _) = default_listing(&app).await;
    let quote = app
        .ok(
            QUOTE,
            json!({ "input": { "assetPriceSourceId": listing, "quantityTonnes": "2.5" } }),
        )
        .await["createQuote"]["quote"]
        .clone();
    assert_eq!(quote["quantityTonnes"], "2.500000");
    assert_eq!(
        quote["total"],
        json!({ "amount": "375.00", "currency": "USD" })
    );
    assert_eq!(quote["consumed"], false);
    assert_eq!(
        available(&app, &listing).await,
        "5000.000000",
        "a quote holds no credits"
    );

    // The listing's price rises; a checkout from the quote still charges the quote.
    app.db
        .execute_unprepared("UPDATE listings SET unit_price_minor = unit_price_minor * 2")
        .await
        .unwrap();
    let from_quote = |quote: &serde_json::Value| {
        json!({ "input": {
            "quoteId": quote["id"],
            "metadata": { "beneficiaryName": "Quoted" },
            "successUrl": "https://shop.example/paid",
            "cancelUrl": "https://shop.example/cart",
        } })
    };
    let opened = app.ok(CHECKOUT, from_quote(&quote)).await;
    let payment_id = opened["createCheckout"]["payment"]["id"].clone();
    assert_eq!(
        opened["createCheckout"]["payment"]["amount"]["amount"],
        "375.00"
    );
    let payment = payment(&app, &payment_id).await;
    assert_eq!(payment["quote"]["id"], quote["id"]);
    assert_eq!(available(&app, &listing).await, "4997.500000");

    let twice = app.graphql(CHECKOUT, from_quote(&quote)).await;
    assert_eq!(error_code(&twice).0, "CONFLICT", "{twice}");

    let stale = app
        .ok(
            QUOTE,
            json!({ "input": { "assetPriceSourceId": listing, "quantityTonnes": "1" } }),
        )
        .await["createQuote"]["quote"]
        .clone();
    app.db
        .execute_unprepared("UPDATE quotes SET expires_at = created_at WHERE consumed_at IS NULL")
        .await
        .unwrap();
    let expired = app.graphql(CHECKOUT, from_quote(&stale)).await;
    assert_eq!(error_code(&expired).0, "QUOTE_EXPIRED", "{expired}");
    assert_eq!(app.count_rows("payments").await, 1);

    // Quotes are checked like checkouts: the listing's minimum and its supply.
    let cases = [
        (
            json!({ "assetPriceSourceId": listing, "quantityTonnes": "-1" }),
            "quantityTonnes",
        ),
        (
            json!({ "assetPriceSourceId": "nope", "quantityTonnes": "1" }),
            "assetPriceSourceId",
        ),
    ];
    crate::helpers::assert_bad_inputs(&app, QUOTE, &cases).await;
    let too_much = app
        .graphql(
            QUOTE,
            json!({ "input": { "assetPriceSourceId": listing, "quantityTonnes": "9000" } }),
        )
        .await;
    assert_eq!(error_code(&too_much).0, "INSUFFICIENT_SUPPLY");
    let minimum = listing_with_min_fill(&app).await;
    let too_little = app
        .graphql(
            QUOTE,
            json!({ "input": { "assetPriceSourceId": minimum, "quantityTonnes": "0.5" } }),
        )
        .await;
    assert_eq!(
        error_code(&too_little),
        (
            "BAD_USER_INPUT".to_owned(),
            Some("quantityTonnes".to_owned())
        )
    );
    // B cannot see A's quote.
    let foreign = app
        .graphql_as(
            Some(&app.key_b),
            "query($id: ID!) { quote(id: $id) { id } }",
            json!({ "id": quote["id"] }),
        )
        .await;
    assert_eq!(error_code(&foreign).0, "NOT_FOUND");
}

/// A listing that sells at least one tonne.
async fn listing_with_min_fill(app: &TestApp) -> String {
    let listing = listing_with_batches(app, 10_000, &[(2024, 10)]).await;
    app.db
        .execute_unprepared(
            "UPDATE listings SET min_fill_grams = 1000000 WHERE id = (SELECT MAX(id) FROM listings)",
        )
        .await
        .unwrap();
    listing
}
