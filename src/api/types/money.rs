use async_graphql::SimpleObject;
use rust_decimal::Decimal;

use crate::units::Money;

/// An amount of money in major units of its ISO 4217 currency.
#[derive(SimpleObject)]
#[graphql(name = "Money")]
pub struct MoneyObject {
    /// Major units with the currency's decimals (2 for USD, 0 for JPY), e.g. `"262.50"`.
    pub amount: Decimal,
    /// ISO 4217 code, e.g. `"USD"`.
    pub currency: String,
}

impl From<Money> for MoneyObject {
    fn from(money: Money) -> Self {
        MoneyObject {
            amount: money.amount(),
            currency: money.currency.code(),
        }
    }
}
