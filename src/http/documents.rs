//! Documents named instead of sent: Apollo's automatic persisted queries (a client sends a
//! document's SHA-256 first, and the document only when this server does not know it yet),
//! the `documentId` of the GraphQL-over-HTTP persisted-documents proposal, and, when a
//! trusted-documents manifest is configured, nothing but its documents.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::Value;
use lru::LruCache;

use crate::config::{TrustedDocuments, sha256_hex};

/// Refuses a manifest holding a document that does not parse, naming it: better at start than
/// at the first request for it.
pub fn check_manifest(trusted: &TrustedDocuments) -> Result<(), String> {
    for (id, document) in trusted.documents() {
        if let Err(error) = async_graphql::parser::parse_query(document) {
            return Err(format!(
                "CONTRAIL_TRUSTED_DOCUMENTS: document {id:?} does not parse: {error}"
            ));
        }
    }
    Ok(())
}

/// Persisted queries kept at most, and their total size: a client cannot grow the store.
const MAX_ENTRIES: usize = 10_000;
const MAX_BYTES: usize = 16 * 1024 * 1024;

/// Why a named document cannot run; each has its own code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Apollo's clients then send the document with its hash.
    NotFound,
    NotSupported,
    HashMismatch,
    UnknownDocument,
    Untrusted,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::NotFound => "PERSISTED_QUERY_NOT_FOUND",
            Refusal::NotSupported => "PERSISTED_QUERY_NOT_SUPPORTED",
            Refusal::HashMismatch => "PERSISTED_QUERY_HASH_MISMATCH",
            Refusal::UnknownDocument => "PERSISTED_DOCUMENT_NOT_FOUND",
            Refusal::Untrusted => "TRUSTED_DOCUMENT_REQUIRED",
        }
    }

    /// The refusal as a GraphQL result: a request error, no `data`.
    pub fn response(self) -> async_graphql::Response {
        async_graphql::Response::from_errors(vec![crate::api::errors::request_error(
            self.code(),
            self.message(),
            None,
        )])
    }

    /// The message, as Apollo's clients match it where they have one.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::NotFound => "PersistedQueryNotFound",
            Refusal::NotSupported => "PersistedQueryNotSupported: only version 1 (sha256Hash) is",
            Refusal::HashMismatch => {
                "the persisted query's sha256Hash is not the SHA-256 of its query"
            }
            Refusal::UnknownDocument => "no document has this documentId",
            Refusal::Untrusted => {
                "only trusted documents run on this server: send a documentId of its manifest"
            }
        }
    }
}

/// The automatic-persisted-query store: an LRU bounded in entries and bytes.
pub struct PersistedQueries {
    store: Mutex<Store>,
}

struct Store {
    entries: LruCache<String, Arc<str>>,
    bytes: usize,
    max_bytes: usize,
}

impl Default for PersistedQueries {
    fn default() -> Self {
        PersistedQueries::with_bounds(MAX_ENTRIES, MAX_BYTES)
    }
}

impl PersistedQueries {
    fn with_bounds(entries: usize, max_bytes: usize) -> Self {
        PersistedQueries {
            store: Mutex::new(Store {
                entries: LruCache::new(NonZeroUsize::new(entries).unwrap_or(NonZeroUsize::MIN)),
                bytes: 0,
                max_bytes,
            }),
        }
    }

    fn get(&self, hash: &str) -> Option<Arc<str>> {
        self.lock().entries.get(hash).cloned()
    }

    fn insert(&self, hash: String, document: &str) {
        let mut store = self.lock();
        if document.len() > store.max_bytes || store.entries.contains(&hash) {
            return;
        }
        store.bytes += document.len();
        if let Some((_, evicted)) = store.entries.push(hash, document.into()) {
            store.bytes -= evicted.len();
        }
        while store.bytes > store.max_bytes {
            match store.entries.pop_lru() {
                Some((_, evicted)) => store.bytes -= evicted.len(),
                None => break,
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Puts the document a request names into it (and, for a persisted query sent with its
    /// document, keeps the document for next time). With a `trusted` manifest, only its
    /// documents run.
    pub fn resolve(
        &self,
        trusted: Option<&TrustedDocuments>,
        request: &mut async_graphql::Request,
        document_id: Option<&str>,
    ) -> Result<(), Refusal> {
        if let Some(id) = document_id {
            let document = match trusted {
                Some(trusted) => trusted.by_id(id),
                None => id.strip_prefix("sha256:").and_then(|hash| self.get(hash)),
            };
            request.query = document.ok_or(Refusal::UnknownDocument)?.to_string();
            return Ok(());
        }
        // Taken out, so that a request resolved twice is checked as the document it now holds.
        if let Some(persisted) = request.extensions.remove("persistedQuery") {
            let Value::Object(persisted) = persisted else {
                return Err(Refusal::NotSupported);
            };
            let version = persisted.get("version");
            let hash = match (version, persisted.get("sha256Hash")) {
                (Some(Value::Number(version)), Some(Value::String(hash)))
                    if version.as_u64() == Some(1) =>
                {
                    hash.to_ascii_lowercase()
                }
                _ => return Err(Refusal::NotSupported),
            };
            if request.query.is_empty() {
                let document = match trusted {
                    Some(trusted) => trusted.by_hash(&hash),
                    None => self.get(&hash),
                };
                request.query = document.ok_or(Refusal::NotFound)?.to_string();
                return Ok(());
            }
            if sha256_hex(&request.query) != hash {
                return Err(Refusal::HashMismatch);
            }
            match trusted {
                Some(trusted) if !trusted.contains(&request.query) => {
                    return Err(Refusal::Untrusted);
                }
                Some(_) => {}
                None => self.insert(hash, &request.query),
            }
            return Ok(());
        }
        match trusted {
            Some(trusted) if !trusted.contains(&request.query) => Err(Refusal::Untrusted),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn persisted(hash: &str, query: &str) -> async_graphql::Request {
        let mut request = async_graphql::Request::new(query);
        let mut extension = async_graphql::indexmap::IndexMap::new();
        extension.insert(async_graphql::Name::new("version"), Value::from(1));
        extension.insert(async_graphql::Name::new("sha256Hash"), Value::from(hash));
        request
            .extensions
            .insert("persistedQuery".into(), Value::Object(extension));
        request
    }

    #[test]
    fn a_hash_runs_once_its_document_was_sent() {
        let store = PersistedQueries::default();
        let document = "{ fleet { totalCount } }";
        let hash = sha256_hex(document);
        assert_eq!(
            store.resolve(None, &mut persisted(&hash, ""), None),
            Err(Refusal::NotFound)
        );
        assert_eq!(
            store.resolve(None, &mut persisted(&sha256_hex("{ x }"), document), None),
            Err(Refusal::HashMismatch)
        );
        assert_eq!(
            store.resolve(None, &mut persisted(&hash, document), None),
            Ok(())
        );
        let mut warm = persisted(&hash, "");
        assert_eq!(store.resolve(None, &mut warm, None), Ok(()));
        assert_eq!(warm.query, document);
    }

    #[test]
    fn the_store_stays_within_its_bytes() {
        let store = PersistedQueries::with_bounds(100, 64);
        for i in 0..10 {
            let document = format!("{{ fleet {{ totalCount }} }} # {i:020}");
            store.insert(sha256_hex(&document), &document);
        }
        let held = store.lock();
        assert!(held.bytes <= 64, "{} bytes", held.bytes);
        assert_eq!(held.entries.len(), 1, "the most recent one");
    }
}
