pub mod estimate {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "emission_estimates")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub organization_id: i64,
        pub aircraft_id: i64,
        pub model_code: String,
        pub duration_minutes: i32,
        pub fuel_type: String,
        pub saf_blend_bps: i32,
        pub saf_pathway: Option<String>,
        pub methodology_version: String,
        pub fuel_burn_milli_us_gal_per_hour: i64,
        pub emission_factor_milli: i32,
        pub saf_lifecycle_deci_grams: Option<i32>,
        pub fuel_burned_grams: i64,
        pub co2_grams: i64,
        pub saf_reduction_grams: i64,
        pub net_co2_grams: i64,
        pub created_at: DateTimeUtc,
        pub listing_id: i64,
        pub unit_price_minor: i64,
        pub currency: String,
        pub fee_bps: i32,
        pub expires_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod emission {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "emissions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub organization_id: i64,
        pub aircraft_id: i64,
        pub model_code: String,
        pub duration_minutes: i32,
        pub fuel_type: String,
        pub saf_blend_bps: i32,
        pub saf_pathway: Option<String>,
        pub methodology_version: String,
        pub fuel_burn_milli_us_gal_per_hour: i64,
        pub emission_factor_milli: i32,
        pub saf_lifecycle_deci_grams: Option<i32>,
        pub fuel_burned_grams: i64,
        pub co2_grams: i64,
        pub saf_reduction_grams: i64,
        pub net_co2_grams: i64,
        pub created_at: DateTimeUtc,
        pub estimate_id: Option<i64>,
        pub tail_number: String,
        pub departed_at: Option<DateTimeUtc>,
        pub origin: Option<String>,
        pub destination: Option<String>,
        pub external_reference: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
