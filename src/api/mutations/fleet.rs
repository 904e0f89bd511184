use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use crate::api::context::ContextExt;
use crate::api::errors::ApiResult;
use crate::api::id::parse;
use crate::api::inputs;
use crate::api::types::aircraft::AircraftNode;
use crate::api::types::enums::FuelType;
use crate::fleet::{self, AircraftChanges, NewAircraft};

/// An aircraft to add to the fleet.
#[derive(InputObject)]
pub struct RegisterAircraftInput {
    /// Civil registration, e.g. `N123AB` or `G-ABCD`; stored upper case without spaces, unique
    /// among your active aircraft.
    pub tail_number: String,
    /// ICAO type designator from `aircraftModels`, e.g. `E55P`.
    pub model_code: String,
    /// Defaults to the model's default fuel (Jet A).
    pub fuel_type: Option<FuelType>,
}

impl RegisterAircraftInput {
    pub fn parse(self) -> ApiResult<NewAircraft> {
        Ok(NewAircraft {
            tail_number: inputs::tail_number(&self.tail_number, "tailNumber")?,
            model_code: inputs::model_code(&self.model_code)?,
            fuel_type: self.fuel_type.map(Into::into),
        })
    }
}

/// Changes to an active aircraft; a field left null stays as it is.
#[derive(InputObject)]
pub struct UpdateAircraftInput {
    /// The aircraft's global ID.
    pub id: ID,
    /// A new civil registration (unique among your active aircraft).
    pub tail_number: Option<String>,
    /// A new ICAO type designator from `aircraftModels`.
    pub model_code: Option<String>,
    /// The fuel it usually burns from now on.
    pub fuel_type: Option<FuelType>,
}

/// The aircraft to take out of the fleet.
#[derive(InputObject)]
pub struct RemoveAircraftInput {
    /// The aircraft's global ID.
    pub id: ID,
}

/// The result of `registerAircraft`.
#[derive(SimpleObject)]
pub struct RegisterAircraftPayload {
    /// The registered aircraft.
    pub aircraft: AircraftNode,
}

/// The result of `updateAircraft`.
#[derive(SimpleObject)]
pub struct UpdateAircraftPayload {
    /// The aircraft as changed.
    pub aircraft: AircraftNode,
}

/// The result of `removeAircraft`.
#[derive(SimpleObject)]
pub struct RemoveAircraftPayload {
    /// The removed aircraft; `archivedAt` is set when its recorded emissions or estimates kept
    /// it (else it is deleted).
    pub aircraft: AircraftNode,
}

#[derive(Default)]
pub struct FleetMutation;

#[Object]
impl FleetMutation {
    /// Adds an aircraft to your fleet. Errors: `UNAUTHENTICATED`; `BAD_USER_INPUT` (a tail
    /// number that is not a civil registration, a model code not in the catalog); `CONFLICT`
    /// (the tail number is already in your fleet).
    async fn register_aircraft(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The aircraft to register.")] input: RegisterAircraftInput,
    ) -> ApiResult<RegisterAircraftPayload> {
        let organization = ctx.organization()?;
        let new = input.parse()?;
        let aircraft = fleet::register(ctx.db(), organization, new).await?;
        Ok(RegisterAircraftPayload {
            aircraft: AircraftNode(aircraft),
        })
    }

    /// Changes an active aircraft's tail number, type or fuel; recorded emissions keep their
    /// figures. Errors: `UNAUTHENTICATED`; `BAD_USER_INPUT`; `NOT_FOUND` (no active aircraft
    /// of yours has this ID); `CONFLICT` (the new tail number is already in your fleet).
    async fn update_aircraft(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The aircraft and its changes.")] input: UpdateAircraftInput,
    ) -> ApiResult<UpdateAircraftPayload> {
        let organization = ctx.organization()?;
        let id = parse(&input.id, "id")?;
        let changes = AircraftChanges {
            tail_number: input
                .tail_number
                .as_deref()
                .map(|tail| inputs::tail_number(tail, "tailNumber"))
                .transpose()?,
            model_code: input
                .model_code
                .as_deref()
                .map(inputs::model_code)
                .transpose()?,
            fuel_type: input.fuel_type.map(Into::into),
        };
        let aircraft = fleet::update(ctx.db(), organization, id, changes).await?;
        Ok(UpdateAircraftPayload {
            aircraft: AircraftNode(aircraft),
        })
    }

    /// Takes an aircraft out of the fleet: archived when emissions or estimates refer to it
    /// (its tail number is free again), deleted otherwise. Errors: `UNAUTHENTICATED`;
    /// `BAD_USER_INPUT`; `NOT_FOUND` (no active aircraft of yours has this ID).
    async fn remove_aircraft(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The aircraft to remove.")] input: RemoveAircraftInput,
    ) -> ApiResult<RemoveAircraftPayload> {
        let organization = ctx.organization()?;
        let id = parse(&input.id, "id")?;
        let aircraft =
            crate::accounting::fleet::remove_aircraft(ctx.db(), organization, id).await?;
        Ok(RemoveAircraftPayload {
            aircraft: AircraftNode(aircraft),
        })
    }
}
