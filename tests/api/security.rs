//! What a browser on another site, a scraper and a noisy client can do: CSRF shapes run
//! nothing, cross-origin calls only from listed origins, production mode gives nothing away,
//! every page carries its security headers, and rate limits hold against spoofed addresses.

use std::num::NonZeroU32;

use contrail::config::{Mode, RateLimits, Security};
use serde_json::{Value, json};

use crate::helpers::{Backend, Options, TestApp};

const REGISTER: &str = r#"mutation { registerAircraft(input: { tailNumber: "N77CS", modelCode: "E55P" }) { aircraft { id } } }"#;

async fn fleet_size(app: &TestApp) -> u64 {
    app.ok("{ fleet { totalCount } }", json!({})).await["fleet"]["totalCount"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn requests_a_browser_sends_without_a_preflight_run_no_mutation() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let body = json!({ "query": REGISTER }).to_string();
    let form = format!("query={}", urlencode(REGISTER));
    let shapes: [(Option<&str>, String); 5] = [
        (Some("text/plain"), body.clone()),
        (Some("text/plain;charset=UTF-8"), body.clone()),
        (Some("application/x-www-form-urlencoded"), form),
        (
            Some("multipart/form-data; boundary=x"),
            format!(
                "--x\r\nContent-Disposition: form-data; name=\"query\"\r\n\r\n{REGISTER}\r\n--x--\r\n"
            ),
        ),
        (None, body.clone()),
    ];
    for (content_type, body) in shapes {
        let mut request = app
            .client()
            .post(app.url("/graphql"))
            .bearer_auth(&app.key_a)
            .body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 415, "{content_type:?}");
        let answer: Value = response.json().await.unwrap();
        assert_eq!(
            answer["errors"][0]["extensions"]["code"],
            "UNSUPPORTED_MEDIA_TYPE"
        );
        assert!(answer.get("data").is_none());
    }
    let query = format!("/graphql?query={}", urlencode(REGISTER));
    let response = app
        .client()
        .get(app.url(&query))
        .bearer_auth(&app.key_a)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    assert_eq!(fleet_size(&app).await, 0, "nothing was registered");
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn production_mode_gives_no_field_names_away() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            mode: Mode::Production,
            ..Options::default()
        },
    )
    .await;
    let probes = [
        "{ flet { totalCount } }",
        "{ fleet { totalCont } }",
        "{ emissions { nodes { co2 } } }",
        "{ __schema { types { name } } }",
        "{ __type(name: \"Emission\") { fields { name } } }",
        "mutation { createEmision(input: {}) { emission { id } } }",
        "{ listings { id isDefalt } }",
    ];
    for probe in probes {
        let body = app.graphql(probe, json!({})).await;
        let text = body.to_string();
        assert!(!text.contains("Did you mean"), "{probe}: {text}");
        for name in [
            "fleet",
            "totalCount",
            "netCo2Kg",
            "createEmission",
            "isDefault",
            "Emission\"",
        ] {
            assert!(
                !text.contains(name) || probe.contains(name),
                "{probe} reveals {name}: {text}"
            );
        }
    }
    let graphiql = app
        .client()
        .get(app.url("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(graphiql.status(), 404, "no GraphiQL");
}

fn with_origins(origins: &[&str]) -> Options {
    Options {
        security: Security {
            cors_origins: origins.iter().map(|origin| (*origin).to_owned()).collect(),
            ..Options::default().security
        },
        ..Options::default()
    }
}

#[tokio::test]
async fn cross_origin_calls_come_from_listed_origins_only() {
    let app = TestApp::spawn_with(Backend::Sqlite, with_origins(&["https://shop.example"])).await;
    let preflight = |origin: &'static str| {
        app.client()
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type, idempotency-key",
            )
            .send()
    };
    let allowed = preflight("https://shop.example").await.unwrap();
    assert!(allowed.status().is_success());
    let headers = allowed.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://shop.example"
    );
    let allowed_headers = headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for header in ["authorization", "content-type", "idempotency-key"] {
        assert!(allowed_headers.contains(header), "{allowed_headers}");
    }
    assert!(
        headers.get("access-control-allow-credentials").is_none(),
        "never credentials"
    );

    let refused = preflight("https://evil.example").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    let simple = app
        .client()
        .post(app.url("/graphql"))
        .header("origin", "https://evil.example")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert!(
        simple
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    // Without configured origins, nothing cross-origin is allowed.
    let closed = TestApp::spawn(Backend::Sqlite).await;
    let response = closed
        .client()
        .request(reqwest::Method::OPTIONS, closed.url("/graphql"))
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn every_page_carries_security_headers() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (listing, _) = crate::payments::support::default_listing(&app).await;
    let created = crate::payments::support::checkout(
        &app,
        crate::payments::support::checkout_input(&listing, "1"),
    )
    .await;
    let provision = crate::provisions::provision(
        &app,
        json!({ "quantityTonnes": "1", "beneficiaryName": "Headers" }),
    )
    .await;
    let certificate = provision["provision"]["certificate"]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let pages = [
        app.url("/graphql"),
        certificate,
        app.url("/certificates/unknown"),
        created["url"].as_str().unwrap().to_owned(),
        app.url(&format!(
            "/thanks/{}",
            crate::payments::support::newest_public_id(&app).await
        )),
        app.url("/thanks/unknown"),
    ];
    for page in pages {
        let response = app
            .client()
            .get(&page)
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        let headers = response.headers();
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{page}"
        );
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.starts_with("default-src 'none'"), "{page}: {policy}");
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{page}: {policy}"
        );
        // Only this server's assets (a form may lead on to the merchant's site).
        for directive in policy
            .split(';')
            .filter(|d| !d.trim().starts_with("form-action"))
        {
            assert!(!directive.contains("http"), "{page}: {policy}");
        }
        assert_eq!(headers["x-content-type-options"], "nosniff", "{page}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{page}");
        assert_eq!(headers["x-frame-options"], "DENY", "{page}");
    }
}

fn limited(per_key: u32, per_address: u32, trusted: &[&str]) -> Options {
    Options {
        security: Security {
            rate_limits: RateLimits {
                per_key: NonZeroU32::new(per_key).unwrap(),
                per_address: NonZeroU32::new(per_address).unwrap(),
                burst_secs: NonZeroU32::new(1).unwrap(),
            },
            trusted_proxies: trusted.iter().map(|net| net.parse().unwrap()).collect(),
            ..Security::default()
        },
        ..Options::default()
    }
}

/// Sends `count` requests at once; the statuses.
async fn burst(
    app: &TestApp,
    count: usize,
    key: Option<&str>,
    forwarded_for: Option<&str>,
) -> Vec<reqwest::Response> {
    let requests = (0..count).map(|_| {
        let mut request = app
            .client()
            .post(app.url("/graphql"))
            .json(&json!({ "query": "{ __typename }" }));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(address) = forwarded_for {
            request = request.header("x-forwarded-for", address);
        }
        request.send()
    });
    futures_util::future::join_all(requests)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test]
async fn a_client_over_its_limit_is_told_when_to_retry() {
    let app = TestApp::spawn_with(Backend::Sqlite, limited(5, 1_000, &[])).await;
    let answers = burst(&app, 20, Some(&app.key_a), None).await;
    let refused: Vec<_> = answers
        .iter()
        .filter(|answer| answer.status() == 429)
        .collect();
    assert!(refused.len() >= 10, "{} of 20 refused", refused.len());
    let retry_after: u64 = refused[0].headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let body: Value = answers
        .into_iter()
        .find(|answer| answer.status() == 429)
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    // Another key is not held back by this one.
    let other = burst(&app, 3, Some(&app.key_b), None).await;
    assert!(other.iter().all(|answer| answer.status() == 200));
}

#[tokio::test]
async fn a_spoofed_forwarded_address_does_not_evade_the_limit() {
    // The test client is not a trusted proxy: its X-Forwarded-For is ignored.
    let app = TestApp::spawn_with(Backend::Sqlite, limited(1_000, 5, &["10.0.0.0/8"])).await;
    let mut refused = 0;
    for round in 0..20 {
        let spoofed = format!("198.51.100.{round}");
        let answers = burst(&app, 1, None, Some(&spoofed)).await;
        refused += answers
            .iter()
            .filter(|answer| answer.status() == 429)
            .count();
    }
    assert!(
        refused >= 10,
        "{refused} of 20 refused despite new addresses each time"
    );
}
