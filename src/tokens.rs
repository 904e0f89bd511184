//! Unguessable tokens: API keys, public ids of pages, client secrets.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{Error, Result};

/// `bytes` random bytes from the operating system, URL-safe base64 without padding.
pub fn random_token(bytes: usize) -> Result<String> {
    let mut random = vec![0_u8; bytes];
    getrandom::fill(&mut random).map_err(|error| Error::internal(std::io::Error::other(error)))?;
    Ok(URL_SAFE_NO_PAD.encode(random))
}
