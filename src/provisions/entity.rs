pub mod provision {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "provisions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub organization_id: i64,
        pub listing_id: i64,
        pub status: String,
        pub billing: String,
        pub quantity_grams: i64,
        pub offset_percentage: Option<i32>,
        pub unit_price_minor: i64,
        pub currency: String,
        pub fee_bps: i32,
        /// Total, fee included, in minor units of `currency`.
        pub price_minor: i64,
        /// `YYYY-MM` of the invoice this provision is billed on.
        pub invoice_month: String,
        pub beneficiary_name: String,
        pub retirement_message: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        /// When the registry should retire the credits.
        pub retire_after: Option<DateTimeUtc>,
        /// Set while a worker is retiring it, so no other instance does too.
        pub retirement_claimed_at: Option<DateTimeUtc>,
        pub registry_reference: Option<String>,
        pub retired_at: Option<DateTimeUtc>,
        pub cancelled_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod provision_emission {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "provision_emissions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub provision_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub emission_id: i64,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod allocation {
    use sea_orm::entity::prelude::*;

    /// Grams `[start_gram, end_gram)` of a batch, allocated to a provision.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "allocations")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub provision_id: i64,
        pub batch_id: i64,
        pub start_gram: i64,
        pub end_gram: i64,
        pub created_at: DateTimeUtc,
        /// Set when a cancellation returned the grams to supply.
        pub released_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
