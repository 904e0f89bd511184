use std::collections::{HashMap, HashSet};

use async_graphql::dataloader::Loader;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{Aircraft, AircraftChanges, AircraftId, NewAircraft, TailNumber};
use crate::catalog::graphql::{AircraftModelNode, ModelCode};
use crate::emissions::graphql::{AircraftEmissions, EmissionNode, preload_aircraft};
use crate::emissions::methodology::FuelType;
use crate::error::{Error, Result};
use crate::graphql::context::{ContextExt, DbLoader};
use crate::graphql::node::{NodeKind, encode, parse_id};
use crate::graphql::pagination::{Page, Paginated, TotalCount, connection, page_query};

pub struct AircraftNode(pub Aircraft);

/// An aircraft of the organization's fleet.
#[Object(name = "Aircraft")]
impl AircraftNode {
    pub async fn id(&self) -> ID {
        encode(NodeKind::Aircraft, self.0.id.0)
    }

    /// Civil registration, normalised (upper case, no spaces).
    async fn tail_number(&self) -> &str {
        self.0.tail_number.as_str()
    }

    async fn model(&self, ctx: &Context<'_>) -> Result<AircraftModelNode> {
        ctx.loader()
            .load_one(ModelCode(self.0.model_code.clone()))
            .await?
            .map(AircraftModelNode)
            .ok_or_else(|| Error::not_found("AircraftModel"))
    }

    /// The fuel this aircraft usually burns; estimates default to it.
    async fn fuel_type(&self) -> FuelType {
        self.0.fuel_type
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// Set when the aircraft was removed from the fleet but keeps its emission history.
    async fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.0.archived_at
    }

    /// Emissions recorded for this aircraft, oldest first.
    async fn emissions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Paginated<EmissionNode>> {
        let page = Page::parse(first, after)?;
        let key = AircraftEmissions {
            aircraft: self.0.id,
            page,
        };
        let rows = ctx.loader().load_one(key).await?.unwrap_or_default();
        preload_aircraft(ctx, &rows).await?;
        let total = TotalCount::of(&crate::emissions::select_for_aircraft(self.0.id));
        Ok(connection(
            rows,
            page,
            total,
            |emission| emission.id.0,
            EmissionNode,
        ))
    }
}

impl Loader<AircraftId> for DbLoader {
    type Value = Aircraft;
    type Error = Error;

    async fn load(&self, keys: &[AircraftId]) -> Result<HashMap<AircraftId, Aircraft>> {
        let aircraft = super::find_many(&self.db, keys).await?;
        Ok(aircraft
            .into_iter()
            .map(|aircraft| (aircraft.id, aircraft))
            .collect())
    }
}

#[derive(Default)]
pub struct FleetQuery;

#[Object]
impl FleetQuery {
    /// The organization's aircraft in registration order.
    async fn fleet(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(default = false)] include_archived: bool,
    ) -> Result<Paginated<AircraftNode>> {
        let organization = ctx.organization()?;
        let page = Page::parse(first, after)?;
        let select = super::select_fleet(organization, include_archived);
        let total = TotalCount::of(&select);
        let rows = page_query(select, super::entity::Column::Id, page)
            .all(ctx.db())
            .await?;
        let aircraft = super::rows_to_aircraft(rows)?;
        preload(ctx, &aircraft).await?;
        Ok(connection(
            aircraft,
            page,
            total,
            |aircraft| aircraft.id.0,
            AircraftNode,
        ))
    }

    /// The active aircraft with this tail number.
    async fn aircraft(
        &self,
        ctx: &Context<'_>,
        tail_number: String,
    ) -> Result<Option<AircraftNode>> {
        let organization = ctx.organization()?;
        let tail = parse_tail(&tail_number, "tailNumber")?;
        super::find_by_tail(ctx.db(), organization, &tail)
            .await?
            .map(|aircraft| Some(AircraftNode(aircraft)))
            .ok_or_else(|| Error::not_found(format!("Aircraft {tail}")))
    }
}

/// Loads what a page of aircraft needs in one batch per relation: their models, and each
/// page of emissions the query asks of them (one batch per distinct `first`/`after`).
async fn preload(ctx: &Context<'_>, aircraft: &[Aircraft]) -> Result<()> {
    let selection = ctx.look_ahead();
    let nodes = [
        selection.field("edges").field("node"),
        selection.field("nodes"),
    ];
    if nodes.iter().any(|node| node.field("model").exists()) {
        let codes: HashSet<ModelCode> = aircraft
            .iter()
            .map(|aircraft| ModelCode(aircraft.model_code.clone()))
            .collect();
        ctx.loader().load_many(codes).await?;
    }
    for field in nodes
        .iter()
        .flat_map(|node| node.field("emissions").selection_fields())
    {
        // Arguments the field cannot use are reported by the field itself.
        let Ok(arguments) = field.arguments() else {
            continue;
        };
        let argument = |name: &str| {
            arguments
                .iter()
                .find(|(key, _)| key.as_str() == name)
                .map(|(_, value)| value)
        };
        let first = argument("first").and_then(|value| match value {
            async_graphql::Value::Number(number) => {
                number.as_i64().and_then(|n| i32::try_from(n).ok())
            }
            _ => None,
        });
        let after = argument("after").and_then(|value| match value {
            async_graphql::Value::String(cursor) => Some(cursor.clone()),
            _ => None,
        });
        if let Ok(page) = Page::parse(first, after) {
            let keys = aircraft.iter().map(|aircraft| AircraftEmissions {
                aircraft: aircraft.id,
                page,
            });
            ctx.loader().load_many(keys).await?;
        }
    }
    Ok(())
}

fn parse_model_code(input: &str) -> Result<String> {
    crate::catalog::parse_code(input).map_err(|message| Error::bad_input("modelCode", message))
}

pub fn parse_tail(input: &str, field: &str) -> Result<TailNumber> {
    TailNumber::parse(input).map_err(|message| Error::bad_input(field, message))
}

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
    ) -> Result<RegisterAircraftPayload> {
        let organization = ctx.organization()?;
        let new = NewAircraft {
            tail_number: parse_tail(&input.tail_number, "tailNumber")?,
            model_code: parse_model_code(&input.model_code)?,
            fuel_type: input.fuel_type,
        };
        let aircraft = super::register(ctx.db(), organization, new).await?;
        Ok(RegisterAircraftPayload {
            aircraft: AircraftNode(aircraft),
        })
    }

    async fn update_aircraft(
        &self,
        ctx: &Context<'_>,
        input: UpdateAircraftInput,
    ) -> Result<UpdateAircraftPayload> {
        let organization = ctx.organization()?;
        let id = AircraftId(parse_id(&input.id, NodeKind::Aircraft, "id")?);
        let changes = AircraftChanges {
            tail_number: input
                .tail_number
                .as_deref()
                .map(|tail| parse_tail(tail, "tailNumber"))
                .transpose()?,
            model_code: input
                .model_code
                .as_deref()
                .map(parse_model_code)
                .transpose()?,
            fuel_type: input.fuel_type,
        };
        let aircraft = super::update(ctx.db(), organization, id, changes).await?;
        Ok(UpdateAircraftPayload {
            aircraft: AircraftNode(aircraft),
        })
    }

    async fn remove_aircraft(
        &self,
        ctx: &Context<'_>,
        input: RemoveAircraftInput,
    ) -> Result<RemoveAircraftPayload> {
        let organization = ctx.organization()?;
        let id = AircraftId(parse_id(&input.id, NodeKind::Aircraft, "id")?);
        let aircraft = super::remove(ctx.db(), organization, id).await?;
        Ok(RemoveAircraftPayload {
            aircraft: AircraftNode(aircraft),
        })
    }
}
