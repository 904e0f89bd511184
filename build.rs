//! Enables the tests that need what a laptop may lack, each when its variable is set, so that
//! without it `cargo test` lists them as ignored, with the reason, instead of passing
//! silently: the PostgreSQL variants of the API tests (`TEST_DATABASE_URL`), the browser
//! and Node client tests (`BROWSER_TESTS`, after `npm ci --prefix tests/node`,
//! `npm ci --prefix tests/clients` and installing Chromium), the checks against a real
//! Prometheus (`PROMETHEUS_TESTS`, after installing Debian's `prometheus`), and the fuzzing of
//! the REST routes against their OpenAPI document (`SCHEMATHESIS`, the path of the
//! `schemathesis` command). Also records the git commit the binary is built from, for
//! `contrail_build_info`.

use std::process::Command;

fn main() {
    for (variable, cfg) in [
        ("TEST_DATABASE_URL", "postgres_tests"),
        ("BROWSER_TESTS", "browser_tests"),
        ("PROMETHEUS_TESTS", "prometheus_tests"),
        ("SCHEMATHESIS", "schemathesis_tests"),
    ] {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        println!("cargo::rerun-if-env-changed={variable}");
        if std::env::var_os(variable).is_some_and(|value| !value.is_empty()) {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .filter(|commit| !commit.is_empty())
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo::rustc-env=CONTRAIL_GIT_COMMIT={commit}");
    println!("cargo::rerun-if-changed=.git/HEAD");
    println!("cargo::rerun-if-changed=.git/refs/heads");
}
