//! Civil aircraft registrations ("tail numbers"), normalised and checked for shape.

use std::fmt;

use sea_orm::DeriveValueType;

/// A registration in canonical form: upper case, no spaces, e.g. `N123AB`, `G-ABCD`, `VH-ABC`.
/// Stored as such: only [`TailNumber::parse`] makes one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, DeriveValueType)]
pub struct TailNumber(String);

const MAX_LEN: usize = 10;

impl TailNumber {
    pub fn parse(input: &str) -> Result<TailNumber, String> {
        let tail: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        if tail.is_empty() {
            return Err("must not be empty".into());
        }
        if tail.len() > MAX_LEN || !tail.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!(
                "{} is not a civil registration (e.g. N123AB, G-ABCD, D-IBCD, VH-ABC)",
                crate::error::quote(input.trim())
            ));
        }
        let valid = match tail.split_once('-') {
            Some((prefix, mark)) => is_nationality_prefix(prefix) && is_mark(mark),
            None => is_united_states(&tail) || is_unhyphenated_asian(&tail),
        };
        if valid {
            Ok(TailNumber(tail))
        } else {
            Err(format!(
                "{} is not a civil registration (e.g. N123AB, G-ABCD, D-IBCD, VH-ABC)",
                crate::error::quote(input.trim())
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TailNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// ICAO nationality marks are one or two characters (three for a few, e.g. `VP-B`), with at
/// least one letter: `G`, `D`, `VH`, `C`, `9H`, `4X`.
fn is_nationality_prefix(prefix: &str) -> bool {
    (1..=3).contains(&prefix.len())
        && prefix.chars().all(|c| c.is_ascii_alphanumeric())
        && prefix.chars().any(|c| c.is_ascii_alphabetic())
}

/// The registration mark after the hyphen: one to five letters or digits.
fn is_mark(mark: &str) -> bool {
    (1..=5).contains(&mark.len()) && mark.chars().all(|c| c.is_ascii_alphanumeric())
}

/// FAA N-numbers: `N`, a digit 1–9, up to four more digits, or fewer digits and up to two
/// letters at the end (never I or O), six characters at most.
fn is_united_states(tail: &str) -> bool {
    let Some(rest) = tail.strip_prefix('N') else {
        return false;
    };
    if rest.is_empty() || rest.len() > 5 || !rest.starts_with(|c: char| ('1'..='9').contains(&c)) {
        return false;
    }
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    let letters = &rest[digits..];
    letters.len() <= 2
        && letters
            .chars()
            .all(|c| c.is_ascii_uppercase() && c != 'I' && c != 'O')
        && (letters.is_empty() || digits <= 4)
}

/// Japan (`JA1234`, `JA123A`, `JA12AB`) and South Korea (`HL1234`) write no hyphen.
fn is_unhyphenated_asian(tail: &str) -> bool {
    if let Some(rest) = tail.strip_prefix("JA") {
        return rest.len() == 4
            && rest[..2].chars().all(|c| c.is_ascii_digit())
            && rest.chars().all(|c| c.is_ascii_alphanumeric());
    }
    tail.strip_prefix("HL")
        .is_some_and(|rest| rest.len() == 4 && rest.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_spaces() {
        assert_eq!(TailNumber::parse(" n123ab ").unwrap().as_str(), "N123AB");
        assert_eq!(TailNumber::parse("g-abcd").unwrap().as_str(), "G-ABCD");
        assert_eq!(TailNumber::parse("VH - ABC").unwrap().as_str(), "VH-ABC");
    }

    #[test]
    fn accepts_civil_registrations() {
        for tail in [
            "N123AB", "N1", "N12345", "N1234A", "G-ABCD", "D-IBCD", "VH-ABC", "C-GABC", "9H-ABC",
            "HB-JFA", "JA123A", "HL8001", "B-1234",
        ] {
            assert!(TailNumber::parse(tail).is_ok(), "{tail}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_registration() {
        for tail in [
            "!!",
            "",
            "N0123",
            "N123456",
            "N12345A",
            "N12I",
            "ABCDEFGHIJKLMNOPQRST",
            "G-",
            "-ABC",
            "G-ABCDEF",
            "12-345",
            "ABCDEF",
        ] {
            assert!(TailNumber::parse(tail).is_err(), "{tail}");
        }
    }
}
