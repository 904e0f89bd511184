//! `Query.node`: any object by its global ID.

use async_graphql::{Context, ID, Interface, Object};

use crate::accounting::invoices::InvoiceMonth;

use super::context::ContextExt;
use super::errors::{ApiError, ApiResult};
use super::id::{GlobalId, NodeKind, decode};
use super::types::aircraft::AircraftNode;
use super::types::aircraft_model::AircraftModelNode;
use super::types::airport::AirportNode;
use super::types::certificate::CertificateNode;
use super::types::emission::EmissionNode;
use super::types::estimate::EmissionEstimateNode;
use super::types::invoice::InvoiceObject;
use super::types::listing::{CreditProjectNode, ListingNode};
use super::types::payment::PaymentNode;
use super::types::provision::ProvisionNode;
use super::types::quote::QuoteNode;
use crate::ids::{
    AircraftId, CertificateId, EmissionId, EstimateId, ListingId, PaymentId, ProjectId,
    ProvisionId, QuoteId,
};

/// An object with a global ID, which `node(id:)` fetches again.
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "Globally unique, opaque ID: it names the type and the object."
))]
pub enum Node {
    AircraftModel(AircraftModelNode),
    Airport(AirportNode),
    CreditProject(CreditProjectNode),
    Listing(ListingNode),
    Aircraft(AircraftNode),
    EmissionEstimate(EmissionEstimateNode),
    Emission(EmissionNode),
    Provision(ProvisionNode),
    Certificate(CertificateNode),
    Quote(QuoteNode),
    Payment(PaymentNode),
    Invoice(InvoiceObject),
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Fetches any object by its global ID. An ID that is not one of ours is `BAD_USER_INPUT`;
    /// an object that does not exist or is not yours is `NOT_FOUND`. Catalog models, airports,
    /// projects and listings are public; everything else needs your API key (`UNAUTHENTICATED`).
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `id` of any object implementing `Node`.")] id: ID,
    ) -> ApiResult<Option<Node>> {
        let (kind, key) =
            decode(&id).ok_or_else(|| ApiError::bad_input("id", "is not a valid ID"))?;
        let db = ctx.db();
        let number = || {
            key.parse::<i64>()
                .map_err(|_| ApiError::not_found(kind.name()))
        };
        let node = match kind {
            NodeKind::AircraftModel => crate::catalog::find(&key)
                .map(|model| Node::AircraftModel(AircraftModelNode(model))),
            NodeKind::Airport => {
                crate::airports::by_icao(&key).map(|airport| Node::Airport(AirportNode(airport)))
            }
            NodeKind::CreditProject => {
                crate::credits::find_project(db, ProjectId::from_key(number()?))
                    .await?
                    .map(|project| Node::CreditProject(CreditProjectNode(project)))
            }
            NodeKind::Listing => crate::credits::find_listing(db, ListingId::from_key(number()?))
                .await?
                .map(|listing| Node::Listing(ListingNode(listing))),
            NodeKind::Aircraft => {
                crate::fleet::find(db, ctx.organization()?, AircraftId::from_key(number()?))
                    .await?
                    .map(|aircraft| Node::Aircraft(AircraftNode(aircraft)))
            }
            NodeKind::EmissionEstimate => crate::emissions::find_estimate(
                db,
                ctx.organization()?,
                EstimateId::from_key(number()?),
            )
            .await?
            .map(|estimate| Node::EmissionEstimate(EmissionEstimateNode(estimate))),
            NodeKind::Emission => crate::emissions::find_emission(
                db,
                ctx.organization()?,
                EmissionId::from_key(number()?),
            )
            .await?
            .map(|emission| Node::Emission(EmissionNode::from(emission))),
            NodeKind::Provision => {
                crate::provisions::find(db, ctx.organization()?, ProvisionId::from_key(number()?))
                    .await?
                    .map(|provision| Node::Provision(ProvisionNode(provision)))
            }
            NodeKind::Certificate => {
                let organization = ctx.organization()?;
                match crate::certificates::find(db, CertificateId::from_key(number()?)).await? {
                    Some(certificate)
                        if crate::provisions::find(db, organization, certificate.provision_id)
                            .await?
                            .is_some() =>
                    {
                        Some(Node::Certificate(CertificateNode(certificate)))
                    }
                    _ => None,
                }
            }
            NodeKind::Quote => {
                crate::payments::quotes::find(db, ctx.organization()?, QuoteId::from_key(number()?))
                    .await?
                    .map(|quote| Node::Quote(QuoteNode(quote)))
            }
            NodeKind::Payment => {
                crate::payments::find(db, ctx.organization()?, PaymentId::from_key(number()?))
                    .await?
                    .map(|payment| Node::Payment(PaymentNode(payment)))
            }
            NodeKind::Invoice => {
                let organization = ctx.organization()?;
                let month = key
                    .split_once(':')
                    .filter(|(owner, _)| *owner == organization.0.to_string())
                    .and_then(|(_, month)| InvoiceMonth::parse(month).ok());
                match month {
                    Some(month) => Some(Node::Invoice(InvoiceObject(
                        crate::accounting::invoices::invoice(db, organization, month).await?,
                    ))),
                    None => None,
                }
            }
        };
        node.map(Some)
            .ok_or_else(|| ApiError::not_found(kind.name()))
    }
}
