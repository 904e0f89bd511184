use serde_json::json;

use crate::helpers::{TestApp, error_code};
use crate::on_both_databases;

on_both_databases!(
    organizations_see_only_their_own,
    keys_are_required_and_checked
);

async fn organizations_see_only_their_own(app: TestApp) {
    let aircraft_id = app.register("N123AB").await;
    let emission = app
        .ok("mutation { createEmission(input: { tailNumber: \"N123AB\", durationMinutes: 60 }) { emission { id } } }", json!({}))
        .await["createEmission"]["emission"]["id"]
        .clone();
    let estimate = app
        .ok("mutation { estimateEmission(input: { tailNumber: \"N123AB\", durationMinutes: 60 }) { estimate { id } } }", json!({}))
        .await["estimateEmission"]["estimate"]["id"]
        .clone();
    let b = Some(app.key_b.as_str());

    let probes = [
        ("{ aircraft(tailNumber: \"N123AB\") { id } }", json!({})),
        (
            "query($id: ID!) { emission(id: $id) { id } }",
            json!({ "id": emission }),
        ),
        (
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": emission }),
        ),
        (
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": aircraft_id }),
        ),
        (
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": estimate }),
        ),
        (
            "mutation($id: ID!) { updateAircraft(input: { id: $id, fuelType: JET_B }) { aircraft { id } } }",
            json!({ "id": aircraft_id }),
        ),
        (
            "mutation($id: ID!) { removeAircraft(input: { id: $id }) { aircraft { id } } }",
            json!({ "id": aircraft_id }),
        ),
        (
            "mutation($id: ID!) { createEmission(input: { estimateId: $id }) { emission { id } } }",
            json!({ "id": estimate }),
        ),
        (
            "mutation { estimateEmission(input: { tailNumber: \"N123AB\", durationMinutes: 60 }) { estimate { id } } }",
            json!({}),
        ),
    ];
    for (query, variables) in probes {
        let body = app.graphql_as(b, query, variables).await;
        assert_eq!(error_code(&body).0, "NOT_FOUND", "{query}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(
            !message.contains("organization"),
            "reveals nothing: {message}"
        );
    }
    let data = app
        .graphql_as(
            b,
            "{ fleet { totalCount } emissions { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["data"],
        json!({ "fleet": { "totalCount": 0 }, "emissions": { "totalCount": 0 } })
    );
    // A's aircraft is untouched.
    let data = app
        .ok(
            "{ aircraft(tailNumber: \"N123AB\") { fuelType } }",
            json!({}),
        )
        .await;
    assert_eq!(data["aircraft"]["fuelType"], "JET_A");
}

async fn keys_are_required_and_checked(app: TestApp) {
    for key in [
        None,
        Some("ctr_wrongwrongwrongwrongwrongwrongwrongwrong"),
        Some("not-a-key"),
    ] {
        let body = app
            .graphql_as(key, "{ fleet { totalCount } }", json!({}))
            .await;
        assert_eq!(error_code(&body).0, "UNAUTHENTICATED", "{key:?}");
    }
    let malformed = app
        .client()
        .post(app.url("/graphql"))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .json(&json!({ "query": "{ emissions { totalCount } }" }))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(error_code(&malformed).0, "UNAUTHENTICATED");
    let public = app
        .graphql_as(None, "{ aircraftModels(search: \"E55P\") { code } listings { id unitPrice { amount } project { name } } }", json!({}))
        .await;
    assert!(public.get("errors").is_none(), "{public}");
    assert_eq!(public["data"]["aircraftModels"][0]["code"], "E55P");
    assert!(!public["data"]["listings"].as_array().unwrap().is_empty());
}
