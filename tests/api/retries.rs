//! Retrying with a business reference: the same request answers the original, another request
//! with the reference is a conflict naming it, and concurrent retries make one record.

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::fixtures::emission_with_net;
use crate::helpers::{TestApp, error_code};
use crate::on_both_databases;
use crate::payments::support::{CHECKOUT, PROVISION_CHECKOUT, checkout_input, default_listing};

on_both_databases!(
    emissions_replay_by_reference,
    provisions_replay_by_reference,
    checkouts_replay_by_reference,
    provision_checkouts_replay_by_reference,
);

/// Sends `query` with `input` ten times at once and twice after; every answer is the same
/// record, and exactly one of them made it.
async fn replays(app: &TestApp, query: &str, input: Value, payload: &str, node: &str) -> String {
    let variables = json!({ "input": input });
    let first = join_all((0..10).map(|_| app.graphql(query, variables.clone()))).await;
    let later = [
        app.graphql(query, variables.clone()).await,
        app.graphql(query, variables.clone()).await,
    ];
    let answers: Vec<&Value> = first.iter().chain(later.iter()).collect();
    for answer in &answers {
        assert!(answer.get("errors").is_none(), "{answer}");
    }
    let ids: Vec<&Value> = answers
        .iter()
        .map(|answer| &answer["data"][payload][node]["id"])
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "one record: {ids:?}");
    let made = answers
        .iter()
        .filter(|answer| answer["data"][payload]["replayed"] == false)
        .count();
    assert_eq!(made, 1, "made once, replayed the other times");
    ids[0].as_str().unwrap().to_owned()
}

/// Another request with a taken reference: `CONFLICT` naming the original.
async fn conflicts(app: &TestApp, query: &str, input: Value, original: &str) {
    let body = app.graphql(query, json!({ "input": input })).await;
    assert_eq!(error_code(&body).0, "CONFLICT", "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["existingId"], original,
        "{body}"
    );
}

const EMISSION: &str = "mutation($input: CreateEmissionInput!) { createEmission(input: $input) { emission { id externalReference } replayed } }";

async fn emissions_replay_by_reference(app: TestApp) {
    app.register("N123AB").await;
    let input = json!({ "tailNumber": "n123ab", "durationMinutes": 90, "externalReference": "TRIP-7",
        "departedAt": "2026-11-02T08:30:00Z", "origin": "KTEB" });
    let id = replays(&app, EMISSION, input.clone(), "createEmission", "emission").await;
    // The same request spelled differently is the same request.
    let mut respelled = input.clone();
    respelled["tailNumber"] = json!(" N123AB ");
    respelled["origin"] = json!("kteb");
    let again = app.ok(EMISSION, json!({ "input": respelled })).await;
    assert_eq!(again["createEmission"]["emission"]["id"], id);
    assert_eq!(again["createEmission"]["replayed"], true);

    let mut other = input.clone();
    other["durationMinutes"] = json!(91);
    conflicts(&app, EMISSION, other, &id).await;
    assert_eq!(app.count_rows("emissions").await, 1);
    let found = app
        .ok(
            "{ emissions(filter: { externalReference: \"TRIP-7\" }) { totalCount nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(found["emissions"]["nodes"][0]["id"], id);
    // Without a reference every request records a flight, as before.
    let plain = json!({ "tailNumber": "N123AB", "durationMinutes": 30 });
    app.ok(EMISSION, json!({ "input": plain.clone() })).await;
    app.ok(EMISSION, json!({ "input": plain })).await;
    assert_eq!(app.count_rows("emissions").await, 3);
}

const PROVISION: &str = "mutation($input: CreateProvisionInput!) { createProvision(input: $input) { provision { id externalReference } certificateUrl replayed } }";

async fn provisions_replay_by_reference(app: TestApp) {
    app.register("N123AB").await;
    let emission = emission_with_net(&app, "N123AB", 1_000).await;
    let input = json!({ "emissionIds": [emission], "offsetPercentage": 100,
        "beneficiaryName": "Jane", "externalReference": "BOOKING-9" });
    let id = replays(
        &app,
        PROVISION,
        input.clone(),
        "createProvision",
        "provision",
    )
    .await;
    let mut other = input.clone();
    other["offsetPercentage"] = json!(150);
    conflicts(&app, PROVISION, other, &id).await;
    for table in ["provisions", "certificates"] {
        assert_eq!(app.count_rows(table).await, 1, "{table}");
    }
    let offset = app
        .ok(
            "query($id: ID!) { emission(id: $id) { offsetPercentage } }",
            json!({ "id": emission }),
        )
        .await;
    assert_eq!(
        offset["emission"]["offsetPercentage"], "100",
        "offset once, not 200 %"
    );
    let found = app
        .ok("{ provisions(filter: { externalReference: \"BOOKING-9\" }) { nodes { id externalReference } } }", json!({}))
        .await;
    assert_eq!(found["provisions"]["nodes"][0]["id"], id);
    assert_eq!(
        found["provisions"]["nodes"][0]["externalReference"],
        "BOOKING-9"
    );
    // References are per organization: B may use the same one.
    let theirs = app
        .graphql_as(
            Some(&app.key_b),
            PROVISION,
            json!({ "input": {
            "quantityTonnes": "1", "beneficiaryName": "B", "externalReference": "BOOKING-9" } }),
        )
        .await;
    assert_eq!(
        theirs["data"]["createProvision"]["replayed"], false,
        "{theirs}"
    );
}

async fn checkouts_replay_by_reference(app: TestApp) {
    let (listing, _) = default_listing(&app).await;
    let mut input = checkout_input(&listing, "1");
    input["externalReference"] = json!("ORDER-42");
    let id = replays(
        &app,
        CHECKOUT_REPLAYED,
        input.clone(),
        "createCheckout",
        "payment",
    )
    .await;
    let mut other = input.clone();
    other["quantityTonnes"] = json!("2");
    conflicts(&app, CHECKOUT, other, &id).await;
    assert_eq!(app.count_rows("payments").await, 1);
    assert_eq!(app.count_rows("provisions").await, 1);
    let found = app
        .ok("{ payments(filter: { externalReference: \"ORDER-42\" }) { nodes { id externalReference } } }", json!({}))
        .await;
    assert_eq!(found["payments"]["nodes"][0]["id"], id);
    assert_eq!(
        crate::payments::support::available(&app, &listing).await,
        "4999.000000",
        "held once"
    );
}

async fn provision_checkouts_replay_by_reference(app: TestApp) {
    app.register("N123AB").await;
    let emission = emission_with_net(&app, "N123AB", 1_000).await;
    let input = json!({ "emissionIds": [emission], "offsetPercentage": 100, "externalReference": "TRIP-X" });
    let id = replays(
        &app,
        PROVISION_CHECKOUT_REPLAYED,
        input.clone(),
        "createProvisionCheckout",
        "payment",
    )
    .await;
    let mut other = input.clone();
    other["offsetPercentage"] = json!(50);
    conflicts(&app, PROVISION_CHECKOUT, other, &id).await;
    assert_eq!(app.count_rows("payments").await, 1);
    assert_eq!(app.count_rows("provision_emissions").await, 1);
}

const PROVISION_CHECKOUT_REPLAYED: &str =
    "mutation($input: CreateProvisionCheckoutInput!) { createProvisionCheckout(input: $input) {
    checkoutUrl payment { id } provision { id externalReference } replayed } }";

const CHECKOUT_REPLAYED: &str =
    "mutation($input: CreateCheckoutInput!) { createCheckout(input: $input) {
    url payment { id externalReference } replayed } }";
