//! Exact decimals on the REST wire: strings, as every figure is written (`"2.5"`), never JSON
//! numbers, whose floating point would round them.

use std::borrow::Cow;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// What a decimal in a request looks like: digits, optionally a point and more digits.
const PATTERN: &str = r"^[0-9]+(\.[0-9]+)?$";

/// A decimal a client sent, e.g. `"2.5"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecimalString(pub Decimal);

/// Whether `text` matches [`PATTERN`], the grammar the document promises.
fn fits(text: &str) -> bool {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
    digits(whole) && fraction.is_none_or(digits)
}

impl<'de> Deserialize<'de> for DecimalString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if !fits(&text) {
            return Err(serde::de::Error::custom(format!(
                "{} is not a decimal written as digits with an optional point, e.g. \"2.5\"",
                crate::error::quote(&text)
            )));
        }
        Decimal::from_str_exact(&text)
            .map(DecimalString)
            .map_err(|_| serde::de::Error::custom("is too large or too precise a decimal"))
    }
}

impl utoipa::PartialSchema for DecimalString {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(PATTERN))
            .description(Some("An exact decimal as a string, e.g. \"2.5\"."))
            .examples(["2.5"])
            .into()
    }
}

impl utoipa::ToSchema for DecimalString {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Decimal")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_decimal_strings_are_read() {
        let read = |json: &str| serde_json::from_str::<DecimalString>(json).map(|d| d.0);
        assert_eq!(read(r#""2.5""#).unwrap(), Decimal::new(25, 1));
        assert_eq!(read(r#""007""#).unwrap(), Decimal::from(7));
        for refused in [
            r#""-1""#,
            r#""1e3""#,
            r#""1_000""#,
            r#""1.""#,
            r#"".5""#,
            "2.5",
            r#""""#,
        ] {
            assert!(read(refused).is_err(), "{refused}");
        }
    }
}
