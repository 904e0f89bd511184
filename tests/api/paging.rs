//! Paging both ways, as the Relay cursor-connections specification says: `last`/`before` next
//! to `first`/`after`, the page flags right in both directions, and as few statements
//! backwards as forwards.

use serde_json::{Value, json};

use crate::emissions::record_flights;
use crate::helpers::{TestApp, error_code};
use crate::on_both_databases;

on_both_databases!(
    every_row_once_backwards_as_forwards,
    nested_pages_go_backwards_in_one_batch,
);

const PAGE: &str = "query($first: Int, $after: String, $last: Int, $before: String) {
    emissions(first: $first, after: $after, last: $last, before: $before) {
        edges { cursor node { id } }
        pageInfo { hasPreviousPage hasNextPage startCursor endCursor } } }";

fn ids(page: &Value) -> Vec<String> {
    page["emissions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

fn flags(page: &Value) -> (bool, bool) {
    let info = &page["emissions"]["pageInfo"];
    (
        info["hasPreviousPage"].as_bool().unwrap(),
        info["hasNextPage"].as_bool().unwrap(),
    )
}

async fn every_row_once_backwards_as_forwards(app: TestApp) {
    app.register("N123AB").await;
    record_flights(&app, "N123AB", 25, "2026-10-01T00:00:00Z".parse().unwrap()).await;
    let all: Vec<String> = ids(&app.ok(PAGE, json!({ "first": 100 })).await);
    assert_eq!(all.len(), 25);

    app.take_statement_count();
    let last = app.ok(PAGE, json!({ "last": 10 })).await;
    let backward_statements = app.take_statement_count();
    assert_eq!(ids(&last), all[15..], "the last ten, in list order");
    assert_eq!(flags(&last), (true, false));

    let middle = app
        .ok(
            PAGE,
            json!({ "last": 10, "before": last["emissions"]["pageInfo"]["startCursor"] }),
        )
        .await;
    assert_eq!(ids(&middle), all[5..15]);
    assert_eq!(flags(&middle), (true, true));
    let start = app
        .ok(
            PAGE,
            json!({ "last": 10, "before": middle["emissions"]["pageInfo"]["startCursor"] }),
        )
        .await;
    assert_eq!(ids(&start), all[..5]);
    assert_eq!(flags(&start), (false, true));

    // Between two cursors, and forwards from the start for comparison.
    let between = app
        .ok(
            PAGE,
            json!({ "first": 100,
                "after": start["emissions"]["pageInfo"]["endCursor"],
                "before": last["emissions"]["pageInfo"]["startCursor"] }),
        )
        .await;
    assert_eq!(ids(&between), all[5..15]);
    app.take_statement_count();
    let first = app.ok(PAGE, json!({ "first": 10 })).await;
    assert_eq!(
        app.take_statement_count(),
        backward_statements,
        "as cheap both ways"
    );
    assert_eq!(flags(&first), (false, true));

    for (variables, field) in [
        (json!({ "first": 5, "last": 5 }), "last"),
        (json!({ "last": 0 }), "last"),
        (json!({ "last": 101 }), "last"),
        (json!({ "last": 5, "before": "nonsense" }), "before"),
    ] {
        let body = app.graphql(PAGE, variables.clone()).await;
        assert_eq!(
            error_code(&body),
            ("BAD_USER_INPUT".into(), Some(field.into())),
            "{variables}"
        );
    }
}

const FLEET: &str = "query($last: Int) { fleet { nodes { tailNumber
    emissions(last: $last) { edges { node { id } } pageInfo { hasPreviousPage hasNextPage } } } } }";

async fn nested_pages_go_backwards_in_one_batch(app: TestApp) {
    for tail in ["G-AAAA", "G-BBBB", "G-CCCC"] {
        app.register(tail).await;
        record_flights(&app, tail, 4, "2026-10-01T00:00:00Z".parse().unwrap()).await;
    }
    app.take_statement_count();
    let data = app.ok(FLEET, json!({ "last": 2 })).await;
    let statements = app.take_statement_count();
    for aircraft in data["fleet"]["nodes"].as_array().unwrap() {
        let emissions = &aircraft["emissions"];
        let edges: Vec<&str> = emissions["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|edge| edge["node"]["id"].as_str().unwrap())
            .collect();
        assert_eq!(edges.len(), 2, "{aircraft}");
        assert_ne!(edges[0], edges[1]);
        assert_eq!(emissions["pageInfo"]["hasPreviousPage"], true);
        assert_eq!(emissions["pageInfo"]["hasNextPage"], false);
    }
    // The fleet page, one batched emissions query for all three aircraft.
    assert_eq!(statements, 2);
}
