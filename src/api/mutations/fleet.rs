use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use crate::api::context::ContextExt;
use crate::api::errors::ApiResult;
use crate::api::id::parse;
use crate::api::inputs;
use crate::api::types::aircraft::AircraftNode;
use crate::api::types::enums::FuelType;
use crate::fleet::{self, AircraftChanges, NewAircraft};

#[derive(InputObject)]
pub struct RegisterAircraftInput {
    /// Civil registration, e.g. `N123AB` or `G-ABCD`.
    pub tail_number: String,
    /// ICAO type designator from `aircraftModels`, e.g. `E55P`.
    pub model_code: String,
    /// Defaults to the model's default fuel (Jet A).
    pub fuel_type: Option<FuelType>,
}

#[derive(InputObject)]
pub struct UpdateAircraftInput {
    pub id: ID,
    pub tail_number: Option<String>,
    pub model_code: Option<String>,
    pub fuel_type: Option<FuelType>,
}

#[derive(InputObject)]
pub struct RemoveAircraftInput {
    pub id: ID,
}

#[derive(SimpleObject)]
pub struct RegisterAircraftPayload {
    pub aircraft: AircraftNode,
}

#[derive(SimpleObject)]
pub struct UpdateAircraftPayload {
    pub aircraft: AircraftNode,
}

#[derive(SimpleObject)]
pub struct RemoveAircraftPayload {
    /// The removed aircraft; `archivedAt` is set when its emission history kept it.
    pub aircraft: AircraftNode,
}

#[derive(Default)]
pub struct FleetMutation;

#[Object]
impl FleetMutation {
    async fn register_aircraft(
        &self,
        ctx: &Context<'_>,
        input: RegisterAircraftInput,
    ) -> ApiResult<RegisterAircraftPayload> {
        let organization = ctx.organization()?;
        let new = NewAircraft {
            tail_number: inputs::tail_number(&input.tail_number, "tailNumber")?,
            model_code: inputs::model_code(&input.model_code)?,
            fuel_type: input.fuel_type.map(Into::into),
        };
        let aircraft = fleet::register(ctx.db(), organization, new).await?;
        Ok(RegisterAircraftPayload {
            aircraft: AircraftNode(aircraft),
        })
    }

    async fn update_aircraft(
        &self,
        ctx: &Context<'_>,
        input: UpdateAircraftInput,
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

    async fn remove_aircraft(
        &self,
        ctx: &Context<'_>,
        input: RemoveAircraftInput,
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
