pub mod estimate {
    use sea_orm::entity::prelude::*;

    use crate::emissions::methodology::NonCo2Method;
    use crate::fuel::{FuelType, SafPathway};
    use crate::ids::{AircraftId, EstimateId, ListingId, OrganizationId};
    use crate::units::Currency;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "emission_estimates")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: EstimateId,
        pub organization_id: OrganizationId,
        /// Null for an estimate by aircraft type.
        pub aircraft_id: Option<AircraftId>,
        pub model_code: String,
        pub duration_minutes: i32,
        pub fuel_type: FuelType,
        pub saf_blend_bps: i32,
        pub saf_pathway: Option<SafPathway>,
        pub methodology_version: String,
        pub fuel_burn_milli_us_gal_per_hour: i64,
        pub emission_factor_milli: i32,
        pub saf_lifecycle_deci_grams: Option<i32>,
        pub fuel_burned_grams: i64,
        pub co2_grams: i64,
        pub saf_reduction_grams: i64,
        pub net_co2_grams: i64,
        /// The trip's legs as JSON (`route::Leg`); null for a flight given by duration.
        pub legs: Option<String>,
        pub passengers: Option<i32>,
        pub non_co2: Option<NonCo2Method>,
        pub created_at: DateTimeUtc,
        pub listing_id: ListingId,
        pub unit_price_minor: i64,
        pub currency: Currency,
        pub fee_bps: i32,
        pub expires_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod emission {
    use sea_orm::entity::prelude::*;

    use crate::emissions::methodology::NonCo2Method;
    use crate::fleet::TailNumber;
    use crate::fuel::{FuelType, SafPathway};
    use crate::ids::{AircraftId, EmissionId, EstimateId, OrganizationId};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "emissions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: EmissionId,
        pub organization_id: OrganizationId,
        pub aircraft_id: AircraftId,
        pub model_code: String,
        pub duration_minutes: i32,
        pub fuel_type: FuelType,
        pub saf_blend_bps: i32,
        pub saf_pathway: Option<SafPathway>,
        pub methodology_version: String,
        pub fuel_burn_milli_us_gal_per_hour: i64,
        pub emission_factor_milli: i32,
        pub saf_lifecycle_deci_grams: Option<i32>,
        pub fuel_burned_grams: i64,
        pub co2_grams: i64,
        pub saf_reduction_grams: i64,
        pub net_co2_grams: i64,
        /// The trip's legs as JSON (`route::Leg`); null for a flight given by duration.
        pub legs: Option<String>,
        pub passengers: Option<i32>,
        pub non_co2: Option<NonCo2Method>,
        pub created_at: DateTimeUtc,
        pub estimate_id: Option<EstimateId>,
        pub tail_number: TailNumber,
        pub departed_at: Option<DateTimeUtc>,
        pub origin: Option<String>,
        pub destination: Option<String>,
        pub external_reference: Option<String>,
        /// The request that recorded it, to tell a retry from another request.
        pub request_fingerprint: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
