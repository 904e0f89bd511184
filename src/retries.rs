//! Safe retries by business reference. A client's own reference for what it creates (a booking
//! number) is unique per organization; the request that used it is remembered by its
//! fingerprint. Sending the same request again answers the original (nothing is written);
//! sending another request with the same reference is a conflict naming the original.

use std::fmt::Write;

use sha2::{Digest, Sha256};

/// The client's own identifier of what it creates, unique within the organization.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExternalReference(String);

impl ExternalReference {
    pub fn parse(input: &str) -> Result<Self, String> {
        let reference = crate::units::parse_text(input, 200, false)?;
        if reference.is_empty() {
            return Err("must not be empty".into());
        }
        Ok(ExternalReference(reference))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A hash of a request's canonical form: equal for the same request, whatever the order or
/// spelling the client used for it (the parts are the parsed, normalised values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The fingerprint of named parts, in a fixed order.
    pub fn of(parts: &[(&str, &dyn std::fmt::Debug)]) -> Self {
        let mut canonical = String::new();
        for (name, value) in parts {
            // Debug of the parsed values is unambiguous: strings are quoted and escaped.
            let _ = write!(canonical, "{name}={value:?};");
        }
        let digest = Sha256::digest(canonical.as_bytes());
        Fingerprint(digest.iter().map(|byte| format!("{byte:02x}")).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A reference and the request it comes with.
#[derive(Debug, Clone)]
pub struct Referenced {
    pub reference: ExternalReference,
    pub fingerprint: Fingerprint,
}

impl Referenced {
    /// The key that serializes requests with this reference in one organization.
    pub fn lock_key(&self, scope: &str, organization: crate::ids::OrganizationId) -> String {
        format!("{scope}:{}:{}", organization.0, self.reference.as_str())
    }
}

/// What a create with a reference did.
#[derive(Debug, Clone)]
pub enum Created<T> {
    New(T),
    /// The same request was made before: this is its result, and nothing was written.
    Replayed(T),
}

impl<T> Created<T> {
    pub fn replayed(&self) -> bool {
        matches!(self, Created::Replayed(_))
    }

    pub fn into_inner(self) -> T {
        match self {
            Created::New(value) | Created::Replayed(value) => value,
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Created<U> {
        match self {
            Created::New(value) => Created::New(f(value)),
            Created::Replayed(value) => Created::Replayed(f(value)),
        }
    }
}

/// Whether an existing record with the reference was made by the same request.
pub fn same_request(stored: Option<&str>, fingerprint: &Fingerprint) -> bool {
    stored == Some(fingerprint.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_tell_requests_apart() {
        let a = Fingerprint::of(&[("tonnes", &1_i64), ("name", &"Jane")]);
        let b = Fingerprint::of(&[("tonnes", &1_i64), ("name", &"Jane")]);
        let c = Fingerprint::of(&[("tonnes", &2_i64), ("name", &"Jane")]);
        // A value cannot smuggle a separator into another part.
        let d = Fingerprint::of(&[("tonnes", &"1;name=\"Jane\"")]);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert_eq!(a.as_str().len(), 64);
    }
}
