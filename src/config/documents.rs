//! The trusted-documents manifest: the only operations a production server may run, as
//! relay-compiler (`persistConfig`) and GraphQL Code Generator's client preset
//! (`persistedDocuments`) write it: a JSON object of document ids to documents.

use std::collections::HashMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedDocuments {
    by_id: Arc<HashMap<String, Arc<str>>>,
    by_hash: Arc<HashMap<String, Arc<str>>>,
}

impl TrustedDocuments {
    /// Reads the manifest at `path`; the message names what is wrong with it.
    pub fn load(path: &str) -> Result<TrustedDocuments, String> {
        let text = std::fs::read_to_string(path).map_err(|error| format!("{path}: {error}"))?;
        let manifest: HashMap<String, String> = serde_json::from_str(&text).map_err(|error| {
            format!("{path}: expected a JSON object of document ids to documents: {error}")
        })?;
        if manifest.is_empty() {
            return Err(format!("{path}: the manifest holds no document"));
        }
        let mut by_id = HashMap::new();
        let mut by_hash = HashMap::new();
        for (id, document) in manifest {
            if document.trim().is_empty() {
                return Err(format!("{path}: document {id:?} is empty"));
            }
            let document: Arc<str> = document.into();
            by_hash.insert(sha256_hex(&document), document.clone());
            by_id.insert(id, document);
        }
        Ok(TrustedDocuments {
            by_id: Arc::new(by_id),
            by_hash: Arc::new(by_hash),
        })
    }

    /// The document named by `id` (its manifest key, with or without a `sha256:` prefix).
    pub fn by_id(&self, id: &str) -> Option<Arc<str>> {
        self.by_id
            .get(id)
            .or_else(|| {
                id.strip_prefix("sha256:")
                    .and_then(|hash| self.by_hash.get(hash))
            })
            .cloned()
    }

    /// The document whose SHA-256 is `hash` (hex).
    pub fn by_hash(&self, hash: &str) -> Option<Arc<str>> {
        self.by_hash.get(&hash.to_ascii_lowercase()).cloned()
    }

    /// Every document with its id.
    pub fn documents(&self) -> impl Iterator<Item = (&str, &str)> {
        self.by_id
            .iter()
            .map(|(id, document)| (id.as_str(), document.as_ref()))
    }

    pub fn contains(&self, document: &str) -> bool {
        self.by_hash.contains_key(&sha256_hex(document))
    }
}

/// A document's SHA-256 in lowercase hex, as persisted-query clients compute it.
pub fn sha256_hex(document: &str) -> String {
    Sha256::digest(document.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(text: &str) -> Result<TrustedDocuments, String> {
        let path = std::env::temp_dir().join(format!(
            "manifest_{}_{}.json",
            std::process::id(),
            sha256_hex(text)
        ));
        std::fs::write(&path, text).unwrap();
        let loaded = TrustedDocuments::load(path.to_str().unwrap());
        let _ = std::fs::remove_file(path);
        loaded
    }

    #[test]
    fn documents_are_found_by_id_and_by_hash() {
        let documents = manifest(r#"{ "abc": "{ fleet { totalCount } }" }"#).unwrap();
        let hash = sha256_hex("{ fleet { totalCount } }");
        assert_eq!(
            documents.by_id("abc").as_deref(),
            Some("{ fleet { totalCount } }")
        );
        assert_eq!(
            documents.by_hash(&hash).as_deref(),
            Some("{ fleet { totalCount } }")
        );
        assert!(documents.by_id(&format!("sha256:{hash}")).is_some());
        assert!(documents.contains("{ fleet { totalCount } }"));
        assert!(!documents.contains("{ fleet { edges { cursor } } }"));
    }

    #[test]
    fn a_malformed_manifest_says_what_is_wrong() {
        assert!(manifest("[]").unwrap_err().contains("JSON object"));
        assert!(manifest("{}").unwrap_err().contains("no document"));
        assert!(
            manifest(r#"{ "x": " " }"#)
                .unwrap_err()
                .contains("\"x\" is empty")
        );
    }
}
