pub mod certificate {
    use sea_orm::entity::prelude::*;

    use super::super::CertificateStatus;
    use crate::ids::{CertificateId, ProvisionId};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "certificates")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: CertificateId,
        pub provision_id: ProvisionId,
        /// 128 random bits, URL-safe: the certificate's unguessable public name.
        pub public_id: String,
        /// `CTR-YYYY-NNNNNN`, sequential per year.
        pub number: String,
        pub status: CertificateStatus,
        pub created_at: DateTimeUtc,
        pub issued_at: Option<DateTimeUtc>,
        pub voided_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod counter {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "certificate_counters")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub year: i32,
        pub last_number: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
