use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use rust_decimal::Decimal;

use crate::api::context::ContextExt;
use crate::api::errors::{ApiError, ApiResult};
use crate::api::id::parse;
use crate::api::inputs;
use crate::api::types::payment::PaymentNode;
use crate::api::types::provision::ProvisionNode;
use crate::api::types::quote::QuoteNode;
use sea_orm::DatabaseConnection;

use crate::ids::{ListingId, OrganizationId};
use crate::payments::checkout::{self, EmailAddress, NewCheckout, Purchase, RedirectUrl, Return};
use crate::payments::quotes;
use crate::provisions::lifecycle::Quantity;
use crate::provisions::{BeneficiaryName, RetirementMessage};
use crate::retries::ExternalReference;
use crate::units::{Grams, Percentage};

/// What to price.
#[derive(InputObject)]
pub struct CreateQuoteInput {
    /// The listing whose credits to price (`Listing.id`).
    pub asset_price_source_id: ID,
    /// Tonnes, above 0 with at most 6 decimals, at least the listing's `minFillTonnes`.
    pub quantity_tonnes: Decimal,
}

impl CreateQuoteInput {
    pub fn parse(self) -> ApiResult<(ListingId, Grams)> {
        let listing = parse(&self.asset_price_source_id, "assetPriceSourceId")?;
        Ok((listing, tonnes(self.quantity_tonnes)?))
    }
}

/// The result of `createQuote`.
#[derive(SimpleObject)]
pub struct CreateQuotePayload {
    /// The quote, its price held until `expiresAt`.
    pub quote: QuoteNode,
}

/// Printed on the certificate.
#[derive(InputObject)]
pub struct CheckoutMetadataInput {
    /// On whose behalf the credits are retired: one line, 1 to 200 characters.
    pub beneficiary_name: String,
    /// At most 1000 characters, line breaks allowed.
    pub retirement_message: Option<String>,
}

/// A hosted checkout for credits: from a quote (`quoteId`), or from a listing and a quantity
/// (`assetPriceSourceId` and `quantityTonnes`), not both.
#[derive(InputObject)]
pub struct CreateCheckoutInput {
    /// The listing to buy from, with `quantityTonnes`; or give `quoteId` instead.
    pub asset_price_source_id: Option<ID>,
    /// Tonnes, above 0 with at most 6 decimals (required with `assetPriceSourceId`).
    pub quantity_tonnes: Option<Decimal>,
    /// A quote whose price the checkout charges (used once).
    pub quote_id: Option<ID>,
    /// The beneficiary and message printed on the certificate.
    pub metadata: CheckoutMetadataInput,
    /// After paying, the customer goes to this URL followed by `/` and the payment id
    /// (absolute `http` or `https` URL, at most 2000 characters).
    pub success_url: String,
    /// Where a customer who gives up goes (absolute `http` or `https` URL).
    pub cancel_url: String,
    /// Prefills the checkout's e-mail field; the verification e-mail goes to the address the
    /// customer confirms there.
    pub customer_email: Option<String>,
    /// Your own reference (an order number), unique in your organization: the same request
    /// sent again answers this checkout (`replayed: true`); another request with the same
    /// reference is a `CONFLICT` naming it in `extensions.existingId`.
    pub external_reference: Option<String>,
}

/// The result of `createCheckout`.
#[derive(SimpleObject)]
pub struct CreateCheckoutPayload {
    /// The hosted checkout page to send the customer to.
    pub url: String,
    /// The payment, `PENDING` until the customer pays.
    pub payment: PaymentNode,
    /// True when this request was made before with the same `externalReference`: the checkout
    /// is the one it opened, and nothing was written now.
    pub replayed: bool,
}

/// A hosted checkout that offsets a share of emissions.
#[derive(InputObject)]
pub struct CreateProvisionCheckoutInput {
    /// 1 to 100 of your emissions to offset (linked to the provision).
    pub emission_ids: Vec<ID>,
    /// Whole percent of their net CO2, 1 to 300.
    pub offset_percentage: i32,
    /// The listing to buy from (`Listing.id`); the default listing when null.
    pub listing_id: Option<ID>,
    /// Where the customer goes after the checkout (absolute `http` or `https` URL); the
    /// server's thank-you page when absent.
    pub redirect_url: Option<String>,
    /// Prefills the checkout's e-mail field; the verification e-mail goes to the address the
    /// customer confirms there.
    pub customer_email: Option<String>,
    /// Printed on the certificate; defaults to your organization's name.
    pub beneficiary_name: Option<String>,
    /// Printed on the certificate: at most 1000 characters, line breaks allowed.
    pub retirement_message: Option<String>,
    /// Your own reference, unique in your organization: the same request sent again answers
    /// this checkout (`replayed: true`); another request with it is a `CONFLICT`.
    pub external_reference: Option<String>,
}

/// The result of `createProvisionCheckout`.
#[derive(SimpleObject)]
pub struct CreateProvisionCheckoutPayload {
    /// The hosted checkout page to send the customer to.
    pub checkout_url: String,
    /// Waits in `PENDING_PAYMENT`, its credits held, until the payment's outcome is known.
    pub provision: ProvisionNode,
    /// The payment, `PENDING` until the customer pays.
    pub payment: PaymentNode,
    /// True when this request was made before with the same `externalReference`: the
    /// checkout is the one it opened, and nothing was written now.
    pub replayed: bool,
}

fn url(input: &str, field: &'static str) -> ApiResult<RedirectUrl> {
    RedirectUrl::parse(input).map_err(|message| ApiError::bad_input(field, message))
}

fn email(input: Option<&str>) -> ApiResult<Option<EmailAddress>> {
    inputs::optional(input, "customerEmail", EmailAddress::parse)
}

fn message(input: Option<&str>) -> ApiResult<Option<RetirementMessage>> {
    inputs::optional(input, "retirementMessage", RetirementMessage::parse)
}

fn beneficiary(input: &str) -> ApiResult<BeneficiaryName> {
    BeneficiaryName::parse(input).map_err(|message| ApiError::bad_input("beneficiaryName", message))
}

fn reference(input: Option<&str>) -> ApiResult<Option<ExternalReference>> {
    inputs::optional(input, "externalReference", ExternalReference::parse)
}

fn tonnes(input: Decimal) -> ApiResult<Grams> {
    Grams::parse_tonnes(input).map_err(|message| ApiError::bad_input("quantityTonnes", message))
}

impl CreateCheckoutInput {
    pub fn parse(self) -> ApiResult<NewCheckout> {
        let purchase = match (
            self.quote_id,
            self.asset_price_source_id,
            self.quantity_tonnes,
        ) {
            (Some(quote), None, None) => Purchase::Quote(parse(&quote, "quoteId")?),
            (None, Some(listing), Some(quantity)) => Purchase::Quantity(
                Quantity::Tonnes(tonnes(quantity)?),
                Some(parse(&listing, "assetPriceSourceId")?),
            ),
            (Some(_), _, _) => {
                return Err(ApiError::bad_input(
                    "quoteId",
                    "give either `quoteId` or `assetPriceSourceId` and `quantityTonnes`, not both",
                ));
            }
            (None, None, _) => {
                return Err(ApiError::bad_input(
                    "assetPriceSourceId",
                    "give `assetPriceSourceId` and `quantityTonnes`, or `quoteId`",
                ));
            }
            (None, Some(_), None) => {
                return Err(ApiError::bad_input(
                    "quantityTonnes",
                    "is required with `assetPriceSourceId`",
                ));
            }
        };
        Ok(NewCheckout {
            purchase,
            beneficiary_name: beneficiary(&self.metadata.beneficiary_name)?,
            retirement_message: message(self.metadata.retirement_message.as_deref())?,
            return_to: Return::Urls {
                success: url(&self.success_url, "successUrl")?,
                cancel: url(&self.cancel_url, "cancelUrl")?,
            },
            customer_email: email(self.customer_email.as_deref())?,
            external_reference: reference(self.external_reference.as_deref())?,
        })
    }
}

impl CreateProvisionCheckoutInput {
    /// The checkout it asks for; the beneficiary defaults to the organization's name.
    pub async fn parse(
        self,
        db: &DatabaseConnection,
        organization: OrganizationId,
    ) -> ApiResult<NewCheckout> {
        let quantity = Quantity::Emissions {
            ids: inputs::emission_ids(&self.emission_ids, "emissionIds")?,
            percentage: Percentage::parse(self.offset_percentage)
                .map_err(|message| ApiError::bad_input("offsetPercentage", message))?,
        };
        let listing = self
            .listing_id
            .map(|id| parse(&id, "listingId"))
            .transpose()?;
        let redirect = self
            .redirect_url
            .map(|redirect| url(&redirect, "redirectUrl"))
            .transpose()?;
        let beneficiary_name = match self.beneficiary_name {
            Some(name) => beneficiary(&name)?,
            None => beneficiary(&crate::organizations::name(db, organization).await?)?,
        };
        Ok(NewCheckout {
            purchase: Purchase::Quantity(quantity, listing),
            beneficiary_name,
            retirement_message: message(self.retirement_message.as_deref())?,
            return_to: Return::Redirect(redirect),
            customer_email: email(self.customer_email.as_deref())?,
            external_reference: reference(self.external_reference.as_deref())?,
        })
    }
}

#[derive(Default)]
pub struct PaymentsMutation;

#[Object]
impl PaymentsMutation {
    /// Prices a quantity of a listing's credits and holds the price for a while (see
    /// `expiresAt`); a checkout may then use it once. The supply is checked, not held.
    /// Errors: `UNAUTHENTICATED`; `BAD_USER_INPUT`; `NOT_FOUND` (the listing);
    /// `INSUFFICIENT_SUPPLY`.
    async fn create_quote(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The listing and quantity to price.")] input: CreateQuoteInput,
    ) -> ApiResult<CreateQuotePayload> {
        let organization = ctx.organization()?;
        let (listing, quantity) = input.parse()?;
        let config = ctx.config();
        let quote = quotes::create(
            ctx.db(),
            organization,
            listing,
            quantity,
            config.fee,
            config.payments.quote_ttl,
        )
        .await?;
        Ok(CreateQuotePayload {
            quote: QuoteNode(quote),
        })
    }

    /// Opens a hosted checkout for credits, from a quote or a listing and quantity. The credits
    /// are held until the checkout expires; once paid they are retired on behalf of the
    /// beneficiary and the customer goes to `successUrl/{paymentId}`. Errors:
    /// `UNAUTHENTICATED`; `BAD_USER_INPUT`; `NOT_FOUND` (the quote or listing);
    /// `QUOTE_EXPIRED`; `CONFLICT` (the quote was used, or `externalReference` names another
    /// request's checkout); `INSUFFICIENT_SUPPLY`; `PAYMENT_PROVIDER_ERROR` (nothing kept).
    async fn create_checkout(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to sell, for whom, and where the customer goes afterwards.")]
        input: CreateCheckoutInput,
    ) -> ApiResult<CreateCheckoutPayload> {
        let organization = ctx.organization()?;
        let new = input.parse()?;
        let created = checkout::create(&ctx.app().checkouts(), organization, new).await?;
        let replayed = created.replayed();
        let payment = created.into_inner();
        Ok(CreateCheckoutPayload {
            url: payment.checkout_url.clone().unwrap_or_default(),
            payment: PaymentNode(payment),
            replayed,
        })
    }

    /// Opens a hosted checkout that offsets emissions: a provision sized as a share of their
    /// net CO2 waits in `PENDING_PAYMENT`, linked to them, its credits held; once paid it is
    /// confirmed and retired, and the customer receives a verification e-mail. Errors:
    /// `UNAUTHENTICATED`; `BAD_USER_INPUT`; `NOT_FOUND` (an emission or the listing);
    /// `INSUFFICIENT_SUPPLY`; `CONFLICT` (`externalReference` names another request's
    /// checkout); `PAYMENT_PROVIDER_ERROR` (nothing kept).
    async fn create_provision_checkout(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The emissions, the share to offset, and the customer's details.")]
        input: CreateProvisionCheckoutInput,
    ) -> ApiResult<CreateProvisionCheckoutPayload> {
        let organization = ctx.organization()?;
        let new = input.parse(ctx.db(), organization).await?;
        let created = checkout::create(&ctx.app().checkouts(), organization, new).await?;
        let replayed = created.replayed();
        let payment = created.into_inner();
        let provision = ctx
            .loader()
            .load_one(payment.provision_id)
            .await?
            .ok_or_else(|| ApiError::not_found("Provision"))?;
        Ok(CreateProvisionCheckoutPayload {
            checkout_url: payment.checkout_url.clone().unwrap_or_default(),
            provision: ProvisionNode(provision),
            payment: PaymentNode(payment),
            replayed,
        })
    }
}
