//! What every response carries and every client is held to: security headers, CORS for the
//! configured origins, and rate limits per API key and per client address.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, InsufficientCapacity, NotUntil, Quota};
use ipnet::IpNet;
use sha2::{Digest, Sha256};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

use super::media::Media;
use crate::config::{RateLimits, Security};

/// A response that sets none keeps to itself: no scripts, styles or frames from anywhere.
/// Pages that need their own assets set a wider policy.
const DEFAULT_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";
/// How often idle rate-limit entries are forgotten.
const FORGET_IDLE_EVERY: Duration = Duration::from_secs(60);

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// The security headers, each unless the handler set its own.
pub fn security_headers() -> [SetResponseHeaderLayer<HeaderValue>; 4] {
    [
        SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DEFAULT_POLICY),
        ),
        SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ),
    ]
}

/// Cross-origin calls from the configured origins only; API keys travel in a header, so
/// credentials (cookies) are never allowed.
pub fn cors(security: &Security) -> CorsLayer {
    let origins = security
        .cors_origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok());
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::PUT])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            IDEMPOTENCY_KEY,
        ])
        .expose_headers([header::RETRY_AFTER, IDEMPOTENT_REPLAYED])
        .max_age(Duration::from_secs(600))
}

/// Rate limits per API key and per client address, counted on this instance.
#[derive(Clone)]
pub struct RateLimiter {
    per_key: Arc<DefaultKeyedRateLimiter<[u8; 32]>>,
    per_address: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    trusted_proxies: Arc<[IpNet]>,
    /// How long an emptied burst takes to fill again.
    refill: Duration,
}

impl RateLimiter {
    pub fn new(security: &Security) -> RateLimiter {
        let RateLimits {
            per_key,
            per_address,
            burst_secs,
        } = security.rate_limits;
        let quota = |rate: std::num::NonZeroU32| {
            Quota::per_second(rate).allow_burst(rate.saturating_mul(burst_secs))
        };
        let limiter = RateLimiter {
            per_key: Arc::new(governor::RateLimiter::keyed(quota(per_key))),
            per_address: Arc::new(governor::RateLimiter::keyed(quota(per_address))),
            trusted_proxies: security.trusted_proxies.clone().into(),
            refill: Duration::from_secs(burst_secs.get().into()),
        };
        // Forget clients that went quiet, so the tables stay as small as the active set.
        let forgetting = limiter.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(FORGET_IDLE_EVERY);
            loop {
                every.tick().await;
                forgetting.per_key.retain_recent();
                forgetting.per_address.retain_recent();
                forgetting.per_key.shrink_to_fit();
                forgetting.per_address.shrink_to_fit();
            }
        });
        limiter
    }

    /// The client's address: the peer, or, behind a trusted proxy, the last address in
    /// `X-Forwarded-For` that is not itself a trusted proxy (the one the proxy saw).
    fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let trusted =
            |address: &IpAddr| self.trusted_proxies.iter().any(|net| net.contains(address));
        if !trusted(&peer) {
            return peer;
        }
        let forwarded = headers
            .get_all(HeaderName::from_static("x-forwarded-for"))
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|address| address.trim().parse::<IpAddr>().ok())
            .collect::<Vec<_>>();
        forwarded
            .into_iter()
            .rev()
            .find(|address| !trusted(address))
            .unwrap_or(peer)
    }

    /// How long the caller must wait, if `requests` more are over a limit.
    pub fn wait_n(
        &self,
        peer: IpAddr,
        headers: &HeaderMap,
        requests: NonZeroU32,
    ) -> Option<Duration> {
        // The limiter's own clock: making one reads the CPU's features (a trap in a VM).
        let now = self.per_address.clock().now();
        // More than a burst can never pass: wait as long as a full burst takes to refill.
        let wait = |checked: Result<Result<(), NotUntil<_>>, InsufficientCapacity>| match checked {
            Ok(Ok(())) => None,
            Ok(Err(not_until)) => Some(not_until.wait_time_from(now)),
            Err(_) => Some(self.refill),
        };
        let address = self.client(peer, headers);
        if let Some(wait) = wait(self.per_address.check_key_n(&address, requests)) {
            return Some(wait);
        }
        let key = headers.get(header::AUTHORIZATION)?;
        // The key's digest, so secrets are not kept in the table.
        let digest: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        wait(self.per_key.check_key_n(&digest, requests))
    }
}

/// How long the request must wait, if it is over a limit.
fn over_limit(limiter: &RateLimiter, request: &Request) -> Option<Duration> {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip())?;
    limiter.wait_n(peer, request.headers(), NonZeroU32::MIN)
}

/// Refuses a request over a limit with 429, `Retry-After` and the code `RATE_LIMITED`.
pub async fn limit_rate(
    State(limiter): State<RateLimiter>,
    request: Request,
    next: Next,
) -> Response {
    let Some(wait) = over_limit(&limiter, &request) else {
        return next.run(request).await;
    };
    let media = Media::negotiate(request.headers()).unwrap_or(Media::Json);
    too_many_requests(media, wait)
}

/// [`limit_rate`] for the REST routes, counted against the same limits, refusing in their
/// error shape.
pub async fn limit_rate_rest(
    State(limiter): State<RateLimiter>,
    request: Request,
    next: Next,
) -> Response {
    match over_limit(&limiter, &request) {
        Some(wait) => super::rest::wire::too_many_requests(wait),
        None => next.run(request).await,
    }
}

/// The whole seconds of `Retry-After` (at least 1) for a wait.
pub fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// 429 with `Retry-After` and the code `RATE_LIMITED`.
pub fn too_many_requests(media: Media, wait: Duration) -> Response {
    let seconds = retry_after_secs(wait);
    let mut response = media.refusal(
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITED",
        &format!("too many requests; retry in {seconds} s"),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(trusted: &[&str]) -> RateLimiter {
        let security = Security {
            trusted_proxies: trusted.iter().map(|net| net.parse().unwrap()).collect(),
            ..Security::default()
        };
        RateLimiter::new(&security)
    }

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", value.parse().unwrap());
        headers
    }

    #[tokio::test]
    async fn forwarded_addresses_are_believed_from_trusted_proxies_only() {
        let limiter = limiter(&["10.0.0.0/8"]);
        let proxy: IpAddr = "10.1.2.3".parse().unwrap();
        let stranger: IpAddr = "203.0.113.9".parse().unwrap();
        let headers = forwarded("198.51.100.7, 10.4.4.4");
        assert_eq!(
            limiter.client(proxy, &headers),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            limiter.client(stranger, &headers),
            stranger,
            "spoofed from outside"
        );
        // A client cannot hide behind an address it prepends itself.
        let spoofed = forwarded("1.1.1.1, 198.51.100.7");
        assert_eq!(
            limiter.client(proxy, &spoofed),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(limiter.client(proxy, &HeaderMap::new()), proxy);
    }
}
