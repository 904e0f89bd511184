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

/// Credits to provision: a quantity (`quantityTonnes`), or a share of emissions
/// (`emissionIds` and `offsetPercentage`), not both.
#[derive(InputObject)]
pub struct CreateProvisionInput {
    /// Tonnes to provision, above 0 with at most 6 decimals (whole grams); or give
    /// `emissionIds` and `offsetPercentage`.
    pub quantity_tonnes: Option<Decimal>,
    /// 1 to 100 of your emissions to offset and link; the quantity is their net CO2 ×
    /// `offsetPercentage` / 100, rounded to the gram.
    pub emission_ids: Option<Vec<ID>>,
    /// Whole percent, 1 to 300 (required with `emissionIds`).
    pub offset_percentage: Option<i32>,
    /// The listing to buy from (`Listing.id`); the default listing when null.
    pub listing_id: Option<ID>,
    /// Printed on the certificate: one line, 1 to 200 characters.
    pub beneficiary_name: String,
    /// Printed on the certificate: at most 1000 characters, line breaks allowed.
    pub retirement_message: Option<String>,
    /// Your own reference (a booking number), unique in your organization: the same request
    /// sent again answers the provision it made (`replayed: true`); another request with the
    /// same reference is a `CONFLICT` naming it in `extensions.existingId`.
    pub external_reference: Option<String>,
}

impl CreateProvisionInput {
    pub fn parse(self) -> ApiResult<(NewProvision, Option<ExternalReference>)> {
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
                    "is required with `emissionIds`",
                ));
            }
            (None, None, Some(_)) => {
                return Err(ApiError::bad_input(
                    "emissionIds",
                    "is required with `offsetPercentage`",
                ));
            }
            (None, None, None) => {
                return Err(ApiError::bad_input(
                    "quantityTonnes",
                    "give `quantityTonnes`, or `emissionIds` and `offsetPercentage`",
                ));
            }
            (Some(_), _, _) => {
                return Err(ApiError::bad_input(
                    "quantityTonnes",
                    "give either `quantityTonnes` or `emissionIds` and `offsetPercentage`, not both",
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

/// The result of `createProvision`.
#[derive(SimpleObject)]
pub struct CreateProvisionPayload {
    /// The provision, `CONFIRMED` (or already `RETIRED`).
    pub provision: ProvisionNode,
    /// The certificate page to share with the customer.
    pub certificate_url: String,
    /// True when this request was made before with the same `externalReference`: the
    /// provision is the one it made, and nothing was written now.
    pub replayed: bool,
}

/// Emissions to link to a provision.
#[derive(InputObject)]
pub struct LinkEmissionsToProvisionInput {
    /// The provision's global ID.
    pub provision_id: ID,
    /// 1 to 100 of your emissions.
    pub emission_ids: Vec<ID>,
}

/// The emission to unlink from a provision.
#[derive(InputObject)]
pub struct UnlinkEmissionFromProvisionInput {
    /// The provision's global ID.
    pub provision_id: ID,
    /// The emission's global ID.
    pub emission_id: ID,
}

/// The provision to cancel.
#[derive(InputObject)]
pub struct CancelProvisionInput {
    /// The provision's global ID.
    pub provision_id: ID,
}

/// The result of a change to a provision.
#[derive(SimpleObject)]
pub struct ProvisionPayload {
    /// The provision as it is now.
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
    /// Errors: `UNAUTHENTICATED`; `BAD_USER_INPUT` (also below the listing's `minFillTonnes`,
    /// or emissions without net CO2); `NOT_FOUND` (an emission or the listing);
    /// `INSUFFICIENT_SUPPLY`; `CONFLICT` (`externalReference` names another request's
    /// provision).
    async fn create_provision(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to provision and for whom.")] input: CreateProvisionInput,
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
    /// to it is a `CONFLICT`. Errors: `UNAUTHENTICATED`; `BAD_USER_INPUT`; `NOT_FOUND` (the
    /// provision or an emission); `CONFLICT` (also a cancelled, expired or failed provision).
    #[graphql(name = "linkEmissionsToProvision")]
    async fn link_emissions_to_provision(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The provision and the emissions to link.")]
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
    /// are final: `CONFLICT`). Errors: `UNAUTHENTICATED`; `BAD_USER_INPUT`; `NOT_FOUND` (the
    /// provision or the emission); `CONFLICT`.
    async fn unlink_emission_from_provision(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The provision and the emission to unlink.")]
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
    /// certificate is void; cancelling twice changes nothing. Errors: `UNAUTHENTICATED`;
    /// `BAD_USER_INPUT`; `NOT_FOUND`; `CONFLICT` (retired or being retired, expired or failed).
    async fn cancel_provision(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The provision to cancel.")] input: CancelProvisionInput,
    ) -> ApiResult<ProvisionPayload> {
        let organization = ctx.organization()?;
        let id = provision_id(&input.provision_id)?;
        let provision = lifecycle::cancel(ctx.db(), organization, id).await?;
        Ok(ProvisionPayload {
            provision: ProvisionNode(provision),
        })
    }
}
