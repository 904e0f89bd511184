//! The double's tables. Ids are Stripe's own strings (`cs_test_…`); the enums store Stripe's
//! spelling, so the JSON objects use the same values.

use sea_orm::{DeriveActiveEnum, EnumIter};

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum SessionStatus {
    #[sea_orm(string_value = "open")]
    Open,
    #[sea_orm(string_value = "complete")]
    Complete,
    #[sea_orm(string_value = "expired")]
    Expired,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum PaymentStatus {
    #[sea_orm(string_value = "unpaid")]
    Unpaid,
    #[sea_orm(string_value = "paid")]
    Paid,
}

/// How a payment chosen on the page with an asynchronous method ends, once `settle_at` passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Settlement {
    #[sea_orm(string_value = "succeed")]
    Succeed,
    #[sea_orm(string_value = "fail")]
    Fail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum EventType {
    #[sea_orm(string_value = "checkout.session.completed")]
    SessionCompleted,
    #[sea_orm(string_value = "checkout.session.async_payment_succeeded")]
    AsyncPaymentSucceeded,
    #[sea_orm(string_value = "checkout.session.async_payment_failed")]
    AsyncPaymentFailed,
    #[sea_orm(string_value = "checkout.session.expired")]
    SessionExpired,
    #[sea_orm(string_value = "charge.refunded")]
    ChargeRefunded,
}

pub mod session {
    use sea_orm::entity::prelude::*;

    use super::{PaymentStatus, SessionStatus, Settlement};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "stripe_double_sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub status: SessionStatus,
        pub payment_status: PaymentStatus,
        /// Lowercase ISO code, as Stripe writes it.
        pub currency: String,
        pub amount_total: i64,
        /// JSON array of the lines (`events::LineItem`).
        pub line_items: String,
        /// JSON object of string values.
        pub metadata: String,
        pub client_reference_id: Option<String>,
        /// As given at creation.
        pub customer_email: Option<String>,
        /// As entered on the page when the customer paid.
        pub customer_details_email: Option<String>,
        pub success_url: String,
        pub cancel_url: Option<String>,
        pub payment_intent: Option<String>,
        pub charge: Option<String>,
        pub paid_at: Option<DateTimeUtc>,
        /// Set while an asynchronous payment awaits `settle_at`.
        pub settlement: Option<Settlement>,
        pub settle_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod refund {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "stripe_double_refunds")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub session_id: String,
        pub amount: i64,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod idempotency_key {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "stripe_double_idempotency_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        /// Hash of the method, path and body the key was first used with.
        pub fingerprint: String,
        /// The JSON answered then.
        pub response: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod event {
    use sea_orm::entity::prelude::*;

    use super::EventType;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "stripe_double_events")]
    pub struct Model {
        /// Order of creation: a session's events are delivered in this order.
        #[sea_orm(primary_key)]
        pub id: i64,
        pub event_id: String,
        pub session_id: String,
        pub event_type: EventType,
        /// The signed body, exactly as delivered.
        pub payload: String,
        pub created_at: DateTimeUtc,
        pub due_at: DateTimeUtc,
        pub attempts: i32,
        /// Set while an instance delivers it, so no other instance does too.
        pub claimed_at: Option<DateTimeUtc>,
        pub delivered_at: Option<DateTimeUtc>,
        pub gave_up_at: Option<DateTimeUtc>,
        pub last_error: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
