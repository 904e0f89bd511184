//! The `contrail` binary as a newcomer runs it: no configuration, a fresh directory.

use std::process::Command;

use serde_json::{Value, json};

use crate::process::{Server, free_port};

#[tokio::test]
async fn fresh_directory_serves_with_a_printed_demo_key() {
    let dir = std::env::temp_dir().join(format!("contrail_fresh_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let server = Server::start(&dir, port, &[]);
    let output = server.startup_output();
    let key = output
        .iter()
        .find_map(|line| {
            line.split_whitespace()
                .find(|word| word.starts_with("ctr_"))
        })
        .expect("a demo API key is printed on first start")
        .trim_end_matches('`')
        .to_owned();
    assert!(key.len() >= 4 + 32);
    assert_eq!(
        output.last().unwrap(),
        &format!("GraphiQL: http://127.0.0.1:{port}/graphql")
    );
    assert!(dir.join("contrail.db").exists());

    // No pooled connections: the second server reuses the port.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    assert_eq!(
        client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok"
    );
    let body: Value = client
        .post(format!("{base}/graphql"))
        .bearer_auth(&key)
        .json(&json!({ "query": "{ fleet { totalCount } listings { id } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["data"]["fleet"]["totalCount"], 0, "{body}");
    assert_eq!(
        body["data"]["listings"].as_array().unwrap().len(),
        4,
        "demo supply seeded"
    );
    let html = client
        .get(format!("{base}/graphql"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("graphiql") && !html.contains("https://"));
    assert!(server.terminate().success(), "graceful shutdown on SIGTERM");

    // Second start on the same database: nothing seeded or created again.
    let server = Server::start(&dir, port, &[]);
    let output = server.startup_output();
    assert!(
        !output.iter().any(|line| line.contains("ctr_")),
        "no second demo organization: {output:?}"
    );
    let body: Value = client
        .post(format!("{base}/graphql"))
        .bearer_auth(&key)
        .json(&json!({ "query": "{ listings { id } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["data"]["listings"].as_array().unwrap().len(),
        4,
        "{body}"
    );
    assert!(server.terminate().success());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Documents that once crashed or exhausted the process: the real binary answers each with a
/// coded error and lives on.
#[tokio::test]
async fn hostile_documents_leave_the_process_alive() {
    let dir = std::env::temp_dir().join(format!("contrail_hostile_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let mut server = Server::start(&dir, port, &[]);
    server.startup_output();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let nested = format!(
        "{{ aircraftModels(search: {}\"x\"{}) {{ code }} }}",
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    let mut bomb = String::from("{ aircraftModels { ...F0 } }");
    for level in 0..30 {
        bomb.push_str(&format!(
            " fragment F{level} on AircraftModel {{ ...F{next} ...F{next} }}",
            next = level + 1
        ));
    }
    bomb.push_str(" fragment F30 on AircraftModel { code }");
    for document in [&nested, &bomb] {
        let response = client
            .post(format!("{base}/graphql"))
            .json(&json!({ "query": document }))
            .send()
            .await
            .expect("an answer");
        let body: Value = response.json().await.unwrap();
        assert!(
            body["errors"][0]["extensions"]["code"].is_string(),
            "{body}"
        );
        let response = client
            .get(format!("{base}/graphql"))
            .query(&[("query", document.as_str())])
            .send()
            .await
            .expect("an answer");
        assert_ne!(response.status(), 500);
        let body: Value = response.json().await.unwrap();
        assert!(
            body["errors"][0]["extensions"]["code"].is_string(),
            "{body}"
        );
    }
    assert!(server.child.try_wait().unwrap().is_none(), "still running");
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(server.terminate().success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_configuration_stops_start_up_naming_the_setting() {
    let cases: [(&str, &str, &str); 3] = [
        ("CONTRAIL_FEE_BPS", "lots", "--fee-bps"),
        ("CONTRAIL_PUBLIC_URL", "ftp://example.com", "--public-url"),
        ("CONTRAIL_MODE", "staging", "--mode"),
    ];
    for (variable, value, flag) in cases {
        let output = Command::new(env!("CARGO_BIN_EXE_contrail"))
            .env_clear()
            .env(variable, value)
            .arg("schema")
            .output()
            .unwrap();
        assert!(!output.status.success(), "{variable}={value} is refused");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(flag) && stderr.contains(value),
            "{variable}: {stderr}"
        );
    }
}

#[test]
fn a_malformed_trusted_documents_manifest_stops_start_up() {
    let dir = std::env::temp_dir().join(format!("contrail_manifest_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = dir.join("manifest.json");
    let start = |manifest_text: &str| {
        std::fs::write(&manifest, manifest_text).unwrap();
        let mut server = Command::new(env!("CARGO_BIN_EXE_contrail"))
            .env_clear()
            .env("CONTRAIL_TRUSTED_DOCUMENTS", &manifest)
            .env("CONTRAIL_LISTEN", "127.0.0.1:0")
            .current_dir(&dir)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while server.try_wait().unwrap().is_none() {
            if std::time::Instant::now() > deadline {
                server.kill().unwrap();
                panic!("the server started with the manifest {manifest_text}");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let output = server.wait_with_output().unwrap();
        assert!(!output.status.success());
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let stderr = start(r#"{ "q1": "{ fleet(first: 1) { totalCount }" }"#);
    assert!(stderr.contains("\"q1\" does not parse"), "{stderr}");
    let stderr = start(r#"["{ fleet(first: 1) { totalCount } }"]"#);
    assert!(
        stderr.contains("--trusted-documents") && stderr.contains("JSON object"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn schema_command_prints_the_sdl() {
    let output = Command::new(env!("CARGO_BIN_EXE_contrail"))
        .env_clear()
        .arg("schema")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        contrail::api::sdl()
    );
}

#[test]
fn org_create_prints_a_key_once() {
    let dir = std::env::temp_dir().join(format!("contrail_org_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_contrail"))
        .current_dir(&dir)
        .env_clear()
        .args(["org", "create", "--name", "Acme Air"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("Acme Air"));
    assert_eq!(stdout.matches("ctr_").count(), 1, "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `contrail credits …` on the database of `dir`; returns (success, stdout, stderr).
fn credits(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_contrail"))
        .current_dir(dir)
        .env_clear()
        .arg("credits")
        .args(args)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap().trim().to_owned(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn operator_loads_supply_with_the_credits_commands() {
    let dir = std::env::temp_dir().join(format!("contrail_credits_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    let (ok, project, stderr) = credits(
        &dir,
        &[
            "add-project",
            "--name",
            "Nordic Biochar",
            "--method",
            "Biochar",
            "--registry",
            "Puro.earth",
            "--country",
            "fi",
            "--vintage",
            "2025",
        ],
    );
    assert!(ok, "{stderr}");
    let (ok, listing, stderr) = credits(
        &dir,
        &[
            "add-listing",
            "--project",
            &project,
            "--unit-price",
            "150.00",
            "--currency",
            "EUR",
        ],
    );
    assert!(ok, "{stderr}");
    let (ok, batch, stderr) = credits(
        &dir,
        &[
            "add-batch",
            "--listing",
            &listing,
            "--serial-prefix",
            "PURO-NB-2025-01",
            "--vintage",
            "2025",
            "--tonnes",
            "20",
        ],
    );
    assert!(ok, "{stderr}");
    assert!(batch.parse::<i64>().is_ok(), "prints the batch id: {batch}");
    let (ok, list, _) = credits(&dir, &["list"]);
    assert!(ok);
    assert!(
        list.contains(&listing)
            && list.contains("150.00 EUR/t")
            && list.contains("available 20.000000 t"),
        "{list}"
    );
    assert!(
        list.contains("PURO-NB-2025-01") && list.contains("(default)"),
        "{list}"
    );

    let refused = [
        (
            vec![
                "add-project",
                "--name",
                "X",
                "--method",
                "M",
                "--registry",
                "R",
                "--country",
                "FIN",
                "--vintage",
                "2025",
            ],
            "--country",
        ),
        (
            vec![
                "add-project",
                "--name",
                "X",
                "--method",
                "M",
                "--registry",
                "R",
                "--country",
                "FI",
                "--vintage",
                "1850",
            ],
            "--vintage",
        ),
        (
            vec!["add-listing", "--project", "999", "--unit-price", "10"],
            "--project",
        ),
        (
            vec![
                "add-listing",
                "--project",
                &project,
                "--unit-price",
                "10.001",
            ],
            "--unit-price",
        ),
        (
            vec![
                "add-listing",
                "--project",
                &project,
                "--unit-price",
                "10",
                "--currency",
                "XYZ",
            ],
            "--currency",
        ),
        (
            vec![
                "add-batch",
                "--listing",
                &listing,
                "--serial-prefix",
                "PURO-NB-2025-01",
                "--vintage",
                "2025",
                "--tonnes",
                "1",
            ],
            "serial prefix",
        ),
        (
            vec![
                "add-batch",
                "--listing",
                &listing,
                "--serial-prefix",
                "P2",
                "--vintage",
                "2025",
                "--tonnes",
                "0",
            ],
            "--tonnes",
        ),
        (
            vec![
                "add-batch",
                "--listing",
                "nope",
                "--serial-prefix",
                "P3",
                "--vintage",
                "2025",
                "--tonnes",
                "1",
            ],
            "--listing",
        ),
    ];
    for (args, named) in refused {
        let (ok, _, stderr) = credits(&dir, &args);
        assert!(!ok, "{args:?} is refused");
        assert!(stderr.contains(named), "{args:?}: {stderr}");
    }
    let (_, list, _) = credits(&dir, &["list"]);
    assert!(
        list.contains("available 20.000000 t"),
        "refused commands wrote nothing: {list}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
