pub mod provision {
    use sea_orm::entity::prelude::*;

    use super::super::{Billing, ProvisionStatus};
    use crate::ids::{ListingId, OrganizationId, ProvisionId};
    use crate::units::Currency;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "provisions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: ProvisionId,
        pub organization_id: OrganizationId,
        pub listing_id: ListingId,
        pub status: ProvisionStatus,
        pub billing: Billing,
        pub quantity_grams: i64,
        pub offset_percentage: Option<i32>,
        pub unit_price_minor: i64,
        pub currency: Currency,
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
        /// The client's own reference, unique in the organization.
        pub external_reference: Option<String>,
        /// The request that made it, to tell a retry from another request.
        pub request_fingerprint: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod provision_emission {
    use sea_orm::entity::prelude::*;

    use crate::emissions::entity::emission;
    use crate::ids::{EmissionId, ProvisionId};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "provision_emissions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub provision_id: ProvisionId,
        #[sea_orm(primary_key, auto_increment = false)]
        pub emission_id: EmissionId,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "super::provision::Entity",
            from = "Column::ProvisionId",
            to = "super::provision::Column::Id"
        )]
        Provision,
        #[sea_orm(
            belongs_to = "emission::Entity",
            from = "Column::EmissionId",
            to = "emission::Column::Id"
        )]
        Emission,
    }

    impl Related<super::provision::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Provision.def()
        }
    }

    impl Related<emission::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Emission.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod allocation {
    use sea_orm::entity::prelude::*;

    use crate::credits::entity::batch;
    use crate::ids::{BatchId, ProvisionId};

    /// Grams `[start_gram, end_gram)` of a batch, allocated to a provision.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "allocations")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub provision_id: ProvisionId,
        pub batch_id: BatchId,
        pub start_gram: i64,
        pub end_gram: i64,
        pub created_at: DateTimeUtc,
        /// Set when a cancellation returned the grams to supply.
        pub released_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "batch::Entity",
            from = "Column::BatchId",
            to = "batch::Column::Id"
        )]
        Batch,
    }

    impl Related<batch::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Batch.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}
