use serde_json::{Value, json};

use crate::fixtures::emission_with_net;
use crate::helpers::{Options, TestApp, error_code};
use crate::on_both_databases;
use crate::provisions::provision;

on_both_databases!(
    options = confirmed_for_an_hour;
    covers_emissions_in_proportion,
    links_idempotently_and_all_or_nothing
);
on_both_databases!(a_retired_provision_keeps_its_flights);

/// Provisions stay `CONFIRMED` (offsetting, not yet retired) while the tests link to them.
fn confirmed_for_an_hour() -> Options {
    Options {
        retirement_delay: std::time::Duration::from_secs(3_600),
        ..Options::default()
    }
}

async fn offsets(app: &TestApp, ids: &[&str]) -> Vec<(String, String, String)> {
    let mut result = Vec::new();
    for id in ids {
        let data = app
            .ok(
                "query($id: ID!) { emission(id: $id) { offsetKg offsetPercentage offsetStatus } }",
                json!({ "id": id }),
            )
            .await;
        let emission = &data["emission"];
        result.push((
            emission["offsetKg"].as_str().unwrap().to_owned(),
            emission["offsetPercentage"].as_str().unwrap().to_owned(),
            emission["offsetStatus"].as_str().unwrap().to_owned(),
        ));
    }
    result
}

fn row(kg: &str, percent: &str, status: &str) -> (String, String, String) {
    (kg.to_owned(), percent.to_owned(), status.to_owned())
}

async fn covers_emissions_in_proportion(app: TestApp) {
    app.register("G-ABCD").await;
    let (e1, e2) = (
        emission_with_net(&app, "G-ABCD", 1_000).await,
        emission_with_net(&app, "G-ABCD", 3_000).await,
    );
    let (e3, e4) = (
        emission_with_net(&app, "G-ABCD", 1_000).await,
        emission_with_net(&app, "G-ABCD", 3_000).await,
    );
    assert_eq!(
        offsets(&app, &[&e1]).await,
        [row("0.000", "0", "NOT_OFFSET")]
    );

    let full = provision(
        &app,
        json!({ "emissionIds": [e1, e2], "offsetPercentage": 100, "beneficiaryName": "Pair" }),
    )
    .await;
    assert_eq!(full["provision"]["quantityTonnes"], "4.000000");
    assert_eq!(full["provision"]["offsetPercentage"], 100);
    assert_eq!(
        offsets(&app, &[&e1, &e2]).await,
        [
            row("1000.000", "100", "OFFSET"),
            row("3000.000", "100", "OFFSET")
        ]
    );

    provision(
        &app,
        json!({ "emissionIds": [e3, e4], "offsetPercentage": 50, "beneficiaryName": "Half" }),
    )
    .await;
    assert_eq!(
        offsets(&app, &[&e3, &e4]).await,
        [
            row("500.000", "50", "PARTIALLY_OFFSET"),
            row("1500.000", "50", "PARTIALLY_OFFSET")
        ]
    );

    // A second provision for the first emission alone.
    let second = provision(
        &app,
        json!({ "quantityTonnes": "1", "beneficiaryName": "Top-up" }),
    )
    .await;
    app.ok(
        "mutation($p: ID!, $e: ID!) { linkEmissionsToProvision(input: { provisionId: $p, emissionIds: [$e] }) { provision { id } } }",
        json!({ "p": second["provision"]["id"], "e": e1 }),
    )
    .await;
    assert_eq!(
        offsets(&app, &[&e1, &e2]).await,
        [
            row("2000.000", "200", "OFFSET"),
            row("3000.000", "100", "OFFSET")
        ]
    );

    // 150 % of a single flight.
    let e5 = emission_with_net(&app, "G-ABCD", 2_000).await;
    provision(
        &app,
        json!({ "emissionIds": [e5], "offsetPercentage": 150, "beneficiaryName": "More" }),
    )
    .await;
    assert_eq!(
        offsets(&app, &[&e5]).await,
        [row("3000.000", "150", "OFFSET")]
    );

    // The filter agrees with each emission's own status.
    emission_with_net(&app, "G-ABCD", 700).await;
    for (status, count) in [("OFFSET", 3), ("PARTIALLY_OFFSET", 2), ("NOT_OFFSET", 1)] {
        let data = app
            .ok(
                "query($s: OffsetStatus!) { emissions(filter: { offsetStatus: $s }) { totalCount nodes { offsetStatus } } }",
                json!({ "s": status }),
            )
            .await;
        assert_eq!(data["emissions"]["totalCount"], count, "{status}");
        let nodes = data["emissions"]["nodes"].as_array().unwrap();
        assert!(
            nodes.iter().all(|node| node["offsetStatus"] == status),
            "{status}: {nodes:?}"
        );
    }

    let data = app
        .ok("query($id: ID!) { emission(id: $id) { provisions { quantityTonnes emissions { id } } } }", json!({ "id": e1 }))
        .await;
    let provisions = data["emission"]["provisions"].as_array().unwrap();
    assert_eq!(provisions.len(), 2);
    assert_eq!(provisions[0]["quantityTonnes"], "1.000000", "newest first");
}

async fn provision_emissions(app: &TestApp, provision: &Value) -> Vec<String> {
    let data = app
        .ok(
            "query($id: ID!) { provision(id: $id) { emissions { id } } }",
            json!({ "id": provision }),
        )
        .await;
    data["provision"]["emissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn links_idempotently_and_all_or_nothing(app: TestApp) {
    app.register("G-ABCD").await;
    let e1 = emission_with_net(&app, "G-ABCD", 1_000).await;
    let e2 = emission_with_net(&app, "G-ABCD", 1_000).await;
    let created = provision(
        &app,
        json!({ "quantityTonnes": "1", "beneficiaryName": "Later link" }),
    )
    .await;
    let id = created["provision"]["id"].clone();
    let link = "mutation($p: ID!, $e: [ID!]!) { linkEmissionsToProvision(input: { provisionId: $p, emissionIds: $e }) { provision { id } } }";

    app.ok(link, json!({ "p": id, "e": [e1] })).await;
    app.ok(link, json!({ "p": id, "e": [e1, e1] })).await;
    assert_eq!(
        provision_emissions(&app, &id).await,
        std::slice::from_ref(&e1)
    );
    assert_eq!(
        offsets(&app, &[&e1]).await,
        [row("1000.000", "100", "OFFSET")]
    );

    // B's emission, or one that does not exist: NOT_FOUND and nothing linked.
    app.graphql_as(
        Some(&app.key_b),
        "mutation { registerAircraft(input: { tailNumber: \"G-BBBB\", modelCode: \"E55P\" }) { aircraft { id } } }",
        json!({}),
    )
    .await;
    let foreign = app
        .graphql_as(
            Some(&app.key_b),
            "mutation { createEmission(input: { tailNumber: \"G-BBBB\", durationMinutes: 60 }) { emission { id } } }",
            json!({}),
        )
        .await["data"]["createEmission"]["emission"]["id"]
        .clone();
    let unknown = contrail::api::id::GlobalId::to_id(contrail::ids::EmissionId(999_999)).0;
    for stranger in [foreign.clone(), json!(unknown)] {
        let body = app
            .graphql(link, json!({ "p": id, "e": [e2, stranger] }))
            .await;
        assert_eq!(error_code(&body).0, "NOT_FOUND", "{body}");
        assert_eq!(
            provision_emissions(&app, &id).await,
            std::slice::from_ref(&e1),
            "nothing linked"
        );
    }
    // B cannot link to A's provision either.
    let body = app
        .graphql_as(Some(&app.key_b), link, json!({ "p": id, "e": [foreign] }))
        .await;
    assert_eq!(error_code(&body).0, "NOT_FOUND");

    // Shares follow the links: with e2 linked, each of two equal flights gets half.
    app.ok(link, json!({ "p": id, "e": [e2] })).await;
    assert_eq!(
        offsets(&app, &[&e1, &e2]).await,
        [
            row("500.000", "50", "PARTIALLY_OFFSET"),
            row("500.000", "50", "PARTIALLY_OFFSET")
        ]
    );
    let unlink = "mutation($p: ID!, $e: ID!) { unlinkEmissionFromProvision(input: { provisionId: $p, emissionId: $e }) { provision { emissions { id } } } }";
    let data = app.ok(unlink, json!({ "p": id, "e": e2 })).await;
    assert_eq!(
        data["unlinkEmissionFromProvision"]["provision"]["emissions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        offsets(&app, &[&e1, &e2]).await,
        [
            row("1000.000", "100", "OFFSET"),
            row("0.000", "0", "NOT_OFFSET")
        ]
    );
}

async fn a_retired_provision_keeps_its_flights(app: TestApp) {
    app.register("G-ABCD").await;
    let (e1, e2) = (
        emission_with_net(&app, "G-ABCD", 1_000).await,
        emission_with_net(&app, "G-ABCD", 1_000).await,
    );
    let created = provision(
        &app,
        json!({ "emissionIds": [e1], "offsetPercentage": 100, "beneficiaryName": "Final" }),
    )
    .await;
    assert_eq!(created["provision"]["status"], "RETIRED");
    let id = created["provision"]["id"].clone();
    let page_url = created["certificateUrl"].as_str().unwrap().to_owned();
    let page = || async {
        app.client()
            .get(&page_url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let before = page().await;

    let link = "mutation($p: ID!, $e: [ID!]!) { linkEmissionsToProvision(input: { provisionId: $p, emissionIds: $e }) { provision { id } } }";
    let body = app.graphql(link, json!({ "p": id, "e": [e2] })).await;
    assert_eq!(error_code(&body).0, "CONFLICT", "{body}");
    let body = app.graphql(link, json!({ "p": id, "e": [e1, e2] })).await;
    assert_eq!(error_code(&body).0, "CONFLICT", "{body}");
    // Linking what is linked already changes nothing: a retry stays safe.
    app.ok(link, json!({ "p": id, "e": [e1] })).await;

    let unlink = "mutation($p: ID!, $e: ID!) { unlinkEmissionFromProvision(input: { provisionId: $p, emissionId: $e }) { provision { id } } }";
    let body = app.graphql(unlink, json!({ "p": id, "e": e1 })).await;
    assert_eq!(error_code(&body).0, "CONFLICT", "{body}");

    assert_eq!(
        provision_emissions(&app, &id).await,
        std::slice::from_ref(&e1)
    );
    assert_eq!(
        offsets(&app, &[&e1, &e2]).await,
        [
            row("1000.000", "100", "OFFSET"),
            row("0.000", "0", "NOT_OFFSET")
        ]
    );
    assert_eq!(page().await, before, "the issued certificate is unchanged");
}
