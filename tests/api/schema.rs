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

#[test]
fn contract_names_are_present() {
    let sdl = contrail::api::sdl();
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
