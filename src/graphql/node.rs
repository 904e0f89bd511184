//! Global object identification: opaque IDs that name a type and a key, and `Query.node`.

use std::fmt::Display;

use async_graphql::{Context, ID, Interface, Object};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::catalog::graphql::AircraftModelNode;
use crate::certificates::graphql::CertificateNode;
use crate::credits::graphql::{CreditProjectNode, ListingNode};
use crate::emissions::graphql::{EmissionEstimateNode, EmissionNode};
use crate::error::{Error, Result};
use crate::fleet::graphql::AircraftNode;
use crate::graphql::context::ContextExt;
use crate::provisions::graphql::ProvisionNode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    AircraftModel,
    CreditProject,
    Listing,
    Aircraft,
    EmissionEstimate,
    Emission,
    Provision,
    Certificate,
}

impl NodeKind {
    const ALL: [NodeKind; 8] = [
        NodeKind::AircraftModel,
        NodeKind::CreditProject,
        NodeKind::Listing,
        NodeKind::Aircraft,
        NodeKind::EmissionEstimate,
        NodeKind::Emission,
        NodeKind::Provision,
        NodeKind::Certificate,
    ];

    fn name(self) -> &'static str {
        match self {
            NodeKind::AircraftModel => "AircraftModel",
            NodeKind::CreditProject => "CreditProject",
            NodeKind::Listing => "Listing",
            NodeKind::Aircraft => "Aircraft",
            NodeKind::EmissionEstimate => "EmissionEstimate",
            NodeKind::Emission => "Emission",
            NodeKind::Provision => "Provision",
            NodeKind::Certificate => "Certificate",
        }
    }
}

pub fn encode(kind: NodeKind, key: impl Display) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{key}", kind.name())))
}

fn decode(id: &str) -> Option<(NodeKind, String)> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(id.trim()).ok()?).ok()?;
    let (name, key) = raw.split_once(':')?;
    let kind = NodeKind::ALL.into_iter().find(|kind| kind.name() == name)?;
    Some((kind, key.to_owned()))
}

/// The numeric key of an ID that must be of `kind`; anything else is bad input on `field`.
pub fn parse_id(id: &ID, kind: NodeKind, field: &str) -> Result<i64> {
    decode(id)
        .filter(|(decoded, _)| *decoded == kind)
        .and_then(|(_, key)| key.parse().ok())
        .ok_or_else(|| Error::bad_input(field, format!("is not a valid {} ID", kind.name())))
}

#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    AircraftModel(AircraftModelNode),
    CreditProject(CreditProjectNode),
    Listing(ListingNode),
    Aircraft(AircraftNode),
    EmissionEstimate(EmissionEstimateNode),
    Emission(EmissionNode),
    Provision(ProvisionNode),
    Certificate(CertificateNode),
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Fetches any object by its global ID.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let (kind, key) = decode(&id).ok_or_else(|| Error::bad_input("id", "is not a valid ID"))?;
        let db = ctx.db();
        let number = || {
            key.parse::<i64>()
                .map_err(|_| Error::not_found(kind.name()))
        };
        let node = match kind {
            NodeKind::AircraftModel => crate::catalog::find(db, &key)
                .await?
                .map(|model| Node::AircraftModel(AircraftModelNode(model))),
            NodeKind::CreditProject => crate::credits::find_project(db, number()?)
                .await?
                .map(|project| Node::CreditProject(CreditProjectNode(project))),
            NodeKind::Listing => crate::credits::find_listing(db, number()?)
                .await?
                .map(|listing| Node::Listing(ListingNode(listing))),
            NodeKind::Aircraft => {
                crate::fleet::find(db, ctx.organization()?, crate::fleet::AircraftId(number()?))
                    .await?
                    .map(|aircraft| Node::Aircraft(AircraftNode(aircraft)))
            }
            NodeKind::EmissionEstimate => crate::emissions::find_estimate(
                db,
                ctx.organization()?,
                crate::emissions::EstimateId(number()?),
            )
            .await?
            .map(|estimate| Node::EmissionEstimate(EmissionEstimateNode(estimate))),
            NodeKind::Emission => crate::emissions::find_emission(
                db,
                ctx.organization()?,
                crate::emissions::EmissionId(number()?),
            )
            .await?
            .map(|emission| Node::Emission(EmissionNode(emission))),
            NodeKind::Provision => crate::provisions::find(
                db,
                ctx.organization()?,
                crate::provisions::ProvisionId(number()?),
            )
            .await?
            .map(|provision| Node::Provision(ProvisionNode(provision))),
            NodeKind::Certificate => {
                let organization = ctx.organization()?;
                match crate::certificates::find_by_id(db, number()?).await? {
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
        };
        node.map(Some).ok_or_else(|| Error::not_found(kind.name()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_check_their_kind() {
        let id = encode(NodeKind::Emission, 42);
        assert_eq!(parse_id(&id, NodeKind::Emission, "id").unwrap(), 42);
        assert!(parse_id(&id, NodeKind::Aircraft, "id").is_err());
        assert!(parse_id(&ID("garbage!".into()), NodeKind::Emission, "id").is_err());
    }
}
