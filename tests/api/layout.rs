//! The house rules of `src/`, checked so they stay true: layers point down, and no room grows
//! past 450 lines. The README's "Layout" explains the layers.

use std::path::{Path, PathBuf};

/// Each domain and the domains it may use (those below it).
const DOMAINS: [(&str, &[&str]); 11] = [
    ("organizations", &[]),
    ("catalog", &[]),
    ("airports", &[]),
    ("credits", &[]),
    ("certificates", &[]),
    ("mail", &[]),
    ("fleet", &["catalog"]),
    ("emissions", &["fleet", "catalog", "credits", "airports"]),
    ("provisions", &["emissions", "credits", "certificates"]),
    (
        "payments",
        &["provisions", "emissions", "credits", "certificates", "mail"],
    ),
    (
        "accounting",
        &[
            "provisions",
            "emissions",
            "fleet",
            "credits",
            "certificates",
            "catalog",
        ],
    ),
];

/// Shared values and infrastructure, below every domain.
const SHARED: [&str; 13] = [
    "units.rs",
    "ids.rs",
    "fuel.rs",
    "paging.rs",
    "error.rs",
    "config",
    "db.rs",
    "jobs.rs",
    "settings.rs",
    "tokens.rs",
    "retries.rs",
    "events",
    "idempotency",
];

/// What sits above the domains; nothing below may name it.
const UPPER: [&str; 8] = [
    "crate::api",
    "crate::http",
    "crate::cli",
    "crate::app",
    "crate::serve",
    "crate::stripe_gateway",
    "crate::stripe_double",
    "crate::telemetry",
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_owned()];
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).unwrap() {
        files.extend(rust_files(&entry.unwrap().path()));
    }
    files.retain(|file| file.extension().is_some_and(|ext| ext == "rs"));
    files
}

/// Lines of `file` that name `what` outside comments.
fn mentions(file: &Path, what: &str) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .filter(|line| line.contains(what))
        .map(|line| format!("{}: {}", file.display(), line.trim()))
        .collect()
}

#[test]
fn every_module_has_a_layer() {
    let named: Vec<String> = DOMAINS
        .iter()
        .map(|(domain, _)| (*domain).to_owned())
        .chain(
            SHARED
                .iter()
                .map(|path| path.trim_end_matches(".rs").to_owned()),
        )
        .chain(
            UPPER
                .iter()
                .map(|upper| upper.trim_start_matches("crate::").to_owned()),
        )
        .collect();
    let unplaced: Vec<String> = std::fs::read_dir(src())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .map(|name| name.trim_end_matches(".rs").to_owned())
        .filter(|name| !["lib", "main"].contains(&name.as_str()) && !named.contains(name))
        .collect();
    assert!(unplaced.is_empty(), "place these in a layer: {unplaced:?}");
}

#[test]
fn domains_know_nothing_of_graphql_http_or_the_layers_above() {
    let mut violations = Vec::new();
    for (domain, allowed) in DOMAINS {
        for file in rust_files(&src().join(domain)) {
            for forbidden in ["async_graphql", "axum"].iter().chain(UPPER.iter()) {
                violations.extend(mentions(&file, forbidden));
            }
            for (other, _) in DOMAINS {
                if other != domain && !allowed.contains(&other) {
                    violations.extend(mentions(&file, &format!("crate::{other}")));
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "upward imports:\n{}",
        violations.join("\n")
    );
}

#[test]
fn shared_values_sit_below_the_domains() {
    let mut violations = Vec::new();
    for file in SHARED.iter().flat_map(|path| rust_files(&src().join(path))) {
        let names = DOMAINS.iter().map(|(domain, _)| format!("crate::{domain}"));
        for forbidden in names.chain(UPPER.iter().map(|upper| upper.to_string())) {
            violations.extend(mentions(&file, &forbidden));
        }
        violations.extend(mentions(&file, "async_graphql"));
    }
    assert!(
        violations.is_empty(),
        "upward imports:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_api_layer_does_not_reach_http_or_the_command_line() {
    let mut violations = Vec::new();
    for file in rust_files(&src().join("api")) {
        for forbidden in ["crate::http", "crate::cli", "axum"] {
            violations.extend(mentions(&file, forbidden));
        }
    }
    assert!(
        violations.is_empty(),
        "upward imports:\n{}",
        violations.join("\n")
    );
}

#[test]
fn no_source_file_is_over_450_lines() {
    let long: Vec<String> = rust_files(&src())
        .into_iter()
        .filter_map(|file| {
            let lines = std::fs::read_to_string(&file).unwrap().lines().count();
            (lines > 450).then(|| format!("{} ({lines} lines)", file.display()))
        })
        .collect();
    assert!(long.is_empty(), "split by responsibility: {long:?}");
}
