use std::collections::{HashMap, HashSet};

use async_graphql::dataloader::Loader;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::methodology::{Factors, FuelType, SafBlend, SafPathway};
use super::{
    AirportCode, Emission, EmissionFilter, EmissionId, EmissionSource, Estimate, EstimateId,
    ExternalReference, FlightDetails, FlightFigures, FlightRequest,
};
use crate::catalog::graphql::ModelCode;
use crate::credits::graphql::ListingNode;
use crate::error::{Error, Result};
use crate::fleet::AircraftId;
use crate::fleet::graphql::{AircraftNode, parse_tail};
use crate::graphql::MoneyObject;
use crate::graphql::context::{ContextExt, DbLoader};
use crate::graphql::node::{NodeKind, encode, parse_id};
use crate::graphql::pagination::{Page, Paginated, TotalCount, connection, page_query};
use crate::provisions::OffsetStatus;
use crate::provisions::graphql::{OffsetOf, ProvisionNode, ProvisionsOf};
use crate::units::{DurationMinutes, Grams, Percentage};

/// The methodology version and the factors a figure was computed with.
pub struct Methodology(Factors);

#[Object]
impl Methodology {
    /// e.g. `contrail-2026.1`.
    async fn version(&self) -> &str {
        self.0.version
    }

    /// Block fuel burn of the aircraft type, US gallons per hour, as published.
    async fn fuel_burn_us_gallons_per_hour(&self) -> Decimal {
        self.0.fuel_burn.us_gallons_per_hour()
    }

    /// The same at 0.8 kg/L, kilograms per hour (3 decimals).
    async fn fuel_burn_kg_per_hour(&self) -> Decimal {
        crate::units::round(self.0.fuel_burn.kg_per_hour(), 3)
    }

    /// kg CO2 per kg fuel (CORSIA fuel conversion factor).
    async fn emission_factor(&self) -> Decimal {
        Decimal::new(i64::from(self.0.emission_factor_milli), 3).normalize()
    }

    /// Life-cycle value of the SAF pathway, gCO2e/MJ (CORSIA default), when a blend was used.
    async fn saf_lifecycle_grams_per_megajoule(&self) -> Option<Decimal> {
        self.0
            .saf_lifecycle_deci
            .map(|value| Decimal::new(i64::from(value), 1))
    }
}

/// Field resolvers shared by estimates and emissions.
struct FlightFields<'a>(&'a FlightFigures);

impl FlightFields<'_> {
    async fn aircraft(&self, ctx: &Context<'_>) -> Result<AircraftNode> {
        ctx.loader()
            .load_one(self.0.aircraft_id)
            .await?
            .map(AircraftNode)
            .ok_or_else(|| Error::not_found("Aircraft"))
    }

    fn saf_blend_percent(&self) -> Decimal {
        self.0.saf.map_or(Decimal::ZERO, SafBlend::percent)
    }
}

pub struct EmissionEstimateNode(pub Estimate);

/// A flight's emissions computed before purchase. Records no emission; kept with its prices
/// until `expiresAt` so a checkout can refer to it.
#[Object(name = "EmissionEstimate")]
impl EmissionEstimateNode {
    pub async fn id(&self) -> ID {
        encode(NodeKind::EmissionEstimate, self.0.id.0)
    }

    async fn aircraft(&self, ctx: &Context<'_>) -> Result<AircraftNode> {
        FlightFields(&self.0.flight).aircraft(ctx).await
    }

    async fn duration_minutes(&self) -> u16 {
        self.0.flight.duration.get()
    }

    async fn fuel_type(&self) -> FuelType {
        self.0.flight.fuel
    }

    async fn saf_blend_percent(&self) -> Decimal {
        FlightFields(&self.0.flight).saf_blend_percent()
    }

    async fn saf_pathway(&self) -> Option<SafPathway> {
        self.0.flight.saf.map(|saf| saf.pathway)
    }

    async fn fuel_burned_kg(&self) -> Decimal {
        self.0.flight.figures.fuel_burned.kg()
    }

    async fn co2_kg(&self) -> Decimal {
        self.0.flight.figures.co2.kg()
    }

    async fn saf_reduction_kg(&self) -> Decimal {
        self.0.flight.figures.saf_reduction.kg()
    }

    /// CO2 after the SAF reduction: the basis of offsets.
    async fn net_co2_kg(&self) -> Decimal {
        self.0.flight.figures.net_co2.kg()
    }

    /// Net CO2 in tonnes (6 decimals).
    async fn co2_tonnes(&self) -> Decimal {
        self.0.flight.figures.net_co2.tonnes()
    }

    async fn methodology(&self) -> Methodology {
        Methodology(self.0.flight.figures.factors.clone())
    }

    /// The listing whose price the offsets are quoted at.
    async fn listing(&self, ctx: &Context<'_>) -> Result<ListingNode> {
        ctx.loader()
            .load_one(self.0.pricing.listing)
            .await?
            .map(ListingNode)
            .ok_or_else(|| Error::not_found("Listing"))
    }

    /// Offsetting a share of the net CO2: tonnes and price (fee included) for each percentage.
    async fn offset_options(
        &self,
        #[graphql(default_with = "vec![50, 100, 150]")] percentages: Vec<i32>,
    ) -> Result<Vec<OffsetOption>> {
        percentages
            .into_iter()
            .map(|percent| {
                let percentage = Percentage::parse(percent)
                    .map_err(|message| Error::bad_input("percentages", message))?;
                let quantity = self.0.flight.figures.net_co2.percent(percentage);
                let price = self.0.pricing.price(quantity).ok_or_else(|| {
                    Error::bad_input("percentages", "the price would be too large to express")
                })?;
                Ok(OffsetOption {
                    percentage: i32::from(percentage.get()),
                    tonnes: quantity.tonnes(),
                    price: price.into(),
                })
            })
            .collect()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
}

#[derive(SimpleObject)]
pub struct OffsetOption {
    pub percentage: i32,
    /// Tonnes of CO2 removal (6 decimals).
    pub tonnes: Decimal,
    /// Price at the estimate's listing, platform fee included.
    pub price: MoneyObject,
}

pub struct EmissionNode(pub Emission);

/// A recorded flight and its emissions.
#[Object(name = "Emission")]
impl EmissionNode {
    pub async fn id(&self) -> ID {
        encode(NodeKind::Emission, self.0.id.0)
    }

    async fn aircraft(&self, ctx: &Context<'_>) -> Result<AircraftNode> {
        FlightFields(&self.0.flight).aircraft(ctx).await
    }

    /// The tail number the flight was recorded under.
    async fn tail_number(&self) -> &str {
        self.0.tail_number.as_str()
    }

    /// The estimate this emission was recorded from, if any.
    async fn estimate_id(&self) -> Option<ID> {
        self.0
            .estimate_id
            .map(|id| encode(NodeKind::EmissionEstimate, id.0))
    }

    async fn duration_minutes(&self) -> u16 {
        self.0.flight.duration.get()
    }

    async fn fuel_type(&self) -> FuelType {
        self.0.flight.fuel
    }

    async fn saf_blend_percent(&self) -> Decimal {
        FlightFields(&self.0.flight).saf_blend_percent()
    }

    async fn saf_pathway(&self) -> Option<SafPathway> {
        self.0.flight.saf.map(|saf| saf.pathway)
    }

    async fn fuel_burned_kg(&self) -> Decimal {
        self.0.flight.figures.fuel_burned.kg()
    }

    async fn co2_kg(&self) -> Decimal {
        self.0.flight.figures.co2.kg()
    }

    async fn saf_reduction_kg(&self) -> Decimal {
        self.0.flight.figures.saf_reduction.kg()
    }

    /// CO2 after the SAF reduction: the basis of offsets.
    async fn net_co2_kg(&self) -> Decimal {
        self.0.flight.figures.net_co2.kg()
    }

    async fn departed_at(&self) -> Option<DateTime<Utc>> {
        self.0.departed_at
    }

    async fn origin(&self) -> Option<&str> {
        self.0.origin.as_deref()
    }

    async fn destination(&self) -> Option<&str> {
        self.0.destination.as_deref()
    }

    async fn external_reference(&self) -> Option<&str> {
        self.0.external_reference.as_deref()
    }

    /// CO2 offset by the confirmed and retired provisions covering this emission, kg: each
    /// covers its emissions in proportion to their net CO2.
    async fn offset_kg(&self, ctx: &Context<'_>) -> Result<Decimal> {
        Ok(self.offset(ctx).await?.kg())
    }

    /// `offsetKg` as a percentage of `netCo2Kg` (2 decimals at most; 150 when offset 150 %).
    async fn offset_percentage(&self, ctx: &Context<'_>) -> Result<Decimal> {
        let net = self.0.flight.figures.net_co2;
        if net == Grams::ZERO {
            return Ok(Decimal::ZERO);
        }
        let exact = self.exact_offset_kg(ctx).await?;
        Ok(crate::units::round(exact * Decimal::from(100) / net.kg(), 2).normalize())
    }

    async fn offset_status(&self, ctx: &Context<'_>) -> Result<OffsetStatus> {
        let offset = self.offset(ctx).await?;
        Ok(OffsetStatus::of(offset, self.0.flight.figures.net_co2))
    }

    /// Provisions linked to this emission, newest first.
    async fn provisions(&self, ctx: &Context<'_>) -> Result<Vec<ProvisionNode>> {
        let provisions = ctx
            .loader()
            .load_one(ProvisionsOf(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(provisions.into_iter().map(ProvisionNode).collect())
    }

    async fn methodology(&self) -> Methodology {
        Methodology(self.0.flight.figures.factors.clone())
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

impl EmissionNode {
    async fn exact_offset_kg(&self, ctx: &Context<'_>) -> Result<Decimal> {
        Ok(ctx
            .loader()
            .load_one(OffsetOf(self.0.id))
            .await?
            .unwrap_or_default())
    }

    /// The offset rounded once, to the gram.
    async fn offset(&self, ctx: &Context<'_>) -> Result<Grams> {
        Ok(Grams::from_kg(self.exact_offset_kg(ctx).await?))
    }
}

/// One page of one aircraft's emissions; batched across aircraft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AircraftEmissions {
    pub aircraft: AircraftId,
    pub page: Page,
}

impl Loader<AircraftEmissions> for DbLoader {
    type Value = Vec<Emission>;
    type Error = Error;

    async fn load(
        &self,
        keys: &[AircraftEmissions],
    ) -> Result<HashMap<AircraftEmissions, Vec<Emission>>> {
        let mut pages: HashMap<Page, Vec<AircraftId>> = HashMap::new();
        for key in keys {
            pages.entry(key.page).or_default().push(key.aircraft);
        }
        let mut loaded: HashMap<AircraftEmissions, Vec<Emission>> =
            keys.iter().map(|key| (*key, Vec::new())).collect();
        for (page, aircraft) in pages {
            for emission in super::pages_for_aircraft(&self.db, &aircraft, page).await? {
                let key = AircraftEmissions {
                    aircraft: emission.flight.aircraft_id,
                    page,
                };
                loaded.entry(key).or_default().push(emission);
            }
        }
        Ok(loaded)
    }
}

/// Loads the aircraft of a page, and their models, in one batch each when the query selects
/// them: item resolvers then find them cached, whatever the timing of the batch window.
pub async fn preload_aircraft(ctx: &Context<'_>, emissions: &[Emission]) -> Result<()> {
    let selection = ctx.look_ahead();
    let nodes = [
        selection.field("edges").field("node"),
        selection.field("nodes"),
    ];
    if !nodes.iter().any(|node| node.field("aircraft").exists()) {
        return Ok(());
    }
    let ids: HashSet<AircraftId> = emissions
        .iter()
        .map(|emission| emission.flight.aircraft_id)
        .collect();
    let aircraft = ctx.loader().load_many(ids).await?;
    if nodes
        .iter()
        .any(|node| node.field("aircraft").field("model").exists())
    {
        let codes: HashSet<ModelCode> = aircraft
            .values()
            .map(|aircraft| ModelCode(aircraft.model_code.clone()))
            .collect();
        ctx.loader().load_many(codes).await?;
    }
    Ok(())
}

#[derive(InputObject, Default)]
pub struct EmissionFilterInput {
    pub tail_number: Option<String>,
    /// Departed at or after this instant.
    pub departed_from: Option<DateTime<Utc>>,
    /// Departed before this instant.
    pub departed_to: Option<DateTime<Utc>>,
    pub offset_status: Option<OffsetStatus>,
}

impl EmissionFilterInput {
    fn parse(self) -> Result<EmissionFilter> {
        if let (Some(from), Some(to)) = (self.departed_from, self.departed_to)
            && from >= to
        {
            return Err(Error::bad_input("departedTo", "must be after departedFrom"));
        }
        Ok(EmissionFilter {
            tail_number: self
                .tail_number
                .as_deref()
                .map(|tail| parse_tail(tail, "tailNumber"))
                .transpose()?,
            departed_from: self.departed_from,
            departed_to: self.departed_to,
            offset_status: self.offset_status,
        })
    }
}

#[derive(Default)]
pub struct EmissionsQuery;

#[Object]
impl EmissionsQuery {
    /// The organization's recorded emissions, oldest first.
    async fn emissions(
        &self,
        ctx: &Context<'_>,
        filter: Option<EmissionFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Paginated<EmissionNode>> {
        let organization = ctx.organization()?;
        let filter = filter.unwrap_or_default().parse()?;
        let page = Page::parse(first, after)?;
        let select = super::select_emissions(organization, &filter);
        let total = TotalCount::of(&select);
        let rows = page_query(select, super::entity::emission::Column::Id, page)
            .all(ctx.db())
            .await?;
        let emissions = super::rows_to_emissions(rows)?;
        preload_aircraft(ctx, &emissions).await?;
        Ok(connection(
            emissions,
            page,
            total,
            |emission| emission.id.0,
            EmissionNode,
        ))
    }

    async fn emission(&self, ctx: &Context<'_>, id: ID) -> Result<Option<EmissionNode>> {
        let organization = ctx.organization()?;
        let id = EmissionId(parse_id(&id, NodeKind::Emission, "id")?);
        super::find_emission(ctx.db(), organization, id)
            .await?
            .map(|emission| Some(EmissionNode(emission)))
            .ok_or_else(|| Error::not_found("Emission"))
    }
}

#[derive(InputObject)]
pub struct EstimateEmissionInput {
    pub tail_number: String,
    /// Block time, whole minutes (1 to 2880).
    pub duration_minutes: i32,
    /// Defaults to the aircraft's fuel.
    pub fuel_type: Option<FuelType>,
    /// Share of neat SAF by mass, 0 to 50 (default 0).
    pub saf_blend_percent: Option<Decimal>,
    /// Required when `safBlendPercent` is above 0.
    pub saf_pathway: Option<SafPathway>,
}

#[derive(InputObject)]
pub struct CreateEmissionInput {
    /// Record an estimate's flight; or give the flight's data below instead.
    pub estimate_id: Option<ID>,
    pub tail_number: Option<String>,
    pub duration_minutes: Option<i32>,
    pub fuel_type: Option<FuelType>,
    pub saf_blend_percent: Option<Decimal>,
    pub saf_pathway: Option<SafPathway>,
    pub departed_at: Option<DateTime<Utc>>,
    /// IATA or ICAO code of the departure airport.
    pub origin: Option<String>,
    /// IATA or ICAO code of the arrival airport.
    pub destination: Option<String>,
    /// Your own identifier of the flight, unique in your organization: a retried request with
    /// the same reference cannot record the flight twice.
    pub external_reference: Option<String>,
}

#[derive(SimpleObject)]
pub struct EstimateEmissionPayload {
    pub estimate: EmissionEstimateNode,
}

#[derive(SimpleObject)]
pub struct CreateEmissionPayload {
    pub emission: EmissionNode,
}

fn parse_flight(
    tail_number: &str,
    duration_minutes: i32,
    fuel_type: Option<FuelType>,
    saf_blend_percent: Option<Decimal>,
    saf_pathway: Option<SafPathway>,
) -> Result<FlightRequest> {
    let saf =
        SafBlend::parse(saf_blend_percent.unwrap_or_default(), saf_pathway).map_err(|error| {
            let (field, message) = error.field_and_message();
            Error::bad_input(field, message)
        })?;
    Ok(FlightRequest {
        tail_number: parse_tail(tail_number, "tailNumber")?,
        duration: DurationMinutes::parse(duration_minutes)
            .map_err(|message| Error::bad_input("durationMinutes", message))?,
        fuel: fuel_type,
        saf,
    })
}

fn parse_airport(code: Option<String>, field: &str) -> Result<Option<AirportCode>> {
    code.map(|code| AirportCode::parse(&code).map_err(|message| Error::bad_input(field, message)))
        .transpose()
}

impl CreateEmissionInput {
    fn parse(self) -> Result<(EmissionSource, FlightDetails)> {
        let details = FlightDetails {
            departed_at: self.departed_at,
            origin: parse_airport(self.origin, "origin")?,
            destination: parse_airport(self.destination, "destination")?,
            external_reference: self
                .external_reference
                .map(|reference| {
                    ExternalReference::parse(&reference)
                        .map_err(|message| Error::bad_input("externalReference", message))
                })
                .transpose()?,
        };
        let flight_given = self.tail_number.is_some()
            || self.duration_minutes.is_some()
            || self.fuel_type.is_some()
            || self.saf_blend_percent.is_some()
            || self.saf_pathway.is_some();
        let source = match self.estimate_id {
            Some(_) if flight_given => {
                return Err(Error::bad_input(
                    "estimateId",
                    "give either an estimate or the flight's data (tailNumber, durationMinutes, …), not both",
                ));
            }
            Some(id) => EmissionSource::Estimate(EstimateId(parse_id(
                &id,
                NodeKind::EmissionEstimate,
                "estimateId",
            )?)),
            None => {
                let tail = self.tail_number.ok_or_else(|| {
                    Error::bad_input("tailNumber", "is required without an estimateId")
                })?;
                let duration = self.duration_minutes.ok_or_else(|| {
                    Error::bad_input("durationMinutes", "is required without an estimateId")
                })?;
                EmissionSource::Flight(parse_flight(
                    &tail,
                    duration,
                    self.fuel_type,
                    self.saf_blend_percent,
                    self.saf_pathway,
                )?)
            }
        };
        Ok((source, details))
    }
}

#[derive(Default)]
pub struct EmissionsMutation;

#[Object]
impl EmissionsMutation {
    /// Estimates a flight's CO2 and prices offsetting it, without recording anything.
    async fn estimate_emission(
        &self,
        ctx: &Context<'_>,
        input: EstimateEmissionInput,
    ) -> Result<EstimateEmissionPayload> {
        let organization = ctx.organization()?;
        let flight = parse_flight(
            &input.tail_number,
            input.duration_minutes,
            input.fuel_type,
            input.saf_blend_percent,
            input.saf_pathway,
        )?;
        let estimate = super::estimate(ctx.db(), ctx.config(), organization, flight).await?;
        Ok(EstimateEmissionPayload {
            estimate: EmissionEstimateNode(estimate),
        })
    }

    /// Records a flight that happened, from an estimate or from its data.
    async fn create_emission(
        &self,
        ctx: &Context<'_>,
        input: CreateEmissionInput,
    ) -> Result<CreateEmissionPayload> {
        let organization = ctx.organization()?;
        let (source, details) = input.parse()?;
        let emission = super::create_emission(ctx.db(), organization, source, details).await?;
        Ok(CreateEmissionPayload {
            emission: EmissionNode(emission),
        })
    }
}
