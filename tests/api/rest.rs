//! The REST routes of the two seed products, over real HTTP on both databases: their flows end
//! to end (estimate → emission → provision checkout → paid and retired; quote → checkout →
//! `success_url/<payment_id>` → `GET /payments/{id}`), own-checkout provisions with
//! idempotent linking, ids shared with GraphQL, and pages.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::on_both_databases;
use crate::payments::support::{default_listing, press};

on_both_databases!(
    the_estimate_to_provision_checkout_flow_pays_and_retires,
    the_quote_to_checkout_flow_returns_to_the_success_url_with_the_payment_id,
    one_id_works_in_both_apis,
    lists_page_with_limit_and_cursor,
);
on_both_databases!(options = retire_in_an_hour; own_checkout_provisions_link_idempotently);

/// A confirmed provision stays open to links for a while (a retired one's flights are final).
fn retire_in_an_hour() -> crate::helpers::Options {
    crate::helpers::Options {
        retirement_delay: Duration::from_secs(3_600),
        ..crate::helpers::Options::default()
    }
}

/// A REST call as organization A (or with `key`); the status and the JSON answer.
pub async fn call_as(
    app: &TestApp,
    key: Option<&str>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app.client().request(method, app.url(path));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request reaches the server");
    let status = response.status().as_u16();
    let content_type = response.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    (
        status,
        response.json().await.expect("REST answers are JSON"),
    )
}

pub async fn call(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    call_as(app, Some(&app.key_a), method, path, body).await
}

/// Expects `status`; returns the answer.
pub async fn expect(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
    status: u16,
) -> Value {
    let (got, answer) = call(app, method.clone(), path, body).await;
    assert_eq!(got, status, "{method} {path}: {answer:#}");
    answer
}

pub async fn register(app: &TestApp, tail: &str) -> Value {
    let body = json!({ "tail_number": tail, "model_code": "E55P" });
    expect(app, Method::POST, "/api/fleet", Some(body), 201).await
}

/// Records a 90-minute Phenom 300 flight of `tail` (registered first) from its estimate.
pub async fn record_flight(app: &TestApp, tail: &str) -> Value {
    let body = json!({ "tail_number": tail, "duration_minutes": 90 });
    let estimate = expect(
        app,
        Method::POST,
        "/api/emissions/estimate",
        Some(body),
        200,
    )
    .await;
    let body = json!({ "estimate_id": estimate["id"], "origin": "KTEB", "destination": "PBI" });
    expect(app, Method::POST, "/api/emissions", Some(body), 201).await
}

/// Polls `GET /payments/{id}` until it is paid and retired (at most 15 s).
async fn until_retired(app: &TestApp, id: &str) -> Value {
    let started = Instant::now();
    loop {
        let payment = expect(app, Method::GET, &format!("/payments/{id}"), None, 200).await;
        if payment["retirement_status"] == "RETIRED" || started.elapsed() > Duration::from_secs(15)
        {
            return payment;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn the_estimate_to_provision_checkout_flow_pays_and_retires(app: TestApp) {
    let aircraft = register(&app, " n123ab ").await;
    assert_eq!(aircraft["tail_number"], "N123AB");
    assert_eq!(aircraft["model_code"], "E55P");
    assert_eq!(aircraft["fuel_type"], "JET_A", "the model's default fuel");

    let body = json!({ "tail_number": "N123AB", "duration_minutes": 90, "fuel_type": "JET_A",
        "saf_blend_percent": "30", "saf_pathway": "HEFA_USED_COOKING_OIL" });
    let estimate = expect(
        &app,
        Method::POST,
        "/api/emissions/estimate",
        Some(body),
        200,
    )
    .await;
    assert_eq!(estimate["fuel_burned_kg"], "813.106");
    assert_eq!(estimate["co2_kg"], "2569.416");
    assert_eq!(estimate["saf_reduction_kg"], "650.438");
    assert_eq!(estimate["net_co2_kg"], "1918.979");
    assert_eq!(estimate["methodology"]["version"], "contrail-2026.2");
    let options = estimate["offset_options"].as_array().unwrap();
    let shares: Vec<&Value> = options.iter().map(|option| &option["percentage"]).collect();
    assert_eq!(shares, [50, 100, 150]);
    assert_eq!(options[1]["tonnes"], "1.918979");
    assert_eq!(options[1]["price"]["currency"], "USD");
    assert_eq!(
        app.count_rows("emissions").await,
        0,
        "an estimate records nothing"
    );

    let body = json!({ "estimate_id": estimate["id"], "departed_at": "2026-11-02T08:30:00Z",
        "origin": "KTEB", "destination": "PBI" });
    let emission = expect(
        &app,
        Method::POST,
        "/api/emissions",
        Some(body.clone()),
        201,
    )
    .await;
    assert_eq!(emission["estimate_id"], estimate["id"]);
    assert_eq!(emission["net_co2_kg"], "1918.979");
    assert_eq!(emission["offset_status"], "NOT_OFFSET");
    let again = expect(&app, Method::POST, "/api/emissions", Some(body), 409).await;
    assert_eq!(
        again["error"]["code"], "CONFLICT",
        "an estimate is recorded once"
    );

    let body = json!({ "emission_ids": [emission["id"]], "offset_percentage": 100,
        "redirect_url": "https://example.com/redirect" });
    let checkout = expect(
        &app,
        Method::POST,
        "/api/provisions/checkout",
        Some(body),
        201,
    )
    .await;
    assert_eq!(checkout["provision"]["status"], "PENDING_PAYMENT");
    assert_eq!(checkout["provision"]["quantity_tonnes"], "1.918979");
    assert_eq!(
        checkout["provision"]["emission_ids"],
        json!([emission["id"]])
    );
    assert_eq!(checkout["payment"]["status"], "PENDING");
    assert_eq!(
        checkout["payment"]["amount"], checkout["provision"]["price"],
        "the customer pays the provision's price"
    );
    let redirected = press(checkout["checkout_url"].as_str().unwrap(), "pay").await;
    assert_eq!(redirected, "https://example.com/redirect");

    let payment_id = checkout["payment"]["id"].as_str().unwrap();
    let payment = until_retired(&app, payment_id).await;
    assert_eq!(payment["status"], "SUCCEEDED", "{payment:#}");
    assert_eq!(payment["retirement_status"], "RETIRED");
    assert_eq!(payment["customer_email"], "jane@example.com");
    assert_eq!(payment["certificate"]["status"], "ISSUED");
    let provision_path = format!(
        "/api/provisions/{}",
        checkout["provision"]["id"].as_str().unwrap()
    );
    let provision = expect(&app, Method::GET, &provision_path, None, 200).await;
    assert_eq!(provision["status"], "RETIRED");
    assert_eq!(provision["billing"], "CHECKOUT");
    assert_eq!(provision["payment_id"], payment["id"]);
    assert!(
        provision["certificate"]["url"]
            .as_str()
            .unwrap()
            .contains("/certificates/")
    );
    let emission_path = format!("/api/emissions/{}", emission["id"].as_str().unwrap());
    let emission = expect(&app, Method::GET, &emission_path, None, 200).await;
    assert_eq!(emission["offset_status"], "OFFSET");
    assert_eq!(emission["offset_kg"], "1918.979");
    assert_eq!(emission["offset_percentage"], "100");
    assert_eq!(emission["provision_ids"], json!([provision["id"]]));
}

async fn the_quote_to_checkout_flow_returns_to_the_success_url_with_the_payment_id(app: TestApp) {
    let (listing, _) = default_listing(&app).await;
    let body = json!({ "asset_price_source_id": listing, "quantity_tonnes": "2.5" });
    let quote = expect(&app, Method::POST, "/quotes", Some(body), 201).await;
    assert_eq!(quote["asset_price_source_id"], listing);
    assert_eq!(quote["quantity_tonnes"], "2.500000");
    assert_eq!(quote["consumed"], false);

    let body = json!({
        "quote_id": quote["id"],
        "metadata": { "beneficiary_name": "Jane Doe", "retirement_message": "Trip to Nice" },
        "success_url": "https://shop.example/paid",
        "cancel_url": "https://shop.example/cart",
    });
    let checkout = expect(&app, Method::POST, "/checkout", Some(body), 201).await;
    let payment = &checkout["payment"];
    assert_eq!(payment["status"], "PENDING");
    assert_eq!(payment["quote_id"], quote["id"]);
    assert_eq!(payment["amount"], quote["total"]);
    assert_eq!(payment["beneficiary_name"], "Jane Doe");
    assert_eq!(payment["retirement_message"], "Trip to Nice");
    let payment_id = payment["id"].as_str().unwrap();

    let landed = press(checkout["url"].as_str().unwrap(), "pay").await;
    assert_eq!(landed, format!("https://shop.example/paid/{payment_id}"));
    let paid_id = landed.rsplit('/').next().unwrap();
    let payment = until_retired(&app, paid_id).await;
    assert_eq!(
        (&payment["status"], &payment["retirement_status"]),
        (&json!("SUCCEEDED"), &json!("RETIRED")),
        "{payment:#}"
    );
    assert!(payment["paid_at"].is_string() && payment["retired_at"].is_string());
    assert_eq!(payment["certificate"]["status"], "ISSUED");
}

async fn own_checkout_provisions_link_idempotently(app: TestApp) {
    register(&app, "N123AB").await;
    let first = record_flight(&app, "N123AB").await;
    let second = record_flight(&app, "N123AB").await;

    let body = json!({ "quantity_tonnes": "1", "beneficiary_name": "Jane Doe",
        "retirement_message": "Flight to Palm Beach" });
    let provision = expect(&app, Method::POST, "/api/provisions", Some(body), 201).await;
    assert_eq!(provision["status"], "CONFIRMED", "{provision:#}");
    assert_eq!(provision["billing"], "INVOICE");
    assert_eq!(provision["quantity_tonnes"], "1.000000");
    assert_eq!(provision["emission_ids"], json!([]));
    assert!(provision["invoice_month"].is_string());
    let certificate_url = provision["certificate"]["url"].as_str().unwrap();
    let page = app.client().get(certificate_url).send().await.unwrap();
    assert_eq!(page.status(), 200, "the certificate link opens");

    let path = format!(
        "/api/provisions/{}/emissions",
        provision["id"].as_str().unwrap()
    );
    let body = json!({ "emission_ids": [first["id"], second["id"]] });
    let linked = expect(&app, Method::PUT, &path, Some(body.clone()), 200).await;
    let both = json!([first["id"], second["id"]]);
    assert_eq!(linked["emission_ids"], both);
    let again = expect(&app, Method::PUT, &path, Some(body), 200).await;
    assert_eq!(again["emission_ids"], both, "linking twice changes nothing");
    let links = app.count_rows("provision_emissions").await;
    assert_eq!(links, 2);

    // Each flight carries half of the tonne: their net CO2 are equal.
    let emission = expect(
        &app,
        Method::GET,
        &format!("/api/emissions/{}", first["id"].as_str().unwrap()),
        None,
        200,
    )
    .await;
    assert_eq!(emission["offset_kg"], "500.000");
    assert_eq!(emission["offset_status"], "PARTIALLY_OFFSET");

    // Sized from emissions instead: linked at once.
    let body = json!({ "emission_ids": [first["id"]], "offset_percentage": 150,
        "beneficiary_name": "Jane Doe" });
    let sized = expect(&app, Method::POST, "/api/provisions", Some(body), 201).await;
    assert_eq!(sized["offset_percentage"], 150);
    assert_eq!(sized["quantity_tonnes"], "3.854124");
    assert_eq!(sized["emission_ids"], json!([first["id"]]));
}

async fn one_id_works_in_both_apis(app: TestApp) {
    register(&app, "N123AB").await;
    let made_by_rest = record_flight(&app, "N123AB").await;
    let data = app
        .ok(
            "query($id: ID!) { node(id: $id) { id ... on Emission { netCo2Kg tailNumber } } }",
            json!({ "id": made_by_rest["id"] }),
        )
        .await;
    assert_eq!(data["node"]["id"], made_by_rest["id"]);
    assert_eq!(data["node"]["netCo2Kg"], made_by_rest["net_co2_kg"]);

    let made_by_graphql = app
        .ok(
            "mutation { createEmission(input: { tailNumber: \"N123AB\", durationMinutes: 60 }) { emission { id netCo2Kg } } }",
            json!({}),
        )
        .await["createEmission"]["emission"]
        .clone();
    let path = format!("/api/emissions/{}", made_by_graphql["id"].as_str().unwrap());
    let read = expect(&app, Method::GET, &path, None, 200).await;
    assert_eq!(read["id"], made_by_graphql["id"]);
    assert_eq!(read["net_co2_kg"], made_by_graphql["netCo2Kg"]);

    // A REST provision linked to a GraphQL emission, read back through GraphQL.
    let body = json!({ "emission_ids": [made_by_graphql["id"]], "offset_percentage": 100,
        "beneficiary_name": "Jane Doe" });
    let provision = expect(&app, Method::POST, "/api/provisions", Some(body), 201).await;
    let data = app
        .ok(
            "query($id: ID!) { provision(id: $id) { status quantityTonnes emissions { id } } }",
            json!({ "id": provision["id"] }),
        )
        .await;
    assert_eq!(
        data["provision"]["quantityTonnes"],
        provision["quantity_tonnes"]
    );
    assert_eq!(
        data["provision"]["emissions"][0]["id"],
        made_by_graphql["id"]
    );

    // Another organization's id names nothing.
    let (status, answer) = call_as(&app, Some(&app.key_b), Method::GET, &path, None).await;
    assert_eq!(
        (status, &answer["error"]["code"]),
        (404, &json!("NOT_FOUND"))
    );
}

async fn lists_page_with_limit_and_cursor(app: TestApp) {
    for tail in ["N101AA", "N102AA", "N103AA"] {
        register(&app, tail).await;
        record_flight(&app, tail).await;
    }
    for path in ["/api/fleet", "/api/emissions"] {
        let first = expect(&app, Method::GET, &format!("{path}?limit=2"), None, 200).await;
        assert_eq!(first["data"].as_array().unwrap().len(), 2, "{path}");
        let cursor = first["next_cursor"].as_str().expect("a next page");
        let rest = expect(
            &app,
            Method::GET,
            &format!("{path}?limit=2&cursor={cursor}"),
            None,
            200,
        )
        .await;
        assert_eq!(rest["data"].as_array().unwrap().len(), 1, "{path}");
        assert!(rest["next_cursor"].is_null(), "{path}: the last page");
        let all = expect(&app, Method::GET, path, None, 200).await;
        let tails: Vec<&Value> = all["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| &item["tail_number"])
            .collect();
        assert_eq!(
            tails,
            ["N101AA", "N102AA", "N103AA"],
            "{path}: oldest first"
        );
    }
    let other = call_as(&app, Some(&app.key_b), Method::GET, "/api/emissions", None).await;
    assert_eq!(other.1["data"], json!([]), "each organization sees its own");
}
