//! Methodology `contrail-2026.2`: a flight's legs (with their distances and figures), its
//! passengers and its non-CO2 method are stored with it, and an estimate may be made for an
//! aircraft type instead of a registered aircraft.

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The column definition of `emission_estimates.aircraft_id` as SQLite keeps it, before and
/// after it may be null.
const SQLITE_REQUIRED: &str = r#""aircraft_id" integer NOT NULL,"#;
const SQLITE_OPTIONAL: &str = r#""aircraft_id" integer NULL,"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// SQLite edits its schema text in place (below), which must not be seen half done.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Table::EmissionEstimates, Table::Emissions] {
            // One column per statement: SQLite alters a table one change at a time.
            for column in [
                text_null(Column::Legs),
                integer_null(Column::Passengers),
                string_null(Column::NonCo2),
            ] {
                manager
                    .alter_table(
                        sea_query::Table::alter()
                            .table(table)
                            .add_column(column)
                            .to_owned(),
                    )
                    .await?;
            }
        }
        set_aircraft_required(manager, false).await?;
        // Durations are learned from an organization's flights of one type.
        manager
            .create_index(
                Index::create()
                    .name("emissions_org_model")
                    .table(Table::Emissions)
                    .col(Column::OrganizationId)
                    .col(Column::ModelCode)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("emissions_org_model")
                    .table(Table::Emissions)
                    .to_owned(),
            )
            .await?;
        // Estimates by type cannot be kept without an aircraft; none was ever recorded.
        manager
            .get_connection()
            .execute_unprepared("DELETE FROM emission_estimates WHERE aircraft_id IS NULL")
            .await?;
        set_aircraft_required(manager, true).await?;
        for table in [Table::EmissionEstimates, Table::Emissions] {
            for column in [Column::Legs, Column::Passengers, Column::NonCo2] {
                manager
                    .alter_table(
                        sea_query::Table::alter()
                            .table(table)
                            .drop_column(column)
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }
}

/// Makes `emission_estimates.aircraft_id` required or optional. SQLite cannot alter a column;
/// its documented way to drop a NOT NULL constraint without rebuilding the table (which the
/// emissions' foreign key to it forbids) is to edit the schema text and bump its version.
async fn set_aircraft_required(manager: &SchemaManager<'_>, required: bool) -> Result<(), DbErr> {
    let db = manager.get_connection();
    if db.get_database_backend() != DbBackend::Sqlite {
        return manager
            .alter_table(
                sea_query::Table::alter()
                    .table(Table::EmissionEstimates)
                    .modify_column(if required {
                        ColumnDef::new(Column::AircraftId)
                            .big_integer()
                            .not_null()
                            .to_owned()
                    } else {
                        ColumnDef::new(Column::AircraftId)
                            .big_integer()
                            .null()
                            .to_owned()
                    })
                    .to_owned(),
            )
            .await;
    }
    let (from, to) = if required {
        (SQLITE_OPTIONAL, SQLITE_REQUIRED)
    } else {
        (SQLITE_REQUIRED, SQLITE_OPTIONAL)
    };
    let version: i64 = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA schema_version",
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("no schema version".into()))?
        .try_get_by_index(0)?;
    db.execute_unprepared("PRAGMA writable_schema = ON").await?;
    let edited = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "UPDATE sqlite_schema SET sql = replace(sql, ?, ?) \
             WHERE type = 'table' AND name = 'emission_estimates' AND instr(sql, ?) > 0",
            [from.into(), to.into(), from.into()],
        ))
        .await?;
    db.execute_unprepared(&format!("PRAGMA schema_version = {}", version + 1))
        .await?;
    db.execute_unprepared("PRAGMA writable_schema = OFF")
        .await?;
    if edited.rows_affected() != 1 {
        return Err(DbErr::Custom(format!(
            "emission_estimates.aircraft_id is not defined as `{from}`"
        )));
    }
    Ok(())
}

#[derive(DeriveIden, Clone, Copy)]
enum Table {
    EmissionEstimates,
    Emissions,
}

#[derive(DeriveIden)]
enum Column {
    OrganizationId,
    AircraftId,
    ModelCode,
    Legs,
    Passengers,
    NonCo2,
}
