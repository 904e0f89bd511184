//! Quantities that cross the API edge, parsed into types once: masses in integer grams,
//! money in integer minor units, bounded percentages and durations.
//!
//! Computation runs at full precision; rounding happens once, at the end, half away from zero
//! (SPEC §4).

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::{ActiveEnum, DeriveActiveEnum, DeriveValueType, EnumIter, Iterable};

const GRAMS_PER_KG: i64 = 1_000;
const GRAMS_PER_TONNE: i64 = 1_000_000;

/// Rounds to `dp` decimal places, half away from zero: the one rounding rule of the API.
pub fn round(value: Decimal, dp: u32) -> Decimal {
    value.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

/// Integer division of `numerator / denominator` rounded half away from zero.
pub fn div_round(numerator: i128, denominator: i128) -> i128 {
    debug_assert!(denominator > 0);
    let (quotient, remainder) = (numerator / denominator, numerator % denominator);
    if remainder.abs() * 2 >= denominator {
        quotient + numerator.signum()
    } else {
        quotient
    }
}

/// Free text from a client, trimmed: at most `max_chars` characters and no control characters
/// (a NUL cannot be stored by PostgreSQL, others hide what a certificate says); line breaks
/// and tabs only where `multiline`.
pub fn parse_text(input: &str, max_chars: usize, multiline: bool) -> Result<String, String> {
    let text = input.trim();
    if text.chars().count() > max_chars {
        return Err(format!("must be at most {max_chars} characters"));
    }
    let allowed = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
    if text.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(if multiline {
            "must not contain control characters other than line breaks and tabs".into()
        } else {
            "must not contain control characters (such as NUL or line breaks)".into()
        });
    }
    Ok(text.to_owned())
}

/// A mass of CO2 (or fuel, or credits) in whole grams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, DeriveValueType)]
pub struct Grams(i64);

impl Grams {
    pub const ZERO: Grams = Grams(0);

    pub const fn new(grams: i64) -> Self {
        Grams(grams)
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    /// Rounds a full-precision mass in kilograms to the gram.
    pub fn from_kg(kg: Decimal) -> Self {
        let grams = round(kg * Decimal::from(GRAMS_PER_KG), 0);
        Grams(i64::try_from(grams).expect("mass within i64 grams"))
    }

    /// The mass in kilograms with 3 decimals, as the API shows it.
    pub fn kg(self) -> Decimal {
        Decimal::new(self.0, 3)
    }

    /// The mass in tonnes with 6 decimals, as the API shows it.
    pub fn tonnes(self) -> Decimal {
        Decimal::new(self.0, 6)
    }

    /// `self × percent / 100`, rounded to the gram.
    pub fn percent(self, percent: Percentage) -> Grams {
        Grams(div_round(i128::from(self.0) * i128::from(percent.get()), 100) as i64)
    }

    /// Parses a positive quantity in tonnes with at most 6 decimals (whole grams).
    pub fn parse_tonnes(tonnes: Decimal) -> Result<Grams, String> {
        if tonnes <= Decimal::ZERO {
            return Err("must be greater than 0 tonnes".into());
        }
        let too_large = || format!("must be at most {MAX_TONNES} tonnes");
        let grams = tonnes
            .checked_mul(Decimal::from(GRAMS_PER_TONNE))
            .ok_or_else(too_large)?;
        if grams.fract() != Decimal::ZERO {
            return Err("must have at most 6 decimals (whole grams)".into());
        }
        i64::try_from(grams)
            .ok()
            .filter(|grams| *grams <= MAX_TONNES * GRAMS_PER_TONNE)
            .map(Grams)
            .ok_or_else(too_large)
    }
}

/// Upper bound on any single quantity: far above any real order, far below overflow.
const MAX_TONNES: i64 = 1_000_000_000;

impl std::ops::Add for Grams {
    type Output = Grams;
    fn add(self, other: Grams) -> Grams {
        Grams(self.0 + other.0)
    }
}

impl std::iter::Sum for Grams {
    fn sum<I: Iterator<Item = Grams>>(iter: I) -> Grams {
        Grams(iter.map(|g| g.0).sum())
    }
}

/// An ISO 4217 currency the platform prices in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Currency {
    #[sea_orm(string_value = "USD")]
    Usd,
    #[sea_orm(string_value = "EUR")]
    Eur,
    #[sea_orm(string_value = "GBP")]
    Gbp,
    #[sea_orm(string_value = "CHF")]
    Chf,
    #[sea_orm(string_value = "CAD")]
    Cad,
    #[sea_orm(string_value = "AUD")]
    Aud,
    #[sea_orm(string_value = "SEK")]
    Sek,
    #[sea_orm(string_value = "NOK")]
    Nok,
    #[sea_orm(string_value = "DKK")]
    Dkk,
    #[sea_orm(string_value = "JPY")]
    Jpy,
}

impl Currency {
    pub fn code(self) -> String {
        self.to_value()
    }

    /// Decimal places of the minor unit (ISO 4217).
    pub fn exponent(self) -> u32 {
        match self {
            Currency::Jpy => 0,
            _ => 2,
        }
    }
}

impl FromStr for Currency {
    type Err = String;
    fn from_str(code: &str) -> Result<Self, String> {
        let code = code.trim().to_ascii_uppercase();
        Currency::try_from_value(&code).map_err(|_| {
            let known: Vec<String> = Currency::iter().map(Currency::code).collect();
            format!(
                "unsupported currency {} (supported: {})",
                crate::error::quote(&code),
                known.join(", ")
            )
        })
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

/// An amount of money in integer minor units of its currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    /// The amount in major units, e.g. `262.50`.
    pub fn amount(self) -> Decimal {
        Decimal::new(self.minor, self.currency.exponent())
    }

    /// Parses a non-negative amount in major units with no more decimals than the currency has.
    pub fn parse(amount: Decimal, currency: Currency) -> Result<Money, String> {
        if amount < Decimal::ZERO {
            return Err("must not be negative".into());
        }
        let minor = amount
            .checked_mul(Decimal::from(10_i64.pow(currency.exponent())))
            .ok_or("is too large")?;
        if minor.fract() != Decimal::ZERO {
            return Err(format!(
                "must have at most {} decimals in {currency}",
                currency.exponent()
            ));
        }
        i64::try_from(minor)
            .map(|minor| Money { minor, currency })
            .map_err(|_| "is too large".into())
    }

    /// The price of `quantity` at `self` per tonne, plus a fee in basis points, rounded once to
    /// the minor unit; `None` if it exceeds what an amount can hold.
    pub fn per_tonne_times(self, quantity: Grams, fee: FeeBps) -> Option<Money> {
        let numerator = i128::from(quantity.get())
            .checked_mul(i128::from(self.minor))?
            .checked_mul(i128::from(10_000 + fee.get()))?;
        let denominator = i128::from(GRAMS_PER_TONNE) * 10_000;
        let minor = i64::try_from(div_round(numerator, denominator)).ok()?;
        Some(Money::new(minor, self.currency))
    }
}

/// A share of an emission to offset, in whole percent (1 to 300).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Percentage(u16);

impl Percentage {
    pub const MAX: u16 = 300;

    pub fn parse(percent: i32) -> Result<Self, String> {
        u16::try_from(percent)
            .ok()
            .filter(|p| (1..=Self::MAX).contains(p))
            .map(Percentage)
            .ok_or_else(|| format!("must be a whole percentage from 1 to {}", Self::MAX))
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

/// A flight's block time in whole minutes (1 to 2880, two days).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationMinutes(u16);

impl DurationMinutes {
    pub const MAX: u16 = 2_880;

    pub fn parse(minutes: i32) -> Result<Self, String> {
        u16::try_from(minutes)
            .ok()
            .filter(|m| (1..=Self::MAX).contains(m))
            .map(DurationMinutes)
            .ok_or_else(|| format!("must be a whole number of minutes from 1 to {}", Self::MAX))
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

/// A platform fee in basis points (0 to 10 000, i.e. up to 100 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FeeBps(u32);

impl FeeBps {
    pub fn new(bps: u32) -> Result<Self, String> {
        if bps <= 10_000 {
            Ok(FeeBps(bps))
        } else {
            Err("must be from 0 to 10000 basis points".into())
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl FromStr for FeeBps {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bps = s.trim().parse::<u32>().map_err(|_| {
            format!(
                "{} is not a whole number of basis points",
                crate::error::quote(s)
            )
        })?;
        FeeBps::new(bps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(div_round(5, 10), 1);
        assert_eq!(div_round(-5, 10), -1);
        assert_eq!(div_round(4, 10), 0);
        assert_eq!(div_round(15, 10), 2);
        assert_eq!(Grams::from_kg(dec("0.0005")), Grams(1));
        assert_eq!(Grams::from_kg(dec("0.00049")), Grams(0));
    }

    #[test]
    fn shows_masses_with_fixed_decimals() {
        assert_eq!(Grams(813_106).kg().to_string(), "813.106");
        assert_eq!(Grams(1_500).tonnes().to_string(), "0.001500");
    }

    #[test]
    fn parses_tonnes_to_whole_grams() {
        assert_eq!(
            Grams::parse_tonnes(dec("1234.567891")),
            Ok(Grams(1_234_567_891))
        );
        assert_eq!(Grams::parse_tonnes(dec("0.001")), Ok(Grams(1_000)));
        assert!(Grams::parse_tonnes(dec("0.0000001")).is_err());
        assert!(Grams::parse_tonnes(dec("0")).is_err());
        assert!(Grams::parse_tonnes(dec("-1")).is_err());
    }

    #[test]
    fn prices_once_at_the_end() {
        let usd = Currency::Usd;
        let unit = Money::new(15_000, usd);
        // 0.001 t × 150.00 = 0.15
        assert_eq!(
            unit.per_tonne_times(Grams(1_000), FeeBps(0)).unwrap(),
            Money::new(15, usd)
        );
        // 1234.567891 t × 150.00 = 185185.18365 → 185185.18
        assert_eq!(
            unit.per_tonne_times(Grams(1_234_567_891), FeeBps(0))
                .unwrap(),
            Money::new(18_518_518, usd)
        );
        // 0.0001 t would be 0.015 → 0.02 (half away from zero)
        assert_eq!(
            unit.per_tonne_times(Grams(100), FeeBps(0)).unwrap(),
            Money::new(2, usd)
        );
        // a 2.5 % fee on 1 t at 150.00 is 153.75
        assert_eq!(
            unit.per_tonne_times(Grams(1_000_000), FeeBps(250)).unwrap(),
            Money::new(15_375, usd)
        );
    }

    #[test]
    fn bounds_percentages_and_durations() {
        assert!(Percentage::parse(0).is_err());
        assert!(Percentage::parse(301).is_err());
        assert_eq!(Percentage::parse(150).unwrap().get(), 150);
        assert!(DurationMinutes::parse(0).is_err());
        assert!(DurationMinutes::parse(2_881).is_err());
        assert_eq!(DurationMinutes::parse(2_880).unwrap().get(), 2_880);
    }

    #[test]
    fn money_respects_currency_exponent() {
        assert_eq!(
            Money::new(26_250, Currency::Usd).amount().to_string(),
            "262.50"
        );
        assert_eq!(Money::new(500, Currency::Jpy).amount().to_string(), "500");
        assert!(Money::parse(dec("1.001"), Currency::Usd).is_err());
        assert_eq!(
            Money::parse(dec("150.00"), Currency::Usd),
            Ok(Money::new(15_000, Currency::Usd))
        );
        assert_eq!("eur".parse::<Currency>(), Ok(Currency::Eur));
        assert!("XXX".parse::<Currency>().is_err());
    }
}
