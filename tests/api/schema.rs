use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};

/// `schema.graphql` is the API contract; it must be exactly what the code serves.
#[test]
fn checked_in_schema_matches_the_code() {
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    let generated = contrail::api::sdl();
    assert!(
        checked_in == generated,
        "schema.graphql is stale: run `cargo run -- schema > schema.graphql` and review the diff"
    );
}

/// The SDL without descriptions, each field's arguments on one line.
fn signatures(sdl: &str) -> String {
    let mut in_description = false;
    let lines: Vec<&str> = sdl
        .lines()
        .filter(|line| {
            let delimiter = line.trim() == "\"\"\"";
            in_description ^= delimiter;
            !delimiter && !in_description
        })
        .collect();
    lines
        .join("\n")
        .replace("(\n\t\t", "(")
        .replace(",\n\t\t", ", ")
        .replace("\n\t)", ")")
}

#[test]
fn contract_names_are_present() {
    let sdl = signatures(&contrail::api::sdl());
    for name in [
        "registerAircraft(input: RegisterAircraftInput!): RegisterAircraftPayload!",
        "estimateEmission(input: EstimateEmissionInput!): EstimateEmissionPayload!",
        "createEmission(input: CreateEmissionInput!): CreateEmissionPayload!",
        "interface Node",
        "type Money",
        "enum SafPathway",
        "AVGAS_100LL",
    ] {
        assert!(sdl.contains(name), "schema lacks {name}");
    }
}

/// Every type, field, argument, input field, enum value and directive the server serves has a
/// description, read back over HTTP with the standard introspection query (the built-in
/// scalars and the introspection types are described by the GraphQL specification).
#[tokio::test]
async fn every_schema_element_has_a_description() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let data = app
        .ok(
            include_str!("../data/introspection_query.graphql"),
            json!({}),
        )
        .await;
    let undocumented = undocumented(&data["__schema"]);
    assert!(
        undocumented.is_empty(),
        "{} schema elements lack a description:\n{}",
        undocumented.len(),
        undocumented.join("\n")
    );
}

/// The names (`Type`, `Type.field`, `Type.field(arg)`, `Input.field`, `Enum.VALUE`,
/// `@directive(arg)`) of the introspected elements without a description.
fn undocumented(schema: &Value) -> Vec<String> {
    const BUILT_IN: [&str; 5] = ["String", "Int", "Float", "Boolean", "ID"];
    let described = |element: &Value| {
        element["description"]
            .as_str()
            .is_some_and(|description| !description.trim().is_empty())
    };
    let list = |value: &Value| value.as_array().cloned().unwrap_or_default();
    let mut missing = Vec::new();
    for directive in list(&schema["directives"]) {
        let name = directive["name"].as_str().unwrap_or_default();
        if !described(&directive) {
            missing.push(format!("@{name}"));
        }
        for arg in list(&directive["args"])
            .iter()
            .filter(|arg| !described(arg))
        {
            missing.push(format!(
                "@{name}({})",
                arg["name"].as_str().unwrap_or_default()
            ));
        }
    }
    for ty in list(&schema["types"]) {
        let name = ty["name"].as_str().unwrap_or_default();
        if name.starts_with("__") || BUILT_IN.contains(&name) {
            continue;
        }
        if !described(&ty) {
            missing.push(name.to_owned());
        }
        for field in list(&ty["fields"]) {
            let field_name = field["name"].as_str().unwrap_or_default();
            if !described(&field) {
                missing.push(format!("{name}.{field_name}"));
            }
            for arg in list(&field["args"]).iter().filter(|arg| !described(arg)) {
                missing.push(format!(
                    "{name}.{field_name}({})",
                    arg["name"].as_str().unwrap_or_default()
                ));
            }
        }
        for input in list(&ty["inputFields"]).iter().filter(|f| !described(f)) {
            missing.push(format!(
                "{name}.{}",
                input["name"].as_str().unwrap_or_default()
            ));
        }
        for value in list(&ty["enumValues"]).iter().filter(|v| !described(v)) {
            missing.push(format!(
                "{name}.{}",
                value["name"].as_str().unwrap_or_default()
            ));
        }
    }
    missing
}
