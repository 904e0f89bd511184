//! The credits ledger (batches, their free gram ranges, allocations), provisions and the
//! emissions they cover, certificates and their yearly numbering.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CreditBatches::Table)
                    .col(big_pk_auto(CreditBatches::Id))
                    .col(big_integer(CreditBatches::ListingId))
                    .col(string_uniq(CreditBatches::SerialPrefix))
                    .col(integer(CreditBatches::Vintage))
                    .col(big_integer(CreditBatches::QuantityGrams))
                    .col(timestamp_with_time_zone(CreditBatches::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CreditBatches::Table, CreditBatches::ListingId)
                            .to(Listings::Table, Listings::Id),
                    )
                    .to_owned(),
            )
            .await?;

        // What is left to allocate, as gram ranges [start, end) of batches. Allocation shrinks
        // or deletes ranges; a released allocation puts its range back.
        manager
            .create_table(
                Table::create()
                    .table(CreditFreeRanges::Table)
                    .col(big_pk_auto(CreditFreeRanges::Id))
                    .col(big_integer(CreditFreeRanges::BatchId))
                    .col(big_integer(CreditFreeRanges::StartGram))
                    .col(big_integer(CreditFreeRanges::EndGram))
                    .check(
                        Expr::col(CreditFreeRanges::StartGram)
                            .lt(Expr::col(CreditFreeRanges::EndGram)),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CreditFreeRanges::Table, CreditFreeRanges::BatchId)
                            .to(CreditBatches::Table, CreditBatches::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("credit_free_ranges_batch_start")
                    .table(CreditFreeRanges::Table)
                    .col(CreditFreeRanges::BatchId)
                    .col(CreditFreeRanges::StartGram)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Provisions::Table)
                    .col(big_pk_auto(Provisions::Id))
                    .col(big_integer(Provisions::OrganizationId))
                    .col(big_integer(Provisions::ListingId))
                    .col(string(Provisions::Status))
                    .col(string(Provisions::Billing))
                    .col(big_integer(Provisions::QuantityGrams))
                    .col(integer_null(Provisions::OffsetPercentage))
                    .col(big_integer(Provisions::UnitPriceMinor))
                    .col(string_len(Provisions::Currency, 3))
                    .col(integer(Provisions::FeeBps))
                    .col(big_integer(Provisions::PriceMinor))
                    .col(string_len(Provisions::InvoiceMonth, 7))
                    .col(string(Provisions::BeneficiaryName))
                    .col(text_null(Provisions::RetirementMessage))
                    .col(timestamp_with_time_zone(Provisions::CreatedAt))
                    .col(timestamp_with_time_zone(Provisions::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Provisions::RetireAfter))
                    .col(timestamp_with_time_zone_null(
                        Provisions::RetirementClaimedAt,
                    ))
                    .col(string_null(Provisions::RegistryReference))
                    .col(timestamp_with_time_zone_null(Provisions::RetiredAt))
                    .col(timestamp_with_time_zone_null(Provisions::CancelledAt))
                    .check(Expr::col(Provisions::QuantityGrams).gt(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Provisions::Table, Provisions::OrganizationId)
                            .to(Organizations::Table, Organizations::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Provisions::Table, Provisions::ListingId)
                            .to(Listings::Table, Listings::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "provisions_org_month",
                [Provisions::OrganizationId, Provisions::InvoiceMonth],
            ),
            (
                "provisions_due_retirement",
                [Provisions::Status, Provisions::RetireAfter],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Provisions::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ProvisionEmissions::Table)
                    .col(big_integer(ProvisionEmissions::ProvisionId))
                    .col(big_integer(ProvisionEmissions::EmissionId))
                    .col(timestamp_with_time_zone(ProvisionEmissions::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ProvisionEmissions::ProvisionId)
                            .col(ProvisionEmissions::EmissionId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ProvisionEmissions::Table, ProvisionEmissions::ProvisionId)
                            .to(Provisions::Table, Provisions::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ProvisionEmissions::Table, ProvisionEmissions::EmissionId)
                            .to(Emissions::Table, Emissions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("provision_emissions_emission")
                    .table(ProvisionEmissions::Table)
                    .col(ProvisionEmissions::EmissionId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Allocations::Table)
                    .col(big_pk_auto(Allocations::Id))
                    .col(big_integer(Allocations::ProvisionId))
                    .col(big_integer(Allocations::BatchId))
                    .col(big_integer(Allocations::StartGram))
                    .col(big_integer(Allocations::EndGram))
                    .col(timestamp_with_time_zone(Allocations::CreatedAt))
                    .col(timestamp_with_time_zone_null(Allocations::ReleasedAt))
                    .check(Expr::col(Allocations::StartGram).lt(Expr::col(Allocations::EndGram)))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Allocations::Table, Allocations::ProvisionId)
                            .to(Provisions::Table, Provisions::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Allocations::Table, Allocations::BatchId)
                            .to(CreditBatches::Table, CreditBatches::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("allocations_provision")
                    .table(Allocations::Table)
                    .col(Allocations::ProvisionId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Certificates::Table)
                    .col(big_pk_auto(Certificates::Id))
                    .col(big_integer_uniq(Certificates::ProvisionId))
                    .col(string_uniq(Certificates::PublicId))
                    .col(string_uniq(Certificates::Number))
                    .col(string(Certificates::Status))
                    .col(timestamp_with_time_zone(Certificates::CreatedAt))
                    .col(timestamp_with_time_zone_null(Certificates::IssuedAt))
                    .col(timestamp_with_time_zone_null(Certificates::VoidedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Certificates::Table, Certificates::ProvisionId)
                            .to(Provisions::Table, Provisions::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CertificateCounters::Table)
                    .col(integer(CertificateCounters::Year).primary_key())
                    .col(big_integer(CertificateCounters::LastNumber))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CertificateCounters::Table.into_iden(),
            Certificates::Table.into_iden(),
            Allocations::Table.into_iden(),
            ProvisionEmissions::Table.into_iden(),
            Provisions::Table.into_iden(),
            CreditFreeRanges::Table.into_iden(),
            CreditBatches::Table.into_iden(),
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
enum Emissions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CreditBatches {
    Table,
    Id,
    ListingId,
    SerialPrefix,
    Vintage,
    QuantityGrams,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CreditFreeRanges {
    Table,
    Id,
    BatchId,
    StartGram,
    EndGram,
}

#[derive(DeriveIden)]
enum Provisions {
    Table,
    Id,
    OrganizationId,
    ListingId,
    Status,
    Billing,
    QuantityGrams,
    OffsetPercentage,
    UnitPriceMinor,
    Currency,
    FeeBps,
    PriceMinor,
    InvoiceMonth,
    BeneficiaryName,
    RetirementMessage,
    CreatedAt,
    UpdatedAt,
    RetireAfter,
    RetirementClaimedAt,
    RegistryReference,
    RetiredAt,
    CancelledAt,
}

#[derive(DeriveIden)]
enum ProvisionEmissions {
    Table,
    ProvisionId,
    EmissionId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Allocations {
    Table,
    Id,
    ProvisionId,
    BatchId,
    StartGram,
    EndGram,
    CreatedAt,
    ReleasedAt,
}

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Id,
    ProvisionId,
    PublicId,
    Number,
    Status,
    CreatedAt,
    IssuedAt,
    VoidedAt,
}

#[derive(DeriveIden)]
enum CertificateCounters {
    Table,
    Year,
    LastNumber,
}
