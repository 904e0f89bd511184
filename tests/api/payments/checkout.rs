//! The hosted checkout end to end through the built-in Stripe test double: the hosted page, the
//! buttons, the signed webhooks over HTTP, fulfilment, retirement and the e-mail.

use std::time::{Duration, Instant};

use serde_json::json;

use super::support::*;
use crate::fixtures::emission_with_net;
use crate::helpers::{Options, TestApp, error_code};
use crate::on_both_databases;

on_both_databases!(
    pays_retires_and_mails_exactly_once,
    a_provision_checkout_offsets_its_emissions,
    pay_later_settles_after_a_while,
    declined_cancelled_and_expired_checkouts_release_their_hold,
    checkout_input_is_checked_writing_nothing,
);

async fn pays_retires_and_mails_exactly_once(app: TestApp) {
    let started = Instant::now();
    let (listing, before) = default_listing(&app).await;
    assert_eq!(before, "5000.000000");
    let created = checkout(&app, checkout_input(&listing, "1")).await;
    let payment_id = created["payment"]["id"].clone();
    assert_eq!(created["payment"]["status"], "PENDING");
    assert_eq!(created["payment"]["retirementStatus"], "NOT_STARTED");
    assert_eq!(
        created["payment"]["amount"],
        json!({ "amount": "150.00", "currency": "USD" })
    );
    assert!(created["payment"]["clientSecret"].as_str().unwrap().len() >= 32);
    assert_eq!(
        available(&app, &listing).await,
        "4999.000000",
        "the credits are held"
    );

    let url = created["url"].as_str().unwrap();
    assert_eq!(created["payment"]["checkoutUrl"], url);
    let page = browser().get(url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("150.00"), "the page shows the amount: {html}");

    let landing = press(url, "pay").await;
    let id = payment_id.as_str().unwrap();
    assert_eq!(landing, format!("https://shop.example/paid/{id}"));

    let paid = wait_for(&app, &payment_id, is("SUCCEEDED", "RETIRED")).await;
    eprintln!("checkout to retirement: {:?}", started.elapsed());
    assert_eq!(
        statuses(&paid),
        ("SUCCEEDED".into(), "RETIRED".into()),
        "{paid}"
    );
    assert!(paid["paidAt"].is_string() && paid["retiredAt"].is_string());
    assert_eq!(paid["customerEmail"], "jane@example.com");
    assert_eq!(paid["provision"]["status"], "RETIRED");
    assert_eq!(paid["provision"]["billing"], "CHECKOUT");
    assert_eq!(paid["certificate"]["status"], "ISSUED");
    let ranges = paid["certificate"]["allocations"].as_array().unwrap();
    assert_eq!(ranges.len(), 1);
    assert_eq!(ranges[0]["tonnes"], "1.000000");
    let timeline: Vec<(String, String)> = paid["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| {
            (
                event["status"].as_str().unwrap().to_owned(),
                event["retirementStatus"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        timeline,
        [
            ("PENDING".to_owned(), "NOT_STARTED".to_owned()),
            ("SUCCEEDED".to_owned(), "PENDING".to_owned()),
            ("SUCCEEDED".to_owned(), "RETIRED".to_owned()),
        ]
    );
    assert_eq!(available(&app, &listing).await, "4999.000000", "sold once");

    let mails = app.smtp.wait_for(1).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    let certificate_url = paid["certificate"]["url"].as_str().unwrap();
    assert_eq!(mails[0].to, ["jane@example.com"]);
    let number = paid["certificate"]["number"].as_str().unwrap();
    assert!(mails[0].subject.contains(number), "{}", mails[0].subject);
    assert!(mails[0].text.contains(certificate_url), "{}", mails[0].text);
    assert!(mails[0].html.contains(certificate_url), "{}", mails[0].html);
    assert!(mails[0].text.contains("Jane Doe") && mails[0].text.contains("Flight to Nice"));
    // Nothing more arrives: the e-mail is sent once.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.smtp.messages().len(), 1);
    assert_eq!(app.count_rows("certificates").await, 1);
}

async fn a_provision_checkout_offsets_its_emissions(app: TestApp) {
    app.register("N123AB").await;
    let emission = emission_with_net(&app, "N123AB", 2_000).await;
    let input = json!({
        "emissionIds": [emission],
        "offsetPercentage": 150,
        "customerEmail": "pat@example.com",
    });
    let created =
        app.ok(PROVISION_CHECKOUT, json!({ "input": input })).await["createProvisionCheckout"]
            .clone();
    let provision = &created["provision"];
    assert_eq!(provision["status"], "PENDING_PAYMENT");
    assert_eq!(provision["quantityTonnes"], "3.000000");
    assert_eq!(provision["billing"], "CHECKOUT");
    assert!(
        provision["certificate"].is_null(),
        "no certificate before payment"
    );
    assert_eq!(provision["payment"]["id"], created["payment"]["id"]);
    assert_eq!(created["payment"]["amount"]["amount"], "450.00");
    let offset = "query($id: ID!) { emission(id: $id) { offsetStatus offsetPercentage } }";
    assert_eq!(
        app.ok(offset, json!({ "id": emission })).await["emission"]["offsetStatus"],
        "NOT_OFFSET",
        "a pending provision offsets nothing"
    );

    // Without a redirect URL the customer lands on the server's own thank-you page.
    let landing = press_as(
        created["checkoutUrl"].as_str().unwrap(),
        "pay",
        "pat@example.com",
    )
    .await;
    assert!(landing.starts_with(&app.url("/thanks/")), "{landing}");
    let payment_id = created["payment"]["id"].clone();
    let paid = wait_for(&app, &payment_id, is("SUCCEEDED", "RETIRED")).await;
    assert_eq!(paid["provision"]["status"], "RETIRED");
    let data = app.ok(offset, json!({ "id": emission })).await;
    assert_eq!(
        data["emission"],
        json!({ "offsetStatus": "OFFSET", "offsetPercentage": "150" })
    );

    let thanks = browser().get(&landing).send().await.unwrap();
    assert_eq!(thanks.status(), 200);
    assert!(
        thanks.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let html = thanks.text().await.unwrap();
    assert!(html.contains("retired"), "{html}");
    assert!(
        html.contains(paid["certificate"]["url"].as_str().unwrap()),
        "{html}"
    );
    let mails = app.smtp.wait_for(1).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, ["pat@example.com"]);
    assert!(
        mails[0].text.contains("N123AB"),
        "the flight is named: {}",
        mails[0].text
    );
    // The page of an unknown payment is a 404; a sequential id is no name for it.
    let unknown = browser().get(app.url("/thanks/1")).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
}

async fn pay_later_settles_after_a_while(app: TestApp) {
    let (listing, _) = default_listing(&app).await;
    let created = checkout(&app, checkout_input(&listing, "2")).await;
    let id = created["payment"]["id"].clone();
    press(created["url"].as_str().unwrap(), "pay-later").await;
    let awaiting = wait_for(&app, &id, |payment| {
        payment["events"].as_array().unwrap().len() >= 2
    })
    .await;
    assert_eq!(
        statuses(&awaiting),
        ("PENDING".into(), "NOT_STARTED".into()),
        "{awaiting}"
    );
    assert!(
        awaiting["events"][1]["reason"]
            .as_str()
            .unwrap()
            .contains("awaiting")
    );
    let settled = wait_for(&app, &id, is("SUCCEEDED", "RETIRED")).await;
    assert_eq!(
        statuses(&settled),
        ("SUCCEEDED".into(), "RETIRED".into()),
        "{settled}"
    );
    assert_eq!(app.smtp.wait_for(1).await.len(), 1);
}

async fn declined_cancelled_and_expired_checkouts_release_their_hold(app: TestApp) {
    let (listing, _) = default_listing(&app).await;

    let declined = checkout(&app, checkout_input(&listing, "1")).await;
    assert_eq!(available(&app, &listing).await, "4999.000000");
    press(declined["url"].as_str().unwrap(), "decline").await;
    let failed = wait_for(
        &app,
        &declined["payment"]["id"],
        is("FAILED", "NOT_STARTED"),
    )
    .await;
    assert_eq!(
        statuses(&failed),
        ("FAILED".into(), "NOT_STARTED".into()),
        "{failed}"
    );
    assert_eq!(failed["provision"]["status"], "FAILED");
    assert_eq!(available(&app, &listing).await, "5000.000000", "released");

    let cancelled = checkout(&app, checkout_input(&listing, "1")).await;
    let back_to = press(cancelled["url"].as_str().unwrap(), "cancel").await;
    // Stripe sends the customer to our cancel link, which closes the checkout, then to the shop.
    let response = browser().get(&back_to).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "https://shop.example/cart");
    let payment = payment(&app, &cancelled["payment"]["id"]).await;
    assert_eq!(
        statuses(&payment),
        ("CANCELLED".into(), "NOT_STARTED".into())
    );
    assert_eq!(payment["provision"]["status"], "CANCELLED");
    assert_eq!(available(&app, &listing).await, "5000.000000");
    // Paying a cancelled checkout is no longer possible.
    let refused = browser()
        .post(format!("{}/pay", cancelled["url"].as_str().unwrap()))
        .form(&[("email", "jane@example.com")])
        .send()
        .await
        .unwrap();
    assert_ne!(refused.status(), 303);

    let expiring = checkout(&app, checkout_input(&listing, "1")).await;
    let session = expiring["url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    app.app.gateway.expire_session(&session).await.unwrap();
    let expired = wait_for(
        &app,
        &expiring["payment"]["id"],
        is("EXPIRED", "NOT_STARTED"),
    )
    .await;
    assert_eq!(
        statuses(&expired),
        ("EXPIRED".into(), "NOT_STARTED".into()),
        "{expired}"
    );
    assert_eq!(expired["provision"]["status"], "EXPIRED");
    assert_eq!(available(&app, &listing).await, "5000.000000");
    assert_eq!(app.count_rows("certificates").await, 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        app.smtp.messages().is_empty(),
        "no e-mail for unpaid checkouts"
    );
}

async fn checkout_input_is_checked_writing_nothing(app: TestApp) {
    let (listing, _) = default_listing(&app).await;
    let with = |change: serde_json::Value| {
        let mut input = checkout_input(&listing, "1");
        input
            .as_object_mut()
            .unwrap()
            .extend(change.as_object().unwrap().clone());
        input
    };
    let cases = [
        (with(json!({ "successUrl": "not a url" })), "successUrl"),
        (
            with(json!({ "successUrl": "javascript:alert(1)" })),
            "successUrl",
        ),
        (
            with(json!({ "cancelUrl": "ftp://shop.example/" })),
            "cancelUrl",
        ),
        (with(json!({ "customerEmail": "nobody" })), "customerEmail"),
        (with(json!({ "quantityTonnes": "0" })), "quantityTonnes"),
        (
            with(json!({ "quantityTonnes": "0.0000001" })),
            "quantityTonnes",
        ),
        (
            with(json!({ "assetPriceSourceId": "bogus" })),
            "assetPriceSourceId",
        ),
        (with(json!({ "quoteId": "bogus" })), "quoteId"),
        (
            with(json!({ "metadata": { "beneficiaryName": " " } })),
            "beneficiaryName",
        ),
    ];
    crate::helpers::assert_bad_inputs(&app, CHECKOUT, &cases).await;
    let too_much = app
        .graphql(
            CHECKOUT,
            json!({ "input": with(json!({ "quantityTonnes": "6000" })) }),
        )
        .await;
    assert_eq!(error_code(&too_much).0, "INSUFFICIENT_SUPPLY");
    let anonymous = app
        .graphql_as(
            None,
            CHECKOUT,
            json!({ "input": checkout_input(&listing, "1") }),
        )
        .await;
    assert_eq!(error_code(&anonymous).0, "UNAUTHENTICATED");
    for table in ["payments", "provisions", "allocations"] {
        assert_eq!(app.count_rows(table).await, 0, "{table}");
    }
    assert_eq!(available(&app, &listing).await, "5000.000000");
}

/// Retirement an hour after payment, so a paid provision can be seen `CONFIRMED`.
pub fn retire_in_an_hour() -> Options {
    Options {
        retirement_delay: Duration::from_secs(3_600),
        ..Options::default()
    }
}
