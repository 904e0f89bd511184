pub mod quote {
    use sea_orm::entity::prelude::*;

    use crate::ids::{ListingId, OrganizationId, QuoteId};
    use crate::units::Currency;

    /// A price held for a quantity of a listing's credits until `expires_at`; used once.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "quotes")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: QuoteId,
        pub organization_id: OrganizationId,
        pub listing_id: ListingId,
        pub quantity_grams: i64,
        pub unit_price_minor: i64,
        pub currency: Currency,
        pub fee_bps: i32,
        pub subtotal_minor: i64,
        pub fee_minor: i64,
        pub total_minor: i64,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub consumed_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod payment {
    use sea_orm::entity::prelude::*;

    use super::super::{PaymentKind, PaymentStatus, RetirementStatus};
    use crate::ids::{OrganizationId, PaymentId, ProvisionId, QuoteId};
    use crate::units::Currency;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "payments")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: PaymentId,
        pub organization_id: OrganizationId,
        /// The provision it pays for, holding its credits while the payment is pending.
        pub provision_id: ProvisionId,
        pub quote_id: Option<QuoteId>,
        pub kind: PaymentKind,
        pub status: PaymentStatus,
        pub retirement_status: RetirementStatus,
        pub amount_minor: i64,
        pub currency: Currency,
        pub customer_email: Option<String>,
        /// As the client gave it: `successUrl` (its payment id is appended) or `redirectUrl`.
        pub success_url: Option<String>,
        pub cancel_url: Option<String>,
        /// The provider's checkout session; set once the provider has opened it.
        pub session_id: Option<String>,
        pub checkout_url: Option<String>,
        pub payment_intent: Option<String>,
        /// Lets a customer's browser follow this one payment.
        pub client_secret: String,
        /// Names the thank-you and cancel pages.
        pub public_id: String,
        /// Paid but unserved (no credits left): the payment must be refunded.
        pub refund_due: bool,
        pub expires_at: DateTimeUtc,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub paid_at: Option<DateTimeUtc>,
        pub retired_at: Option<DateTimeUtc>,
        /// When reconciliation should ask the provider about it.
        pub reconcile_after: Option<DateTimeUtc>,
        pub reconcile_claimed_at: Option<DateTimeUtc>,
        /// The client's own reference, unique in the organization.
        pub external_reference: Option<String>,
        /// The request that opened it, to tell a retry from another request.
        pub request_fingerprint: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod payment_event {
    use sea_orm::entity::prelude::*;

    use super::super::{PaymentStatus, RetirementStatus};
    use crate::ids::PaymentId;

    /// One step of a payment's timeline; rows are only ever added.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "payment_events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub payment_id: PaymentId,
        pub at: DateTimeUtc,
        pub status: PaymentStatus,
        pub retirement_status: RetirementStatus,
        pub reason: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod provider_event {
    use sea_orm::entity::prelude::*;

    use crate::ids::PaymentId;

    /// A provider event handled once: a redelivery finds its id here.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "stripe_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub r#type: String,
        pub payment_id: Option<PaymentId>,
        pub received_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
