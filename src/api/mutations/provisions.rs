use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use rust_decimal::Decimal;

use crate::api::context::ContextExt;
use crate::api::errors::{ApiError, ApiResult};
use crate::api::id::parse;
use crate::api::inputs;
use crate::api::loaders::CertificateOf;
use crate::api::types::provision::ProvisionNode;
use crate::ids::ProvisionId;
use crate::provisions::lifecycle::{self, NewProvision, Quantity};
use crate::provisions::{BeneficiaryName, RetirementMessage, linking};
use crate::retries::ExternalReference;
use crate::units::{Grams, Percentage};

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
    /// Your own reference (a booking number), unique in your organization: the same request
    /// sent again answers the provision it made (`replayed: true`); another request with the
    /// same reference is a `CONFLICT` naming it in `extensions.existingId`.
    pub external_reference: Option<String>,
}

impl CreateProvisionInput {
    fn parse(self) -> ApiResult<(NewProvision, Option<ExternalReference>)> {
        let reference = inputs::optional(
            self.external_reference.as_deref(),
            "externalReference",
            ExternalReference::parse,
        )?;
        let quantity = match (
            self.quantity_tonnes,
            self.emission_ids,
            self.offset_percentage,
        ) {
            (Some(tonnes), None, None) => Quantity::Tonnes(
                Grams::parse_tonnes(tonnes)
                    .map_err(|message| ApiError::bad_input("quantityTonnes", message))?,
            ),
            (None, Some(ids), Some(percentage)) => Quantity::Emissions {
                ids: inputs::emission_ids(&ids, "emissionIds")?,
                percentage: Percentage::parse(percentage)
                    .map_err(|message| ApiError::bad_input("offsetPercentage", message))?,
            },
            (None, Some(_), None) => {
                return Err(ApiError::bad_input(
                    "offsetPercentage",
                    "is required with emissionIds",
                ));
            }
            (None, None, Some(_)) => {
                return Err(ApiError::bad_input(
                    "emissionIds",
                    "is required with offsetPercentage",
                ));
            }
            (None, None, None) => {
                return Err(ApiError::bad_input(
                    "quantityTonnes",
                    "give quantityTonnes, or emissionIds and offsetPercentage",
                ));
            }
            (Some(_), _, _) => {
                return Err(ApiError::bad_input(
                    "quantityTonnes",
                    "give either quantityTonnes or emissionIds and offsetPercentage, not both",
                ));
            }
        };
        let new = NewProvision {
            quantity,
            listing: self
                .listing_id
                .map(|id| parse(&id, "listingId"))
                .transpose()?,
            beneficiary_name: BeneficiaryName::parse(&self.beneficiary_name)
                .map_err(|message| ApiError::bad_input("beneficiaryName", message))?,
            retirement_message: inputs::optional(
                self.retirement_message.as_deref(),
                "retirementMessage",
                RetirementMessage::parse,
            )?,
        };
        Ok((new, reference))
    }
}

#[derive(SimpleObject)]
pub struct CreateProvisionPayload {
    pub provision: ProvisionNode,
    /// The certificate page to share with the customer.
    pub certificate_url: String,
    /// True when this request was made before with the same `externalReference`: the
    /// provision is the one it made, and nothing was written now.
    pub replayed: bool,
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

fn provision_id(id: &ID) -> ApiResult<ProvisionId> {
    parse(id, "provisionId")
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
    ) -> ApiResult<CreateProvisionPayload> {
        let organization = ctx.organization()?;
        let (new, reference) = input.parse()?;
        let created =
            lifecycle::create(&ctx.app().provisioning(), organization, new, reference).await?;
        let replayed = created.replayed();
        let provision = created.into_inner();
        let certificate = ctx
            .loader()
            .load_one(CertificateOf(provision.id))
            .await?
            .ok_or_else(|| ApiError::not_found("Certificate"))?;
        Ok(CreateProvisionPayload {
            certificate_url: certificate.url(&ctx.config().public_url),
            provision: ProvisionNode(provision),
            replayed,
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
    ) -> ApiResult<ProvisionPayload> {
        let organization = ctx.organization()?;
        let id = provision_id(&input.provision_id)?;
        let emissions = inputs::emission_ids(&input.emission_ids, "emissionIds")?;
        let provision = linking::link(ctx.db(), organization, id, &emissions).await?;
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
    ) -> ApiResult<ProvisionPayload> {
        let organization = ctx.organization()?;
        let id = provision_id(&input.provision_id)?;
        let emission = parse(&input.emission_id, "emissionId")?;
        let provision = linking::unlink(ctx.db(), organization, id, emission).await?;
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
    ) -> ApiResult<ProvisionPayload> {
        let organization = ctx.organization()?;
        let id = provision_id(&input.provision_id)?;
        let provision = lifecycle::cancel(ctx.db(), organization, id).await?;
        Ok(ProvisionPayload {
            provision: ProvisionNode(provision),
        })
    }
}
