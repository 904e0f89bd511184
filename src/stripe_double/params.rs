//! The form bodies the API takes, with nested keys (`line_items[0][price_data][unit_amount]`),
//! checked as Stripe checks them: every refusal names the parameter. Parameters the double
//! does not model are ignored.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use super::events::LineItem;
use crate::error::shorten_quotes;

/// Stripe's bounds on a session's `expires_at`, counted from its creation.
const MIN_EXPIRY: Duration = Duration::minutes(30);
const MAX_EXPIRY: Duration = Duration::hours(24);
/// Stripe's largest amount: eight digits of minor units.
const MAX_AMOUNT: i64 = 99_999_999;
const MAX_QUANTITY: i64 = 999_999;
const MAX_LINE_ITEMS: usize = 100;
const MAX_URL_CHARS: usize = 5000;
const MAX_TEXT_CHARS: usize = 5000;
const MAX_REFERENCE_CHARS: usize = 200;
const MAX_METADATA_KEYS: usize = 50;
const MAX_METADATA_KEY_CHARS: usize = 40;
const MAX_METADATA_VALUE_CHARS: usize = 500;
const MAX_EMAIL_CHARS: usize = 254;

/// Parses a form body (or query string) with Stripe's nested keys.
pub fn parse<T: DeserializeOwned>(input: &[u8]) -> Result<T, ApiError> {
    serde_qs::Config::new()
        .use_form_encoding(true)
        .deserialize_bytes(input)
        .map_err(|error| {
            ApiError::invalid(
                format!("Invalid request: {}", shorten_quotes(&error.to_string())),
                None,
            )
        })
}

#[derive(Debug, Deserialize)]
pub struct CreateSession {
    mode: Option<String>,
    line_items: Option<Vec<LineItemParams>>,
    success_url: Option<String>,
    cancel_url: Option<String>,
    client_reference_id: Option<String>,
    customer_email: Option<String>,
    expires_at: Option<i64>,
    metadata: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub expand: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct LineItemParams {
    quantity: Option<i64>,
    price: Option<String>,
    price_data: Option<PriceData>,
}

#[derive(Debug, Deserialize)]
struct PriceData {
    currency: Option<String>,
    unit_amount: Option<i64>,
    product_data: Option<ProductData>,
}

#[derive(Debug, Deserialize)]
struct ProductData {
    name: Option<String>,
    description: Option<String>,
}

/// A session to create, checked.
#[derive(Debug)]
pub struct NewSession {
    pub currency: String,
    pub line_items: Vec<LineItem>,
    pub amount_total: i64,
    pub metadata: BTreeMap<String, String>,
    pub client_reference_id: Option<String>,
    pub customer_email: Option<String>,
    pub success_url: String,
    pub cancel_url: Option<String>,
    pub expires_at: DateTime<Utc>,
}

impl CreateSession {
    pub fn check(self, now: DateTime<Utc>) -> Result<NewSession, ApiError> {
        match self.mode.as_deref() {
            None => return Err(ApiError::missing("mode")),
            Some("payment") => {}
            Some(_) => {
                return Err(ApiError::invalid(
                    "Invalid mode: the test double supports only `payment`.",
                    Some("mode"),
                ));
            }
        }
        let items = self.line_items.unwrap_or_default();
        if items.is_empty() {
            return Err(ApiError::missing("line_items"));
        }
        if items.len() > MAX_LINE_ITEMS {
            return Err(ApiError::invalid(
                format!("A Checkout Session can have at most {MAX_LINE_ITEMS} line items."),
                Some("line_items"),
            ));
        }
        let mut currency: Option<String> = None;
        let mut line_items = Vec::with_capacity(items.len());
        for (index, item) in items.into_iter().enumerate() {
            let (item_currency, line) = check_line_item(index, item)?;
            if currency
                .as_ref()
                .is_some_and(|first| *first != item_currency)
            {
                return Err(ApiError::invalid(
                    "All line items must use the same currency.",
                    Some(&format!("line_items[{index}][price_data][currency]")),
                ));
            }
            currency = Some(item_currency);
            line_items.push(line);
        }
        let amount_total = line_items
            .iter()
            .try_fold(0_i64, |total, item| total.checked_add(item.amount()))
            .filter(|total| *total <= MAX_AMOUNT)
            .ok_or_else(|| {
                ApiError::invalid(
                    format!("The total amount must be at most {MAX_AMOUNT} minor units."),
                    Some("line_items"),
                )
            })?;
        let expires_at = match self.expires_at {
            None => now + MAX_EXPIRY,
            Some(at) => check_expiry(at, now)?,
        };
        Ok(NewSession {
            currency: currency.unwrap_or_default(),
            line_items,
            amount_total,
            metadata: check_metadata(self.metadata.unwrap_or_default())?,
            client_reference_id: check_text(
                self.client_reference_id,
                MAX_REFERENCE_CHARS,
                "client_reference_id",
            )?,
            customer_email: self
                .customer_email
                .map(|email| check_email(&email, "customer_email"))
                .transpose()?,
            success_url: check_url(self.success_url, "success_url")?
                .ok_or_else(|| ApiError::missing("success_url"))?,
            cancel_url: check_url(self.cancel_url, "cancel_url")?,
            expires_at,
        })
    }
}

fn check_line_item(index: usize, item: LineItemParams) -> Result<(String, LineItem), ApiError> {
    let param = |name: &str| format!("line_items[{index}]{name}");
    if item.price.is_some() {
        return Err(ApiError::invalid(
            "The test double knows no Prices: give `price_data` instead.",
            Some(&param("[price]")),
        ));
    }
    let quantity = item
        .quantity
        .ok_or_else(|| ApiError::missing(&param("[quantity]")))?;
    if !(1..=MAX_QUANTITY).contains(&quantity) {
        return Err(ApiError::invalid(
            format!("Quantity must be between 1 and {MAX_QUANTITY}."),
            Some(&param("[quantity]")),
        ));
    }
    let price = item
        .price_data
        .ok_or_else(|| ApiError::missing(&param("[price_data]")))?;
    let currency = price
        .currency
        .ok_or_else(|| ApiError::missing(&param("[price_data][currency]")))?
        .to_ascii_lowercase();
    if currency.len() != 3 || !currency.bytes().all(|byte| byte.is_ascii_lowercase()) {
        return Err(ApiError::invalid(
            "Invalid currency: give a three-letter ISO code.",
            Some(&param("[price_data][currency]")),
        ));
    }
    let unit_amount = price
        .unit_amount
        .ok_or_else(|| ApiError::missing(&param("[price_data][unit_amount]")))?;
    if !(0..=MAX_AMOUNT).contains(&unit_amount) {
        return Err(ApiError::invalid(
            format!("Invalid integer: unit_amount must be between 0 and {MAX_AMOUNT}."),
            Some(&param("[price_data][unit_amount]")),
        ));
    }
    let product = price
        .product_data
        .ok_or_else(|| ApiError::missing(&param("[price_data][product_data]")))?;
    let name_param = param("[price_data][product_data][name]");
    let name = check_text(product.name, MAX_TEXT_CHARS, &name_param)?
        .filter(|name| !name.trim().is_empty())
        .ok_or_else(|| ApiError::missing(&name_param))?;
    let description = check_text(
        product.description,
        MAX_TEXT_CHARS,
        &param("[price_data][product_data][description]"),
    )?;
    let line = LineItem {
        name,
        description,
        quantity,
        unit_amount,
    };
    Ok((currency, line))
}

fn check_expiry(at: i64, now: DateTime<Utc>) -> Result<DateTime<Utc>, ApiError> {
    let expires_at = DateTime::from_timestamp(at, 0)
        .ok_or_else(|| ApiError::invalid("Invalid timestamp.", Some("expires_at")))?;
    if expires_at < now + MIN_EXPIRY {
        return Err(ApiError::invalid(
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
            Some("expires_at"),
        ));
    }
    if expires_at > now + MAX_EXPIRY {
        return Err(ApiError::invalid(
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
            Some("expires_at"),
        ));
    }
    Ok(expires_at)
}

/// An absolute http(s) URL, kept as given (Stripe substitutes `{CHECKOUT_SESSION_ID}` in it).
fn check_url(url: Option<String>, param: &str) -> Result<Option<String>, ApiError> {
    let Some(url) = url else {
        return Ok(None);
    };
    let valid = url.chars().count() <= MAX_URL_CHARS
        && url::Url::parse(&url).is_ok_and(|parsed| matches!(parsed.scheme(), "http" | "https"));
    if !valid {
        return Err(ApiError::invalid("Not a valid URL", Some(param)).with_code("url_invalid"));
    }
    Ok(Some(url))
}

fn check_text(text: Option<String>, max: usize, param: &str) -> Result<Option<String>, ApiError> {
    match text {
        Some(text) if text.chars().count() > max => Err(ApiError::invalid(
            format!("Invalid string: must be at most {max} characters long."),
            Some(param),
        )),
        Some(text) if text.chars().any(char::is_control) => Err(ApiError::invalid(
            "Invalid string: control characters are not allowed.",
            Some(param),
        )),
        other => Ok(other),
    }
}

fn check_metadata(
    metadata: BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, ApiError> {
    if metadata.len() > MAX_METADATA_KEYS {
        return Err(ApiError::invalid(
            format!("Metadata can have at most {MAX_METADATA_KEYS} keys."),
            Some("metadata"),
        ));
    }
    for (key, value) in &metadata {
        if key.is_empty() || key.chars().count() > MAX_METADATA_KEY_CHARS {
            return Err(ApiError::invalid(
                format!("Metadata keys must be 1 to {MAX_METADATA_KEY_CHARS} characters long."),
                Some("metadata"),
            ));
        }
        if value.chars().count() > MAX_METADATA_VALUE_CHARS {
            return Err(ApiError::invalid(
                format!(
                    "Metadata values can be at most {MAX_METADATA_VALUE_CHARS} characters long."
                ),
                Some("metadata"),
            ));
        }
    }
    // An empty value unsets a key in Stripe; on creation it simply leaves it out.
    Ok(metadata
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .collect())
}

/// A plausible e-mail address: one `@` between non-empty parts, no spaces, a sane length.
pub fn check_email(email: &str, param: &str) -> Result<String, ApiError> {
    let email = email.trim();
    let plausible = email.chars().count() <= MAX_EMAIL_CHARS
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && email.matches('@').count() == 1;
    if !plausible {
        return Err(
            ApiError::invalid("Invalid email address.", Some(param)).with_code("email_invalid")
        );
    }
    Ok(email.to_owned())
}

#[derive(Debug, Deserialize)]
pub struct CreateRefund {
    pub payment_intent: Option<String>,
    pub amount: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Retrieve {
    #[serde(default)]
    pub expand: Vec<String>,
}

pub fn expands_line_items(expand: &[String]) -> bool {
    expand.iter().any(|field| field == "line_items")
}
