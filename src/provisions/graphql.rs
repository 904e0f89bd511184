use std::collections::{BTreeSet, HashMap};
use std::hash::Hash;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::{
    Allocation, BeneficiaryName, Billing, InvoiceMonth, NewProvision, Provision, ProvisionId,
    ProvisionStatus, Provisioning, Quantity, RetirementMessage,
};
use crate::certificates::Certificate;
use crate::certificates::graphql::CertificateNode;
use crate::credits::ListingId;
use crate::credits::graphql::ListingNode;
use crate::emissions::graphql::EmissionNode;
use crate::emissions::{Emission, EmissionId};
use crate::error::{Error, Result};
use crate::graphql::MoneyObject;
use crate::graphql::context::{ContextExt, DbLoader};
use crate::graphql::node::{NodeKind, encode, parse_id};
use crate::graphql::pagination::{Page, Paginated, TotalCount, connection, page_query};
use crate::units::{Grams, Percentage};

pub struct ProvisionNode(pub Provision);

/// Carbon-removal credits bought for emissions (or a plain quantity) and retired on behalf of
/// a beneficiary.
#[Object(name = "Provision")]
impl ProvisionNode {
    pub async fn id(&self) -> ID {
        encode(NodeKind::Provision, self.0.id.0)
    }

    async fn status(&self) -> ProvisionStatus {
        self.0.status
    }

    async fn billing(&self) -> Billing {
        self.0.billing
    }

    /// Tonnes of CO2 removal (6 decimals).
    async fn quantity_tonnes(&self) -> Decimal {
        self.0.quantity.tonnes()
    }

    /// The share of the linked emissions' net CO2 it was sized for, if sized that way.
    async fn offset_percentage(&self) -> Option<u16> {
        self.0.offset_percentage
    }

    /// Price of one tonne when provisioned, before the platform fee.
    async fn unit_price(&self) -> MoneyObject {
        self.0.unit_price.into()
    }

    /// Total price, platform fee included.
    async fn price(&self) -> MoneyObject {
        self.0.price.into()
    }

    async fn listing(&self, ctx: &Context<'_>) -> Result<ListingNode> {
        ctx.loader()
            .load_one(self.0.listing_id)
            .await?
            .map(ListingNode)
            .ok_or_else(|| Error::not_found("Listing"))
    }

    /// The emissions it covers, in proportion to their net CO2.
    async fn emissions(&self, ctx: &Context<'_>) -> Result<Vec<EmissionNode>> {
        let emissions = ctx
            .loader()
            .load_one(EmissionsOf(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(emissions.into_iter().map(EmissionNode).collect())
    }

    async fn certificate(&self, ctx: &Context<'_>) -> Result<CertificateNode> {
        ctx.loader()
            .load_one(CertificateOf(self.0.id))
            .await?
            .map(CertificateNode)
            .ok_or_else(|| Error::not_found("Certificate"))
    }

    /// The exact gram ranges of credit batches it holds (or held, if cancelled).
    async fn allocations(&self, ctx: &Context<'_>) -> Result<Vec<AllocationObject>> {
        let allocations = ctx
            .loader()
            .load_one(AllocationsOf(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(allocations.into_iter().map(AllocationObject).collect())
    }

    /// `YYYY-MM` of the monthly invoice it is billed on.
    async fn invoice_month(&self) -> Option<&str> {
        (self.0.billing == Billing::Invoice).then_some(self.0.invoice_month.as_str())
    }

    async fn beneficiary_name(&self) -> &str {
        &self.0.beneficiary_name
    }

    async fn retirement_message(&self) -> Option<&str> {
        self.0.retirement_message.as_deref()
    }

    /// The registry's reference for the retirement.
    async fn registry_reference(&self) -> Option<&str> {
        self.0.registry_reference.as_deref()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    async fn retired_at(&self) -> Option<DateTime<Utc>> {
        self.0.retired_at
    }

    async fn cancelled_at(&self) -> Option<DateTime<Utc>> {
        self.0.cancelled_at
    }
}

/// Grams `[startGram, endGram)` of one credit batch.
pub struct AllocationObject(pub Allocation);

#[Object(name = "Allocation")]
impl AllocationObject {
    async fn batch_serial_prefix(&self) -> &str {
        &self.0.serial_prefix
    }

    async fn vintage(&self) -> i32 {
        self.0.vintage
    }

    /// First gram of the range (grams exceed GraphQL's 32-bit Int, hence a Decimal).
    async fn start_gram(&self) -> Decimal {
        Decimal::from(self.0.range.start)
    }

    /// One past the last gram of the range.
    async fn end_gram(&self) -> Decimal {
        Decimal::from(self.0.range.end)
    }

    async fn tonnes(&self) -> Decimal {
        self.0.range.len().tonnes()
    }

    /// Serials of the first and last gram, e.g. `DEMO-BIOCHAR-2025-0000000000000-0000000999999`.
    async fn serial_range(&self) -> String {
        serial_range(&self.0)
    }

    /// True once a cancellation returned the grams to supply.
    async fn released(&self) -> bool {
        self.0.released
    }
}

pub fn serial_range(allocation: &Allocation) -> String {
    format!(
        "{}-{:013}-{:013}",
        allocation.serial_prefix,
        allocation.range.start,
        allocation.range.end - 1
    )
}

/// For each loader key, the loaded values of the ids its owner is linked to, in link order.
fn resolve_links<Key, Owner, Id, Value>(
    keys: &[Key],
    owner: impl Fn(&Key) -> Owner,
    linked: &HashMap<Owner, Vec<Id>>,
    values: &HashMap<Id, Value>,
) -> HashMap<Key, Vec<Value>>
where
    Key: Copy + Eq + Hash,
    Owner: Eq + Hash,
    Id: Eq + Hash,
    Value: Clone,
{
    keys.iter()
        .map(|key| {
            let list = linked
                .get(&owner(key))
                .into_iter()
                .flatten()
                .filter_map(|id| values.get(id).cloned())
                .collect();
            (*key, list)
        })
        .collect()
}

/// Emissions linked to a provision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EmissionsOf(pub ProvisionId);

impl Loader<EmissionsOf> for DbLoader {
    type Value = Vec<Emission>;
    type Error = Error;

    async fn load(&self, keys: &[EmissionsOf]) -> Result<HashMap<EmissionsOf, Vec<Emission>>> {
        let provisions: Vec<ProvisionId> = keys.iter().map(|key| key.0).collect();
        let linked = super::linked_emissions(&self.db, &provisions).await?;
        let ids: BTreeSet<EmissionId> = linked.values().flatten().copied().collect();
        let emissions: HashMap<EmissionId, Emission> =
            crate::emissions::find_many(&self.db, &ids.into_iter().collect::<Vec<_>>())
                .await?
                .into_iter()
                .map(|emission| (emission.id, emission))
                .collect();
        Ok(resolve_links(keys, |key| key.0, &linked, &emissions))
    }
}

/// The certificate of a provision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CertificateOf(pub ProvisionId);

impl Loader<CertificateOf> for DbLoader {
    type Value = Certificate;
    type Error = Error;

    async fn load(&self, keys: &[CertificateOf]) -> Result<HashMap<CertificateOf, Certificate>> {
        let provisions: Vec<ProvisionId> = keys.iter().map(|key| key.0).collect();
        let certificates = crate::certificates::for_provisions(&self.db, &provisions).await?;
        Ok(certificates
            .into_iter()
            .map(|certificate| (CertificateOf(certificate.provision_id), certificate))
            .collect())
    }
}

/// The allocations of a provision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AllocationsOf(pub ProvisionId);

impl Loader<AllocationsOf> for DbLoader {
    type Value = Vec<Allocation>;
    type Error = Error;

    async fn load(
        &self,
        keys: &[AllocationsOf],
    ) -> Result<HashMap<AllocationsOf, Vec<Allocation>>> {
        let provisions: Vec<ProvisionId> = keys.iter().map(|key| key.0).collect();
        let allocations = super::allocations(&self.db, &provisions).await?;
        Ok(allocations
            .into_iter()
            .map(|(id, list)| (AllocationsOf(id), list))
            .collect())
    }
}

impl Loader<ProvisionId> for DbLoader {
    type Value = Provision;
    type Error = Error;

    async fn load(&self, keys: &[ProvisionId]) -> Result<HashMap<ProvisionId, Provision>> {
        let provisions = super::find_many(&self.db, keys).await?;
        Ok(provisions
            .into_iter()
            .map(|provision| (provision.id, provision))
            .collect())
    }
}

/// Provisions linked to an emission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProvisionsOf(pub EmissionId);

impl Loader<ProvisionsOf> for DbLoader {
    type Value = Vec<Provision>;
    type Error = Error;

    async fn load(&self, keys: &[ProvisionsOf]) -> Result<HashMap<ProvisionsOf, Vec<Provision>>> {
        let emissions: Vec<EmissionId> = keys.iter().map(|key| key.0).collect();
        let linked = super::provisions_of_emissions(&self.db, &emissions).await?;
        let ids: BTreeSet<ProvisionId> = linked.values().flatten().copied().collect();
        let provisions: HashMap<ProvisionId, Provision> =
            super::find_many(&self.db, &ids.into_iter().collect::<Vec<_>>())
                .await?
                .into_iter()
                .map(|provision| (provision.id, provision))
                .collect();
        Ok(resolve_links(keys, |key| key.0, &linked, &provisions))
    }
}

/// Exact kilograms of an emission's net CO2 offset by provisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OffsetOf(pub EmissionId);

impl Loader<OffsetOf> for DbLoader {
    type Value = Decimal;
    type Error = Error;

    async fn load(&self, keys: &[OffsetOf]) -> Result<HashMap<OffsetOf, Decimal>> {
        let emissions: Vec<EmissionId> = keys.iter().map(|key| key.0).collect();
        let offsets = super::offsets(&self.db, &emissions).await?;
        Ok(offsets
            .into_iter()
            .map(|(id, kg)| (OffsetOf(id), kg))
            .collect())
    }
}

/// Free supply of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AvailableSupply(pub ListingId);

impl Loader<AvailableSupply> for DbLoader {
    type Value = Grams;
    type Error = Error;

    async fn load(&self, keys: &[AvailableSupply]) -> Result<HashMap<AvailableSupply, Grams>> {
        let listings: Vec<ListingId> = keys.iter().map(|key| key.0).collect();
        let available = crate::credits::ledger::available(&self.db, &listings).await?;
        Ok(available
            .into_iter()
            .map(|(id, grams)| (AvailableSupply(id), grams))
            .collect())
    }
}

/// Loads the emissions and certificates of a page of provisions in one batch each when the
/// query selects them: item resolvers then find them cached.
async fn preload(ctx: &Context<'_>, provisions: &[Provision]) -> Result<()> {
    let selection = ctx.look_ahead();
    let nodes = [
        selection.field("edges").field("node"),
        selection.field("nodes"),
    ];
    let ids = || provisions.iter().map(|provision| provision.id);
    if nodes.iter().any(|node| node.field("emissions").exists()) {
        ctx.loader().load_many(ids().map(EmissionsOf)).await?;
    }
    if nodes.iter().any(|node| node.field("certificate").exists()) {
        ctx.loader().load_many(ids().map(CertificateOf)).await?;
    }
    Ok(())
}

#[derive(InputObject, Default)]
pub struct ProvisionFilterInput {
    pub status: Option<ProvisionStatus>,
    /// `YYYY-MM` of creation.
    pub month: Option<String>,
}

/// A month of provisions billed to the organization.
pub struct Invoice {
    month: InvoiceMonth,
    quantity: Grams,
    totals: Vec<crate::units::Money>,
}

#[Object]
impl Invoice {
    async fn month(&self) -> &str {
        self.month.as_str()
    }

    /// The month's confirmed and retired provisions billed by invoice (cancelled ones are not
    /// billed).
    async fn provisions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Paginated<ProvisionNode>> {
        let organization = ctx.organization()?;
        let page = Page::parse(first, after)?;
        let select = super::select_invoiced(organization, &self.month);
        page_of(ctx, select, page).await
    }

    async fn total_tonnes(&self) -> Decimal {
        self.quantity.tonnes()
    }

    /// The amount due, fee included; null when the month mixes currencies (see `totals`).
    async fn total(&self, ctx: &Context<'_>) -> Result<Option<MoneyObject>> {
        match self.totals.as_slice() {
            [] => {
                let currency = crate::credits::default_listing(ctx.db())
                    .await?
                    .map_or(crate::units::Currency::Usd, |listing| {
                        listing.unit_price.currency
                    });
                Ok(Some(crate::units::Money::new(0, currency).into()))
            }
            [total] => Ok(Some((*total).into())),
            _ => Ok(None),
        }
    }

    /// The amount due in each currency.
    async fn totals(&self) -> Vec<MoneyObject> {
        self.totals.iter().map(|total| (*total).into()).collect()
    }
}

async fn page_of(
    ctx: &Context<'_>,
    select: sea_orm::Select<super::entity::provision::Entity>,
    page: Page,
) -> Result<Paginated<ProvisionNode>> {
    let total = TotalCount::of(&select);
    let rows = page_query(select, super::entity::provision::Column::Id, page)
        .all(ctx.db())
        .await?;
    let provisions = super::rows_to_provisions(rows)?;
    preload(ctx, &provisions).await?;
    Ok(connection(
        provisions,
        page,
        total,
        |provision| provision.id.0,
        ProvisionNode,
    ))
}

#[derive(Default)]
pub struct ProvisionsQuery;

#[Object]
impl ProvisionsQuery {
    /// The organization's provisions, oldest first.
    async fn provisions(
        &self,
        ctx: &Context<'_>,
        filter: Option<ProvisionFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Paginated<ProvisionNode>> {
        use sea_orm::{ColumnTrait, QueryFilter};
        let organization = ctx.organization()?;
        let filter = filter.unwrap_or_default();
        let page = Page::parse(first, after)?;
        let mut select = super::select_provisions(organization);
        if let Some(status) = filter.status {
            select = select.filter(super::entity::provision::Column::Status.eq(status.as_str()));
        }
        if let Some(month) = filter.month {
            let month = InvoiceMonth::parse(&month)
                .map_err(|message| Error::bad_input("month", message))?;
            select =
                select.filter(super::entity::provision::Column::InvoiceMonth.eq(month.as_str()));
        }
        page_of(ctx, select, page).await
    }

    async fn provision(&self, ctx: &Context<'_>, id: ID) -> Result<Option<ProvisionNode>> {
        let organization = ctx.organization()?;
        let id = ProvisionId(parse_id(&id, NodeKind::Provision, "id")?);
        super::find(ctx.db(), organization, id)
            .await?
            .map(|provision| Some(ProvisionNode(provision)))
            .ok_or_else(|| Error::not_found("Provision"))
    }

    /// The organization's invoice for a month (`YYYY-MM`).
    async fn invoice(&self, ctx: &Context<'_>, month: String) -> Result<Invoice> {
        let organization = ctx.organization()?;
        let month =
            InvoiceMonth::parse(&month).map_err(|message| Error::bad_input("month", message))?;
        let (quantity, totals) = super::invoice_totals(ctx.db(), organization, &month).await?;
        Ok(Invoice {
            month,
            quantity,
            totals,
        })
    }
}

#[derive(InputObject)]
pub struct CreateProvisionInput {
    /// Tonnes to provision (at most 6 decimals); or give `emissionIds` and `offsetPercentage`.
    pub quantity_tonnes: Option<Decimal>,
    /// Emissions to offset and link; the quantity is their net CO2 × `offsetPercentage` / 100.
    pub emission_ids: Option<Vec<ID>>,
    /// 1 to 300.
    pub offset_percentage: Option<i32>,
    /// Defaults to the default listing.
    pub listing_id: Option<ID>,
    /// Printed on the certificate.
    pub beneficiary_name: String,
    pub retirement_message: Option<String>,
}

fn parse_emission_ids(ids: &[ID], field: &str) -> Result<Vec<EmissionId>> {
    if ids.is_empty() || ids.len() > 100 {
        return Err(Error::bad_input(field, "must list 1 to 100 emissions"));
    }
    ids.iter()
        .map(|id| Ok(EmissionId(parse_id(id, NodeKind::Emission, field)?)))
        .collect()
}

impl CreateProvisionInput {
    fn parse(self) -> Result<NewProvision> {
        let quantity = match (
            self.quantity_tonnes,
            self.emission_ids,
            self.offset_percentage,
        ) {
            (Some(tonnes), None, None) => Quantity::Tonnes(
                Grams::parse_tonnes(tonnes)
                    .map_err(|message| Error::bad_input("quantityTonnes", message))?,
            ),
            (None, Some(ids), Some(percentage)) => Quantity::Emissions {
                ids: parse_emission_ids(&ids, "emissionIds")?,
                percentage: Percentage::parse(percentage)
                    .map_err(|message| Error::bad_input("offsetPercentage", message))?,
            },
            (None, Some(_), None) => {
                return Err(Error::bad_input(
                    "offsetPercentage",
                    "is required with emissionIds",
                ));
            }
            (None, None, Some(_)) => {
                return Err(Error::bad_input(
                    "emissionIds",
                    "is required with offsetPercentage",
                ));
            }
            (None, None, None) => {
                return Err(Error::bad_input(
                    "quantityTonnes",
                    "give quantityTonnes, or emissionIds and offsetPercentage",
                ));
            }
            (Some(_), _, _) => {
                return Err(Error::bad_input(
                    "quantityTonnes",
                    "give either quantityTonnes or emissionIds and offsetPercentage, not both",
                ));
            }
        };
        Ok(NewProvision {
            quantity,
            listing: self
                .listing_id
                .map(|id| parse_id(&id, NodeKind::Listing, "listingId").map(ListingId))
                .transpose()?,
            beneficiary_name: BeneficiaryName::parse(&self.beneficiary_name)
                .map_err(|message| Error::bad_input("beneficiaryName", message))?,
            retirement_message: self
                .retirement_message
                .map(|message| {
                    RetirementMessage::parse(&message)
                        .map_err(|message| Error::bad_input("retirementMessage", message))
                })
                .transpose()?,
        })
    }
}

#[derive(SimpleObject)]
pub struct CreateProvisionPayload {
    pub provision: ProvisionNode,
    /// The certificate page to share with the customer.
    pub certificate_url: String,
}

#[derive(InputObject)]
pub struct LinkEmissionsToProvisionInput {
    pub provision_id: ID,
    pub emission_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct UnlinkEmissionFromProvisionInput {
    pub provision_id: ID,
    pub emission_id: ID,
}

#[derive(InputObject)]
pub struct CancelProvisionInput {
    pub provision_id: ID,
}

#[derive(SimpleObject)]
pub struct ProvisionPayload {
    pub provision: ProvisionNode,
}

fn parse_provision_id(id: &ID) -> Result<ProvisionId> {
    Ok(ProvisionId(parse_id(
        id,
        NodeKind::Provision,
        "provisionId",
    )?))
}

#[derive(Default)]
pub struct ProvisionsMutation;

#[Object]
impl ProvisionsMutation {
    /// Provisions credits paid through your own checkout and billed on your monthly invoice:
    /// allocated at once, then retired; the certificate link can be shared with the customer.
    async fn create_provision(
        &self,
        ctx: &Context<'_>,
        input: CreateProvisionInput,
    ) -> Result<CreateProvisionPayload> {
        let organization = ctx.organization()?;
        let new = input.parse()?;
        let config = ctx.config();
        let provisioning = Provisioning {
            db: ctx.db(),
            fee: config.fee,
            retirements: ctx.retirements(),
            retirement_delay: config.retirement_delay,
        };
        let provision = super::create(&provisioning, organization, new).await?;
        let certificate = ctx
            .loader()
            .load_one(CertificateOf(provision.id))
            .await?
            .ok_or_else(|| Error::not_found("Certificate"))?;
        Ok(CreateProvisionPayload {
            certificate_url: certificate.url(&config.public_url),
            provision: ProvisionNode(provision),
        })
    }

    /// Links emissions to a provision: all or none; linking twice changes nothing. A retired
    /// provision's certificate is issued, so its flights are final: linking another emission
    /// to it is a `CONFLICT`.
    #[graphql(name = "linkEmissionsToProvision")]
    async fn link_emissions_to_provision(
        &self,
        ctx: &Context<'_>,
        input: LinkEmissionsToProvisionInput,
    ) -> Result<ProvisionPayload> {
        let organization = ctx.organization()?;
        let id = parse_provision_id(&input.provision_id)?;
        let emissions = parse_emission_ids(&input.emission_ids, "emissionIds")?;
        let provision = super::link(ctx.db(), organization, id, &emissions).await?;
        Ok(ProvisionPayload {
            provision: ProvisionNode(provision),
        })
    }

    /// Unlinks an emission from a provision that is not retired (a retired provision's flights
    /// are final: `CONFLICT`).
    async fn unlink_emission_from_provision(
        &self,
        ctx: &Context<'_>,
        input: UnlinkEmissionFromProvisionInput,
    ) -> Result<ProvisionPayload> {
        let organization = ctx.organization()?;
        let id = parse_provision_id(&input.provision_id)?;
        let emission = EmissionId(parse_id(
            &input.emission_id,
            NodeKind::Emission,
            "emissionId",
        )?);
        let provision = super::unlink(ctx.db(), organization, id, emission).await?;
        Ok(ProvisionPayload {
            provision: ProvisionNode(provision),
        })
    }

    /// Cancels a provision whose credits are not yet retired: they return to supply and the
    /// certificate is void. A retired provision cannot be cancelled (`CONFLICT`).
    async fn cancel_provision(
        &self,
        ctx: &Context<'_>,
        input: CancelProvisionInput,
    ) -> Result<ProvisionPayload> {
        let organization = ctx.organization()?;
        let id = parse_provision_id(&input.provision_id)?;
        let provision = super::cancel(ctx.db(), organization, id).await?;
        Ok(ProvisionPayload {
            provision: ProvisionNode(provision),
        })
    }
}
