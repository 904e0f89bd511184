use serde_json::json;

use crate::fixtures::emission_with_net;
use crate::helpers::{TestApp, error_code};
use crate::on_both_databases;
use crate::provisions::provision;

on_both_databases!(
    certificate_page_shows_the_retirement,
    certificates_are_public_but_provisions_private,
    numbers_certificates_per_year
);

async fn certificate_page_shows_the_retirement(app: TestApp) {
    app.register("G-ABCD").await;
    let emission = emission_with_net(&app, "G-ABCD", 2_500).await;
    let created = provision(
        &app,
        json!({
            "emissionIds": [emission], "offsetPercentage": 100,
            "beneficiaryName": "Ada <script>alert('x')</script> & Co",
            "retirementMessage": "For the \"flight\" to Nice"
        }),
    )
    .await;
    let certificate = &created["provision"]["certificate"];
    let url = created["certificateUrl"].as_str().unwrap();
    assert_eq!(url, certificate["url"].as_str().unwrap());
    let public_id = certificate["publicId"].as_str().unwrap();
    assert!(
        public_id.len() >= 22,
        "at least 128 random bits: {public_id}"
    );

    let response = app.client().get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    let number = certificate["number"].as_str().unwrap();
    let serials = created["provision"]["allocations"][0]["serialRange"]
        .as_str()
        .unwrap();
    for expected in [
        number,
        "Issued",
        "G-ABCD",
        "EGLF → LFMN",
        "02 Nov 2026",
        "2500.000",
        // E55P: ±6.4 % (LIGHT_JET model error and the median brochure spread).
        "2340.000–2660.000 (±6.4 %)",
        serials,
        "2.500000 t",
        "Demo — Biochar from forestry residues",
        "Puro.earth (demo)",
    ] {
        assert!(html.contains(expected), "page shows {expected:?}");
    }
    assert!(!html.contains("<script>"), "user input is escaped");
    assert!(
        html.contains("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62; &#38; Co"),
        "{html}"
    );
    assert!(html.contains("For the &#34;flight&#34; to Nice"));

    let missing = app
        .client()
        .get(app.url("/certificates/doesnotexist"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(
        missing
            .text()
            .await
            .unwrap()
            .contains("Certificate not found")
    );
}

async fn certificates_are_public_but_provisions_private(app: TestApp) {
    let created = provision(
        &app,
        json!({ "quantityTonnes": "1.5", "beneficiaryName": "Public Person" }),
    )
    .await;
    let public_id = created["provision"]["certificate"]["publicId"].clone();
    let query = "query($id: String!) { certificate(publicId: $id) { number status beneficiaryName quantityTonnes
        project { name } allocations { tonnes serialRange } provision { id } } }";
    for key in [None, Some(app.key_b.as_str())] {
        let body = app.graphql_as(key, query, json!({ "id": public_id })).await;
        assert!(body.get("errors").is_none(), "{body}");
        let certificate = &body["data"]["certificate"];
        assert_eq!(certificate["beneficiaryName"], "Public Person");
        assert_eq!(certificate["quantityTonnes"], "1.500000");
        assert_eq!(certificate["status"], "ISSUED");
        assert!(
            certificate["provision"].is_null(),
            "price and links stay private"
        );
    }
    let owner = app.ok(query, json!({ "id": public_id })).await;
    assert_eq!(
        owner["certificate"]["provision"]["id"],
        created["provision"]["id"]
    );
    let unknown = app.graphql_as(None, query, json!({ "id": "nope" })).await;
    assert_eq!(error_code(&unknown).0, "NOT_FOUND");
}

async fn numbers_certificates_per_year(app: TestApp) {
    let year = chrono::Utc::now().format("%Y").to_string();
    let mut numbers = Vec::new();
    for name in ["One", "Two", "Three"] {
        let created = provision(
            &app,
            json!({ "quantityTonnes": "0.5", "beneficiaryName": name }),
        )
        .await;
        numbers.push(
            created["provision"]["certificate"]["number"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(
        numbers,
        [
            format!("CTR-{year}-000001"),
            format!("CTR-{year}-000002"),
            format!("CTR-{year}-000003")
        ]
    );
}
