//! Enables the tests that need what a laptop may lack, each when its variable is set, so that
//! without it `cargo test` lists them as ignored, with the reason, instead of passing
//! silently: the PostgreSQL variants of the API tests (`TEST_DATABASE_URL`), the browser
//! and Node client tests (`BROWSER_TESTS`, after `npm ci --prefix tests/node`,
//! `npm ci --prefix tests/clients` and installing Chromium), and the fuzzing of the REST routes
//! against their OpenAPI document (`SCHEMATHESIS`, the path of the `schemathesis` command).
fn main() {
    for (variable, cfg) in [
        ("TEST_DATABASE_URL", "postgres_tests"),
        ("BROWSER_TESTS", "browser_tests"),
        ("SCHEMATHESIS", "schemathesis_tests"),
    ] {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        println!("cargo::rerun-if-env-changed={variable}");
        if std::env::var_os(variable).is_some_and(|value| !value.is_empty()) {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}
