//! The built-in Stripe test double's own state: its checkout sessions, refunds and the events
//! it delivers to the webhook endpoint.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(string(Sessions::Id).primary_key())
                    .col(string(Sessions::Status))
                    .col(string(Sessions::PaymentStatus))
                    .col(string_len(Sessions::Currency, 3))
                    .col(big_integer(Sessions::AmountTotal))
                    .col(text(Sessions::LineItems))
                    .col(text(Sessions::Metadata))
                    .col(text_null(Sessions::ClientReferenceId))
                    .col(text_null(Sessions::CustomerEmail))
                    .col(text_null(Sessions::CustomerDetailsEmail))
                    .col(text(Sessions::SuccessUrl))
                    .col(text_null(Sessions::CancelUrl))
                    .col(string_null(Sessions::PaymentIntent).unique_key())
                    .col(string_null(Sessions::Charge))
                    .col(timestamp_with_time_zone_null(Sessions::PaidAt))
                    .col(string_null(Sessions::Settlement))
                    .col(timestamp_with_time_zone_null(Sessions::SettleAt))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                    .check(Expr::col(Sessions::AmountTotal).gte(0))
                    .to_owned(),
            )
            .await?;
        // The job looks for open sessions past their expiry and payments due to settle.
        for (name, columns) in [
            (
                "stripe_double_sessions_expiry",
                [Sessions::Status, Sessions::ExpiresAt],
            ),
            (
                "stripe_double_sessions_settlement",
                [Sessions::Settlement, Sessions::SettleAt],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Sessions::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Refunds::Table)
                    .col(string(Refunds::Id).primary_key())
                    .col(string(Refunds::SessionId))
                    .col(big_integer(Refunds::Amount))
                    .col(timestamp_with_time_zone(Refunds::CreatedAt))
                    .check(Expr::col(Refunds::Amount).gt(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Refunds::Table, Refunds::SessionId)
                            .to(Sessions::Table, Sessions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("stripe_double_refunds_session")
                    .table(Refunds::Table)
                    .col(Refunds::SessionId)
                    .to_owned(),
            )
            .await?;

        // The first answer to each idempotency key, replayed to retries of the same request.
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(string(IdempotencyKeys::Key).primary_key())
                    .col(string(IdempotencyKeys::Fingerprint))
                    .col(text(IdempotencyKeys::Response))
                    .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                    .to_owned(),
            )
            .await?;

        // The sequence `id` orders a session's events: each is delivered after the one before.
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(big_pk_auto(Events::Id))
                    .col(string_uniq(Events::EventId))
                    .col(string(Events::SessionId))
                    .col(string(Events::EventType))
                    .col(text(Events::Payload))
                    .col(timestamp_with_time_zone(Events::CreatedAt))
                    .col(timestamp_with_time_zone(Events::DueAt))
                    .col(integer(Events::Attempts).default(0))
                    .col(timestamp_with_time_zone_null(Events::ClaimedAt))
                    .col(timestamp_with_time_zone_null(Events::DeliveredAt))
                    .col(timestamp_with_time_zone_null(Events::GaveUpAt))
                    .col(text_null(Events::LastError))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Events::Table, Events::SessionId)
                            .to(Sessions::Table, Sessions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "stripe_double_events_pending",
                [Events::DeliveredAt, Events::GaveUpAt, Events::DueAt],
            ),
            (
                "stripe_double_events_session",
                [Events::SessionId, Events::DeliveredAt, Events::Id],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Events::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Events::Table.into_iden(),
            IdempotencyKeys::Table.into_iden(),
            Refunds::Table.into_iden(),
            Sessions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Sessions {
    #[sea_orm(iden = "stripe_double_sessions")]
    Table,
    Id,
    Status,
    PaymentStatus,
    Currency,
    AmountTotal,
    LineItems,
    Metadata,
    ClientReferenceId,
    CustomerEmail,
    CustomerDetailsEmail,
    SuccessUrl,
    CancelUrl,
    PaymentIntent,
    Charge,
    PaidAt,
    Settlement,
    SettleAt,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Refunds {
    #[sea_orm(iden = "stripe_double_refunds")]
    Table,
    Id,
    SessionId,
    Amount,
    CreatedAt,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    #[sea_orm(iden = "stripe_double_idempotency_keys")]
    Table,
    Key,
    Fingerprint,
    Response,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Events {
    #[sea_orm(iden = "stripe_double_events")]
    Table,
    Id,
    EventId,
    SessionId,
    EventType,
    Payload,
    CreatedAt,
    DueAt,
    Attempts,
    ClaimedAt,
    DeliveredAt,
    GaveUpAt,
    LastError,
}
