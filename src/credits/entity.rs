pub mod project {
    use sea_orm::entity::prelude::*;

    use crate::ids::ProjectId;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "credit_projects")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: ProjectId,
        pub name: String,
        pub registry: String,
        pub method: String,
        pub country: String,
        pub vintage: i32,
        pub description: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod listing {
    use sea_orm::entity::prelude::*;

    use crate::ids::{ListingId, ProjectId};
    use crate::units::Currency;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "listings")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: ListingId,
        pub project_id: ProjectId,
        /// Price of one tonne, in minor units of `currency`.
        pub unit_price_minor: i64,
        pub currency: Currency,
        pub min_fill_grams: i64,
        /// The listing that prices estimates and provisions that name none.
        pub is_default: bool,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod batch {
    use sea_orm::entity::prelude::*;

    use crate::ids::{BatchId, ListingId};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "credit_batches")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: BatchId,
        pub listing_id: ListingId,
        /// Registry serial prefix; a gram's serial is the prefix and its index in the batch.
        pub serial_prefix: String,
        pub vintage: i32,
        pub quantity_grams: i64,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod free_range {
    use sea_orm::entity::prelude::*;

    use crate::ids::BatchId;

    /// Grams `[start_gram, end_gram)` of a batch not allocated to anyone.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "credit_free_ranges")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub batch_id: BatchId,
        pub start_gram: i64,
        pub end_gram: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "super::batch::Entity",
            from = "Column::BatchId",
            to = "super::batch::Column::Id"
        )]
        Batch,
    }

    impl Related<super::batch::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Batch.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}
