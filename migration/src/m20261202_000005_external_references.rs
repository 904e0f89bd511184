//! Business references for safe retries: a provision or a checkout carries the client's own
//! reference (unique per organization) and a fingerprint of the request that made it, so a
//! retry of the same request finds and answers the original, and a different request with the
//! same reference is told apart.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one change at a time.
        for (table, column) in [
            (Provisions::Table.into_iden(), Column::ExternalReference),
            (Provisions::Table.into_iden(), Column::RequestFingerprint),
            (Payments::Table.into_iden(), Column::ExternalReference),
            (Payments::Table.into_iden(), Column::RequestFingerprint),
            (Emissions::Table.into_iden(), Column::RequestFingerprint),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(string_null(column))
                        .to_owned(),
                )
                .await?;
        }
        for (name, table) in [
            (
                "provisions_external_reference_once",
                Provisions::Table.into_iden(),
            ),
            (
                "payments_external_reference_once",
                Payments::Table.into_iden(),
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(table)
                        .col(Column::OrganizationId)
                        .col(Column::ExternalReference)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            (
                "provisions_external_reference_once",
                Provisions::Table.into_iden(),
            ),
            (
                "payments_external_reference_once",
                Payments::Table.into_iden(),
            ),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        for (table, column) in [
            (Provisions::Table.into_iden(), Column::ExternalReference),
            (Provisions::Table.into_iden(), Column::RequestFingerprint),
            (Payments::Table.into_iden(), Column::ExternalReference),
            (Payments::Table.into_iden(), Column::RequestFingerprint),
            (Emissions::Table.into_iden(), Column::RequestFingerprint),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Provisions {
    Table,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
}

#[derive(DeriveIden)]
enum Emissions {
    Table,
}

#[derive(DeriveIden)]
enum Column {
    OrganizationId,
    ExternalReference,
    RequestFingerprint,
}
