//! Quotes, payments through the hosted checkout and their timeline, Stripe events received, the
//! e-mail outbox and instance settings.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Quotes::Table)
                    .col(big_pk_auto(Quotes::Id))
                    .col(big_integer(Quotes::OrganizationId))
                    .col(big_integer(Quotes::ListingId))
                    .col(big_integer(Quotes::QuantityGrams))
                    .col(big_integer(Quotes::UnitPriceMinor))
                    .col(string_len(Quotes::Currency, 3))
                    .col(integer(Quotes::FeeBps))
                    .col(big_integer(Quotes::SubtotalMinor))
                    .col(big_integer(Quotes::FeeMinor))
                    .col(big_integer(Quotes::TotalMinor))
                    .col(timestamp_with_time_zone(Quotes::CreatedAt))
                    .col(timestamp_with_time_zone(Quotes::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Quotes::ConsumedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Quotes::Table, Quotes::OrganizationId)
                            .to(Organizations::Table, Organizations::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Quotes::Table, Quotes::ListingId)
                            .to(Listings::Table, Listings::Id),
                    )
                    .to_owned(),
            )
            .await?;

        // A payment through the hosted checkout: the provision it pays for waits in
        // PENDING_PAYMENT holding its credits until the outcome is known.
        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .col(big_pk_auto(Payments::Id))
                    .col(big_integer(Payments::OrganizationId))
                    .col(big_integer(Payments::ProvisionId))
                    .col(big_integer_null(Payments::QuoteId))
                    .col(string(Payments::Kind))
                    .col(string(Payments::Status))
                    .col(string(Payments::RetirementStatus))
                    .col(big_integer(Payments::AmountMinor))
                    .col(string_len(Payments::Currency, 3))
                    .col(string_null(Payments::CustomerEmail))
                    .col(text_null(Payments::SuccessUrl))
                    .col(text_null(Payments::CancelUrl))
                    .col(string_null(Payments::SessionId))
                    .col(text_null(Payments::CheckoutUrl))
                    .col(string_null(Payments::PaymentIntent))
                    .col(string(Payments::ClientSecret))
                    .col(string(Payments::PublicId))
                    .col(boolean(Payments::RefundDue))
                    .col(timestamp_with_time_zone(Payments::ExpiresAt))
                    .col(timestamp_with_time_zone(Payments::CreatedAt))
                    .col(timestamp_with_time_zone(Payments::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Payments::PaidAt))
                    .col(timestamp_with_time_zone_null(Payments::RetiredAt))
                    .col(timestamp_with_time_zone_null(Payments::ReconcileAfter))
                    .col(timestamp_with_time_zone_null(Payments::ReconcileClaimedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Payments::Table, Payments::OrganizationId)
                            .to(Organizations::Table, Organizations::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Payments::Table, Payments::ProvisionId)
                            .to(Provisions::Table, Provisions::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Payments::Table, Payments::QuoteId)
                            .to(Quotes::Table, Quotes::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("payments_provision", Payments::ProvisionId),
            ("payments_quote", Payments::QuoteId),
            ("payments_session", Payments::SessionId),
            ("payments_client_secret", Payments::ClientSecret),
            ("payments_public_id", Payments::PublicId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Payments::Table)
                        .col(column)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        for (name, columns) in [
            (
                "payments_organization",
                vec![Payments::OrganizationId, Payments::Id],
            ),
            ("payments_payment_intent", vec![Payments::PaymentIntent]),
            (
                "payments_reconcile",
                vec![Payments::Status, Payments::ReconcileAfter],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Payments::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }

        // Append-only: every change of a payment's status or retirement status.
        manager
            .create_table(
                Table::create()
                    .table(PaymentEvents::Table)
                    .col(big_pk_auto(PaymentEvents::Id))
                    .col(big_integer(PaymentEvents::PaymentId))
                    .col(timestamp_with_time_zone(PaymentEvents::At))
                    .col(string(PaymentEvents::Status))
                    .col(string(PaymentEvents::RetirementStatus))
                    .col(string(PaymentEvents::Reason))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PaymentEvents::Table, PaymentEvents::PaymentId)
                            .to(Payments::Table, Payments::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("payment_events_payment")
                    .table(PaymentEvents::Table)
                    .col(PaymentEvents::PaymentId)
                    .col(PaymentEvents::Id)
                    .to_owned(),
            )
            .await?;

        // Every Stripe event handled, once: a redelivery finds its id here.
        manager
            .create_table(
                Table::create()
                    .table(StripeEvents::Table)
                    .col(string(StripeEvents::Id).primary_key())
                    .col(string(StripeEvents::Type))
                    .col(big_integer_null(StripeEvents::PaymentId))
                    .col(timestamp_with_time_zone(StripeEvents::ReceivedAt))
                    .to_owned(),
            )
            .await?;

        // E-mail written in the transaction of the change that causes it, sent by a worker.
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(big_pk_auto(Outbox::Id))
                    .col(string_uniq(Outbox::DedupeKey))
                    .col(string(Outbox::Recipient))
                    .col(text(Outbox::Subject))
                    .col(text(Outbox::TextBody))
                    .col(text(Outbox::HtmlBody))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    .col(timestamp_with_time_zone(Outbox::SendAfter))
                    .col(integer(Outbox::Attempts))
                    .col(timestamp_with_time_zone_null(Outbox::ClaimedAt))
                    .col(timestamp_with_time_zone_null(Outbox::SentAt))
                    .col(text_null(Outbox::LastError))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("outbox_due")
                    .table(Outbox::Table)
                    .col(Outbox::SentAt)
                    .col(Outbox::SendAfter)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Settings::Table)
                    .col(string(Settings::Key).primary_key())
                    .col(text(Settings::Value))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Settings::Table.into_iden(),
            Outbox::Table.into_iden(),
            StripeEvents::Table.into_iden(),
            PaymentEvents::Table.into_iden(),
            Payments::Table.into_iden(),
            Quotes::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Listings {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Provisions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Quotes {
    Table,
    Id,
    OrganizationId,
    ListingId,
    QuantityGrams,
    UnitPriceMinor,
    Currency,
    FeeBps,
    SubtotalMinor,
    FeeMinor,
    TotalMinor,
    CreatedAt,
    ExpiresAt,
    ConsumedAt,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    OrganizationId,
    ProvisionId,
    QuoteId,
    Kind,
    Status,
    RetirementStatus,
    AmountMinor,
    Currency,
    CustomerEmail,
    SuccessUrl,
    CancelUrl,
    SessionId,
    CheckoutUrl,
    PaymentIntent,
    ClientSecret,
    PublicId,
    RefundDue,
    ExpiresAt,
    CreatedAt,
    UpdatedAt,
    PaidAt,
    RetiredAt,
    ReconcileAfter,
    ReconcileClaimedAt,
}

#[derive(DeriveIden)]
enum PaymentEvents {
    Table,
    Id,
    PaymentId,
    At,
    Status,
    RetirementStatus,
    Reason,
}

#[derive(DeriveIden)]
enum StripeEvents {
    Table,
    Id,
    Type,
    PaymentId,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    DedupeKey,
    Recipient,
    Subject,
    TextBody,
    HtmlBody,
    CreatedAt,
    SendAfter,
    Attempts,
    ClaimedAt,
    SentAt,
    LastError,
}

#[derive(DeriveIden)]
enum Settings {
    Table,
    Key,
    Value,
}
