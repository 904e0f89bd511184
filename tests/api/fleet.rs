use serde_json::json;

use crate::helpers::{TestApp, assert_bad_inputs, error_code};
use crate::on_both_databases;

const REGISTER: &str = "mutation($input: RegisterAircraftInput!) { registerAircraft(input: $input) { aircraft { id tailNumber fuelType model { code } } } }";

on_both_databases!(
    registers_and_normalises_tail_numbers,
    rejects_bad_input_writing_nothing,
    updates_and_removes_aircraft,
);

async fn registers_and_normalises_tail_numbers(app: TestApp) {
    let data = app
        .ok(
            REGISTER,
            json!({ "input": { "tailNumber": " n123ab ", "modelCode": "e55p" } }),
        )
        .await;
    let aircraft = &data["registerAircraft"]["aircraft"];
    assert_eq!(aircraft["tailNumber"], "N123AB");
    assert_eq!(aircraft["fuelType"], "JET_A");
    assert_eq!(aircraft["model"]["code"], "E55P");

    let again = app
        .graphql(
            REGISTER,
            json!({ "input": { "tailNumber": "N123AB", "modelCode": "E55P" } }),
        )
        .await;
    assert_eq!(error_code(&again).0, "CONFLICT");

    let other_org = app
        .graphql_as(Some(&app.key_b), REGISTER, json!({ "input": { "tailNumber": "N123AB", "modelCode": "E55P", "fuelType": "JET_A1" } }))
        .await;
    assert_eq!(
        other_org["data"]["registerAircraft"]["aircraft"]["fuelType"], "JET_A1",
        "{other_org}"
    );

    let data = app
        .ok(
            "{ aircraft(tailNumber: \"n123ab\") { tailNumber } fleet { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(data["aircraft"]["tailNumber"], "N123AB");
    assert_eq!(data["fleet"]["totalCount"], 1);
}

async fn rejects_bad_input_writing_nothing(app: TestApp) {
    let cases = [
        (
            json!({ "tailNumber": "!!", "modelCode": "E55P" }),
            "tailNumber",
        ),
        (
            json!({ "tailNumber": "ABCDEFGHIJKLMNOPQRST", "modelCode": "E55P" }),
            "tailNumber",
        ),
        (
            json!({ "tailNumber": "N123AB", "modelCode": "B747" }),
            "modelCode",
        ),
    ];
    let answers = assert_bad_inputs(&app, REGISTER, &cases).await;
    for ((_, field), body) in cases.iter().zip(answers) {
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(field)
        );
    }
    assert_eq!(app.count_rows("aircraft").await, 0, "nothing written");
}

async fn updates_and_removes_aircraft(app: TestApp) {
    let id = app.register("G-ABCD").await;
    let update = "mutation($input: UpdateAircraftInput!) { updateAircraft(input: $input) { aircraft { tailNumber fuelType model { code } } } }";
    let data = app
        .ok(update, json!({ "input": { "id": id, "tailNumber": "g-abce", "modelCode": "C25C", "fuelType": "JET_A1" } }))
        .await;
    assert_eq!(
        data["updateAircraft"]["aircraft"],
        json!({ "tailNumber": "G-ABCE", "fuelType": "JET_A1", "model": { "code": "C25C" } })
    );

    let bad = app
        .graphql(
            update,
            json!({ "input": { "id": id, "modelCode": "NOPE" } }),
        )
        .await;
    assert_eq!(
        error_code(&bad),
        ("BAD_USER_INPUT".to_owned(), Some("modelCode".to_owned()))
    );

    // Without history an aircraft is deleted.
    let remove = "mutation($id: ID!) { removeAircraft(input: { id: $id }) { aircraft { tailNumber archivedAt } } }";
    let data = app.ok(remove, json!({ "id": id })).await;
    assert!(data["removeAircraft"]["aircraft"]["archivedAt"].is_null());
    assert_eq!(app.count_rows("aircraft").await, 0);

    // With emissions it is archived: kept for history, gone from the fleet, tail reusable.
    let id = app.register("D-IBCD").await;
    app.ok(
        "mutation { createEmission(input: { tailNumber: \"D-IBCD\", durationMinutes: 60 }) { emission { id } } }",
        json!({}),
    )
    .await;
    let data = app.ok(remove, json!({ "id": id })).await;
    assert!(data["removeAircraft"]["aircraft"]["archivedAt"].is_string());
    let data = app
        .ok("{ fleet { totalCount } all: fleet(includeArchived: true) { totalCount } emissions { nodes { tailNumber aircraft { archivedAt } } } }", json!({}))
        .await;
    assert_eq!(data["fleet"]["totalCount"], 0);
    assert_eq!(data["all"]["totalCount"], 1);
    assert_eq!(data["emissions"]["nodes"][0]["tailNumber"], "D-IBCD");
    assert!(data["emissions"]["nodes"][0]["aircraft"]["archivedAt"].is_string());
    app.register("D-IBCD").await;

    let again = app.graphql(remove, json!({ "id": id })).await;
    assert_eq!(error_code(&again).0, "NOT_FOUND");
}
