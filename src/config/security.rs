//! Who may call from where, and how often: CORS origins, the proxies whose
//! `X-Forwarded-For` is believed, and the rate limits.

use std::num::NonZeroU32;

use clap::Args;
use ipnet::IpNet;

use super::TrustedDocuments;

#[derive(Debug, Clone, Args)]
pub struct SecuritySettings {
    /// Browser origins allowed to call the API cross-site (CORS), comma-separated, e.g.
    /// `https://shop.example,https://admin.shop.example`. Unset: same-origin only.
    #[arg(long, env = "CONTRAIL_CORS_ORIGINS", value_delimiter = ',', global = true, value_parser = parse_origin)]
    pub cors_origins: Vec<String>,
    /// Proxies (addresses or CIDR ranges, comma-separated) whose `X-Forwarded-For` names the
    /// client; from anyone else the header is ignored.
    #[arg(
        long,
        env = "CONTRAIL_TRUSTED_PROXIES",
        value_delimiter = ',',
        global = true
    )]
    pub trusted_proxies: Vec<IpNet>,
    /// Requests per second one API key may send, sustained (per instance).
    #[arg(long, env = "CONTRAIL_RATE_LIMIT_PER_KEY", default_value_t = RateLimits::default().per_key, global = true)]
    pub rate_limit_per_key: NonZeroU32,
    /// Requests per second one client address may send, sustained (per instance).
    #[arg(long, env = "CONTRAIL_RATE_LIMIT_PER_ADDRESS", default_value_t = RateLimits::default().per_address, global = true)]
    pub rate_limit_per_address: NonZeroU32,
    /// How many requests above the sustained rate a burst may hold: this many seconds' worth.
    #[arg(long, env = "CONTRAIL_RATE_LIMIT_BURST_SECS", default_value_t = RateLimits::default().burst_secs, global = true)]
    pub rate_limit_burst_secs: NonZeroU32,
    /// A trusted-documents manifest (JSON: document id → document). When set, only its
    /// documents run: for production clients built with persisted documents.
    #[arg(long, env = "CONTRAIL_TRUSTED_DOCUMENTS", global = true, value_parser = TrustedDocuments::load)]
    pub trusted_documents: Option<TrustedDocuments>,
}

/// Requests per second, per instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub per_key: NonZeroU32,
    pub per_address: NonZeroU32,
    pub burst_secs: NonZeroU32,
}

impl Default for RateLimits {
    /// Generous: far above what a checkout integration sends (a few requests per sale), low
    /// enough that one client cannot take an instance's capacity.
    fn default() -> Self {
        RateLimits {
            per_key: NonZeroU32::new(200).unwrap_or(NonZeroU32::MIN),
            per_address: NonZeroU32::new(200).unwrap_or(NonZeroU32::MIN),
            burst_secs: NonZeroU32::new(2).unwrap_or(NonZeroU32::MIN),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Security {
    pub cors_origins: Vec<String>,
    pub trusted_proxies: Vec<IpNet>,
    pub rate_limits: RateLimits,
    pub trusted_documents: Option<TrustedDocuments>,
}

impl SecuritySettings {
    pub(super) fn security(&self) -> Security {
        Security {
            cors_origins: self.cors_origins.clone(),
            trusted_proxies: self.trusted_proxies.clone(),
            rate_limits: RateLimits {
                per_key: self.rate_limit_per_key,
                per_address: self.rate_limit_per_address,
                burst_secs: self.rate_limit_burst_secs,
            },
            trusted_documents: self.trusted_documents.clone(),
        }
    }
}

/// An origin as browsers send it: scheme, host and optional port, nothing else.
fn parse_origin(origin: &str) -> Result<String, String> {
    let origin = origin.trim();
    let url = url::Url::parse(origin).map_err(|error| format!("{origin}: {error}"))?;
    let is_bare = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.path() == "/"
        && !origin.ends_with('/')
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty();
    if !is_bare {
        return Err(format!(
            "{origin}: expected an origin such as https://shop.example (no path, no wildcard)"
        ));
    }
    Ok(origin.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        assert!(parse_origin("https://shop.example").is_ok());
        assert!(parse_origin("http://localhost:3000").is_ok());
        for bad in [
            "*",
            "shop.example",
            "https://shop.example/",
            "https://shop.example/app",
            "ftp://x.example",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }
}
