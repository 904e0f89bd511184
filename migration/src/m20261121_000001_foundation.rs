//! Organizations, API keys, the aircraft catalog, credit projects and listings, the fleet,
//! emission estimates and emissions.
//!
//! Masses are integer grams, money integer minor units, factors scaled integers: no floating
//! point is ever stored.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organizations::Table)
                    .col(big_pk_auto(Organizations::Id))
                    .col(string(Organizations::Name))
                    .col(timestamp_with_time_zone(Organizations::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(big_pk_auto(ApiKeys::Id))
                    .col(big_integer(ApiKeys::OrganizationId))
                    .col(string_uniq(ApiKeys::KeyHash))
                    .col(string(ApiKeys::Prefix))
                    .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiKeys::Table, ApiKeys::OrganizationId)
                            .to(Organizations::Table, Organizations::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AircraftModels::Table)
                    .col(string(AircraftModels::Code).primary_key())
                    .col(string(AircraftModels::Manufacturer))
                    .col(string(AircraftModels::Name))
                    .col(string(AircraftModels::Category))
                    .col(string(AircraftModels::Engine))
                    // Thousandths of a US gallon per block hour: exact for every published figure.
                    .col(big_integer(AircraftModels::FuelBurnMilliUsGalPerHour))
                    .col(string(AircraftModels::DefaultFuelType))
                    .col(text(AircraftModels::Figures))
                    .col(text(AircraftModels::Sources))
                    .col(string(AircraftModels::Retrieved))
                    .col(string(AircraftModels::DataQuality))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CreditProjects::Table)
                    .col(big_pk_auto(CreditProjects::Id))
                    .col(string(CreditProjects::Name))
                    .col(string(CreditProjects::Registry))
                    .col(string(CreditProjects::Method))
                    .col(string(CreditProjects::Country))
                    .col(integer(CreditProjects::Vintage))
                    .col(text(CreditProjects::Description))
                    .col(timestamp_with_time_zone(CreditProjects::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Listings::Table)
                    .col(big_pk_auto(Listings::Id))
                    .col(big_integer(Listings::ProjectId))
                    .col(big_integer(Listings::UnitPriceMinor))
                    .col(string_len(Listings::Currency, 3))
                    .col(big_integer(Listings::MinFillGrams))
                    .col(boolean(Listings::IsDefault))
                    .col(timestamp_with_time_zone(Listings::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Listings::Table, Listings::ProjectId)
                            .to(CreditProjects::Table, CreditProjects::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Aircraft::Table)
                    .col(big_pk_auto(Aircraft::Id))
                    .col(big_integer(Aircraft::OrganizationId))
                    .col(string(Aircraft::TailNumber))
                    .col(string(Aircraft::ModelCode))
                    .col(string(Aircraft::FuelType))
                    .col(timestamp_with_time_zone(Aircraft::CreatedAt))
                    .col(timestamp_with_time_zone(Aircraft::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Aircraft::ArchivedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Aircraft::Table, Aircraft::OrganizationId)
                            .to(Organizations::Table, Organizations::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Aircraft::Table, Aircraft::ModelCode)
                            .to(AircraftModels::Table, AircraftModels::Code),
                    )
                    .to_owned(),
            )
            .await?;
        // An archived aircraft keeps its tail number for history; a new registration may reuse it.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX aircraft_active_tail ON aircraft (organization_id, tail_number) \
                 WHERE archived_at IS NULL",
            )
            .await?;

        manager
            .create_table(
                flight_figures(Table::create().table(EmissionEstimates::Table))
                    .col(big_integer(EmissionEstimates::ListingId))
                    .col(big_integer(EmissionEstimates::UnitPriceMinor))
                    .col(string_len(EmissionEstimates::Currency, 3))
                    .col(integer(EmissionEstimates::FeeBps))
                    .col(timestamp_with_time_zone(EmissionEstimates::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(EmissionEstimates::Table, Flight::OrganizationId)
                            .to(Organizations::Table, Organizations::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(EmissionEstimates::Table, Flight::AircraftId)
                            .to(Aircraft::Table, Aircraft::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(EmissionEstimates::Table, EmissionEstimates::ListingId)
                            .to(Listings::Table, Listings::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                flight_figures(Table::create().table(Emissions::Table))
                    .col(big_integer_null(Emissions::EstimateId))
                    .col(string(Emissions::TailNumber))
                    .col(timestamp_with_time_zone_null(Emissions::DepartedAt))
                    .col(string_null(Emissions::Origin))
                    .col(string_null(Emissions::Destination))
                    .col(string_null(Emissions::ExternalReference))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Emissions::Table, Flight::OrganizationId)
                            .to(Organizations::Table, Organizations::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Emissions::Table, Flight::AircraftId)
                            .to(Aircraft::Table, Aircraft::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Emissions::Table, Emissions::EstimateId)
                            .to(EmissionEstimates::Table, Flight::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, table, column) in [
            (
                "emissions_org_id",
                Emissions::Table.into_iden(),
                Flight::OrganizationId,
            ),
            (
                "emissions_aircraft",
                Emissions::Table.into_iden(),
                Flight::AircraftId,
            ),
            (
                "emission_estimates_org",
                EmissionEstimates::Table.into_iden(),
                Flight::OrganizationId,
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(table)
                        .col(column)
                        .col(Flight::Id)
                        .to_owned(),
                )
                .await?;
        }
        // One flight is recorded once: an estimate becomes at most one emission, and a client's
        // own reference for a flight cannot be recorded twice (safe retries, no double count).
        manager
            .create_index(
                Index::create()
                    .name("emissions_estimate_once")
                    .table(Emissions::Table)
                    .col(Emissions::EstimateId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("emissions_external_reference_once")
                    .table(Emissions::Table)
                    .col(Flight::OrganizationId)
                    .col(Emissions::ExternalReference)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("emissions_org_departed")
                    .table(Emissions::Table)
                    .col(Flight::OrganizationId)
                    .col(Emissions::DepartedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Emissions::Table.into_iden(),
            EmissionEstimates::Table.into_iden(),
            Aircraft::Table.into_iden(),
            Listings::Table.into_iden(),
            CreditProjects::Table.into_iden(),
            AircraftModels::Table.into_iden(),
            ApiKeys::Table.into_iden(),
            Organizations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// The columns an estimate and a recorded emission share: the flight, its figures, and the
/// methodology and factors that produced them, so a stored figure can always be explained.
fn flight_figures(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table
        .col(big_pk_auto(Flight::Id))
        .col(big_integer(Flight::OrganizationId))
        .col(big_integer(Flight::AircraftId))
        .col(string(Flight::ModelCode))
        .col(integer(Flight::DurationMinutes))
        .col(string(Flight::FuelType))
        .col(integer(Flight::SafBlendBps))
        .col(string_null(Flight::SafPathway))
        .col(string(Flight::MethodologyVersion))
        .col(big_integer(Flight::FuelBurnMilliUsGalPerHour))
        .col(integer(Flight::EmissionFactorMilli))
        .col(integer_null(Flight::SafLifecycleDeciGrams))
        .col(big_integer(Flight::FuelBurnedGrams))
        .col(big_integer(Flight::Co2Grams))
        .col(big_integer(Flight::SafReductionGrams))
        .col(big_integer(Flight::NetCo2Grams))
        .col(timestamp_with_time_zone(Flight::CreatedAt))
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    OrganizationId,
    KeyHash,
    Prefix,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AircraftModels {
    Table,
    Code,
    Manufacturer,
    Name,
    Category,
    Engine,
    FuelBurnMilliUsGalPerHour,
    DefaultFuelType,
    Figures,
    Sources,
    Retrieved,
    DataQuality,
}

#[derive(DeriveIden)]
enum CreditProjects {
    Table,
    Id,
    Name,
    Registry,
    Method,
    Country,
    Vintage,
    Description,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Listings {
    Table,
    Id,
    ProjectId,
    UnitPriceMinor,
    Currency,
    MinFillGrams,
    IsDefault,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Aircraft {
    Table,
    Id,
    OrganizationId,
    TailNumber,
    ModelCode,
    FuelType,
    CreatedAt,
    UpdatedAt,
    ArchivedAt,
}

#[derive(DeriveIden)]
enum Flight {
    Id,
    OrganizationId,
    AircraftId,
    ModelCode,
    DurationMinutes,
    FuelType,
    SafBlendBps,
    SafPathway,
    MethodologyVersion,
    FuelBurnMilliUsGalPerHour,
    EmissionFactorMilli,
    SafLifecycleDeciGrams,
    FuelBurnedGrams,
    Co2Grams,
    SafReductionGrams,
    NetCo2Grams,
    CreatedAt,
}

#[derive(DeriveIden)]
enum EmissionEstimates {
    Table,
    ListingId,
    UnitPriceMinor,
    Currency,
    FeeBps,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Emissions {
    Table,
    EstimateId,
    TailNumber,
    DepartedAt,
    Origin,
    Destination,
    ExternalReference,
}
