//! API keys on the command line: issued, listed without their secrets, revoked; a revoked
//! key is refused within a second (the time a server believes a key it checked), over HTTP
//! and WebSocket.

use std::process::Command;

use serde_json::{Value, json};

use crate::process::{Server, free_port};
use crate::subscriptions::Client;

/// Runs `contrail <args>` in `dir`; its stdout, or a panic with its stderr.
fn contrail(dir: &std::path::Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_contrail"))
        .current_dir(dir)
        .env_clear()
        .env("RUST_LOG", "warn")
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "contrail {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn key_in(output: &str) -> String {
    output
        .split_whitespace()
        .find(|word| word.starts_with("ctr_"))
        .expect("a key is printed")
        .to_owned()
}

async fn fleet(server: &Server, key: &str) -> Value {
    reqwest::Client::new()
        .post(server.url("/graphql"))
        .bearer_auth(key)
        .json(&json!({ "query": "{ fleet { totalCount } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn keys_are_issued_listed_and_revoked() {
    let dir = std::env::temp_dir().join(format!("contrail_keys_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let created = contrail(&dir, &["org", "create", "--name", "Keys Co"]);
    let first = key_in(&created);
    let org = created
        .split("(id ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap()
        .to_owned();
    let second = key_in(&contrail(&dir, &["org", "keys", "create", "--org", &org]));

    let server = Server::start(&dir, free_port(), &[("CONTRAIL_MODE", "production")]);
    server.ready().await;
    assert_eq!(
        fleet(&server, &second).await["data"]["fleet"]["totalCount"],
        0
    );

    let listed = contrail(&dir, &["org", "keys", "list", "--org", &org]);
    let rows: Vec<&str> = listed.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{listed}");
    for key in [&first, &second] {
        assert!(
            !listed.contains(key.as_str()),
            "no secret in the list: {listed}"
        );
        assert!(listed.contains(&key[..10]), "its prefix is: {listed}");
    }
    let second_row = rows.iter().find(|row| row.contains(&second[..10])).unwrap();
    let columns: Vec<&str> = second_row.split_whitespace().collect();
    assert_ne!(columns[4], "-", "last used is recorded: {second_row}");
    let first_row = rows.iter().find(|row| row.contains(&first[..10])).unwrap();
    assert!(
        first_row.split_whitespace().nth(4) == Some("-"),
        "never used: {first_row}"
    );

    let revoked = contrail(
        &dir,
        &["org", "keys", "revoke", "--org", &org, "--key", columns[0]],
    );
    assert!(revoked.starts_with("Revoked key"), "{revoked}");
    // The server checked the key less than a second ago and may still believe it until then.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let refused = fleet(&server, &second).await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{refused}"
    );
    assert_eq!(
        fleet(&server, &first).await["data"]["fleet"]["totalCount"],
        0,
        "the other key works"
    );
    let mut socket = Client::connect(&server.url(""), "graphql-transport-ws").await;
    socket
        .send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {second}") } }))
        .await;
    assert_eq!(socket.closed().await, (4403, "Forbidden".into()));
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
