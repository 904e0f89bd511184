//! The id of each HTTP request: taken from the client's `x-request-id` when it is a sane one,
//! else made up; sent back in the response, in every GraphQL error and in every log line of
//! the request, so a customer's error report is enough to find it.

use std::fmt;
use std::future::Future;

/// The most a client's id may be; longer ones are replaced (they would bloat every log line).
const MAX_LENGTH: usize = 128;
/// Random bytes of a generated id.
const GENERATED_BYTES: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    /// The client's id when it is 1 to 128 visible ASCII characters of `[A-Za-z0-9._:-]`
    /// (what tracing systems and load balancers send); otherwise a fresh one.
    pub fn from_client(sent: Option<&str>) -> Self {
        match sent {
            Some(id) if is_valid(id) => RequestId(id.to_owned()),
            _ => Self::generate(),
        }
    }

    fn generate() -> Self {
        let mut bytes = [0u8; GENERATED_BYTES];
        // An id only has to be unique enough to find a request: a time-based one will do if
        // the system's randomness fails.
        if getrandom::fill(&mut bytes).is_err() {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos();
            bytes = nanos.to_be_bytes();
        }
        RequestId(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_valid(id: &str) -> bool {
    (1..=MAX_LENGTH).contains(&id.len())
        && id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b':' | b'-'))
}

tokio::task_local! {
    static CURRENT: RequestId;
}

/// Runs `future` as the request `id`.
pub async fn with_request_id<F: Future>(id: RequestId, future: F) -> F::Output {
    CURRENT.scope(id, future).await
}

/// The id of the request being served, if any.
pub fn request_id() -> Option<RequestId> {
    CURRENT.try_with(Clone::clone).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_sane_client_ids_and_replaces_others() {
        let kept = RequestId::from_client(Some("req-2026.12:abc_1"));
        assert_eq!(kept.as_str(), "req-2026.12:abc_1");
        for bad in ["", "has space", "ünïcode", "a\nb", &"x".repeat(129)] {
            let replaced = RequestId::from_client(Some(bad));
            assert_ne!(replaced.as_str(), bad);
            assert_eq!(replaced.as_str().len(), 2 * GENERATED_BYTES);
        }
        assert_ne!(RequestId::from_client(None), RequestId::from_client(None));
    }
}
