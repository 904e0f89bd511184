//! Bounds on what one client request may cost, and on the HTTP exchange itself.

use std::time::Duration;

use clap::Args;

/// Bounds on what one client request may cost (SPEC §11); each refusal has its own code.
#[derive(Debug, Clone, Args)]
pub struct LimitSettings {
    /// Largest request body accepted on /graphql and the REST routes, in bytes
    /// (`PAYLOAD_TOO_LARGE`).
    #[arg(
        long,
        env = "CONTRAIL_MAX_BODY_BYTES",
        default_value_t = 1_048_576,
        global = true
    )]
    pub max_body_bytes: usize,
    /// Seconds a client may take to send a request's headers (the connection is then closed).
    #[arg(long, env = "CONTRAIL_HEADER_TIMEOUT_SECS", default_value_t = 10, global = true, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub header_timeout_secs: u64,
    /// Seconds a client may take to send a request's body (`REQUEST_TIMEOUT`, 408).
    #[arg(long, env = "CONTRAIL_BODY_TIMEOUT_SECS", default_value_t = 10, global = true, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub body_timeout_secs: u64,
    /// Seconds a request may take in all before it is answered `REQUEST_TIMEOUT` (503).
    #[arg(long, env = "CONTRAIL_REQUEST_TIMEOUT_SECS", default_value_t = 30, global = true, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout_secs: u64,
    /// Seconds in-flight requests may take to finish after SIGTERM.
    #[arg(
        long,
        env = "CONTRAIL_SHUTDOWN_GRACE_SECS",
        default_value_t = 20,
        global = true
    )]
    pub shutdown_grace_secs: u64,
    /// Operations one batched request (a JSON array) may hold (`BATCH_TOO_LARGE`).
    #[arg(long, env = "CONTRAIL_MAX_BATCH", default_value_t = HttpLimits::default().max_batch, global = true, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_batch: u32,
    /// Seconds a WebSocket client has to send `connection_init` (then closed with 4408).
    #[arg(long, env = "CONTRAIL_WS_INIT_TIMEOUT_SECS", default_value_t = 10, global = true, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub ws_init_timeout_secs: u64,
    /// Seconds between the pings that keep an idle WebSocket open through proxies.
    #[arg(long, env = "CONTRAIL_WS_PING_SECS", default_value_t = 15, global = true, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub ws_ping_secs: u64,
    /// Operations one WebSocket may run at once (more are refused, `TOO_MANY_SUBSCRIPTIONS`).
    #[arg(long, env = "CONTRAIL_WS_MAX_SUBSCRIPTIONS", default_value_t = HttpLimits::default().ws_max_subscriptions, global = true, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub ws_max_subscriptions: u32,
    /// WebSockets one organization may hold open on an instance, its customers' browsers
    /// included (more are closed with 1013, "try again later").
    #[arg(long, env = "CONTRAIL_WS_MAX_CONNECTIONS_PER_ORG", default_value_t = HttpLimits::default().ws_max_connections_per_org, global = true, value_parser = clap::value_parser!(u32).range(1..))]
    pub ws_max_connections_per_org: u32,
    /// Lexical tokens in one GraphQL document (`TOO_MANY_TOKENS`).
    #[arg(long, env = "CONTRAIL_MAX_QUERY_TOKENS", default_value_t = QueryLimits::default().max_tokens, global = true)]
    pub max_query_tokens: usize,
    /// Nesting of brackets in a document, values included (`QUERY_TOO_DEEP`).
    #[arg(long, env = "CONTRAIL_MAX_QUERY_NESTING", default_value_t = QueryLimits::default().max_nesting, global = true, value_parser = parse_nesting)]
    pub max_query_nesting: usize,
    /// Nesting of fields in an operation, introspection apart (`QUERY_TOO_DEEP`).
    #[arg(long, env = "CONTRAIL_MAX_QUERY_DEPTH", default_value_t = QueryLimits::default().max_depth, global = true)]
    pub max_query_depth: usize,
    /// Complexity of an operation: fields, times the page size of each connection they are
    /// in (`QUERY_TOO_COMPLEX`).
    #[arg(long, env = "CONTRAIL_MAX_QUERY_COMPLEXITY", default_value_t = QueryLimits::default().max_complexity, global = true)]
    pub max_query_complexity: u64,
    /// Aliases in an operation (`TOO_MANY_ALIASES`).
    #[arg(long, env = "CONTRAIL_MAX_ALIASES", default_value_t = QueryLimits::default().max_aliases, global = true)]
    pub max_aliases: u64,
    /// Fields at an operation's root (`TOO_MANY_ROOT_FIELDS`).
    #[arg(long, env = "CONTRAIL_MAX_ROOT_FIELDS", default_value_t = QueryLimits::default().max_root_fields, global = true)]
    pub max_root_fields: u64,
    /// Directives on one field (`TOO_MANY_DIRECTIVES`).
    #[arg(long, env = "CONTRAIL_MAX_DIRECTIVES", default_value_t = QueryLimits::default().max_directives, global = true)]
    pub max_directives: usize,
    /// Fragment definitions in a document (`TOO_MANY_FRAGMENTS`).
    #[arg(long, env = "CONTRAIL_MAX_FRAGMENTS", default_value_t = QueryLimits::default().max_fragments, global = true)]
    pub max_fragments: usize,
}

/// The limits a GraphQL document must stay within; each has its own `extensions.code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryLimits {
    /// Lexical tokens in the document (`TOO_MANY_TOKENS`).
    pub max_tokens: usize,
    /// Nesting of `{`, `[` and `(` in the text, values included (`QUERY_TOO_DEEP`).
    pub max_nesting: usize,
    /// Nested fields, introspection excluded (`QUERY_TOO_DEEP`).
    pub max_depth: usize,
    /// Every field counts 1; a connection's selection counts times its page size (`first` or
    /// `last`, the default page size when absent), a plain list's times a fixed factor
    /// (`QUERY_TOO_COMPLEX`).
    pub max_complexity: u64,
    /// Aliased fields in the operation, fragments expanded (`TOO_MANY_ALIASES`).
    pub max_aliases: u64,
    /// Fields at the operation's root (`TOO_MANY_ROOT_FIELDS`).
    pub max_root_fields: u64,
    /// Directives on one field, fragment spread or inline fragment (`TOO_MANY_DIRECTIVES`).
    pub max_directives: usize,
    /// Fragment definitions in the document (`TOO_MANY_FRAGMENTS`).
    pub max_fragments: usize,
}

/// Generous for any real client (the standard introspection query is 350 tokens; a page of
/// 100 emissions with their aircraft, model and provisions is complexity 4,000), far below
/// what hurts: validation and execution stay within milliseconds.
impl Default for QueryLimits {
    fn default() -> Self {
        QueryLimits {
            max_tokens: 5_000,
            max_nesting: 64,
            max_depth: 12,
            max_complexity: 10_000,
            max_aliases: 50,
            max_root_fields: 50,
            max_directives: 5,
            max_fragments: 100,
        }
    }
}

/// Bounds on the HTTP exchange itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    pub max_body_bytes: usize,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub request_timeout: Duration,
    pub shutdown_grace: Duration,
    pub max_batch: u32,
    pub ws_init_timeout: Duration,
    pub ws_ping_interval: Duration,
    pub ws_max_subscriptions: u32,
    pub ws_max_connections_per_org: u32,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            max_body_bytes: 1_048_576,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(20),
            max_batch: 10,
            ws_init_timeout: Duration::from_secs(10),
            ws_ping_interval: Duration::from_secs(15),
            ws_max_subscriptions: 100,
            ws_max_connections_per_org: 20_000,
        }
    }
}

impl LimitSettings {
    pub(super) fn query_limits(&self) -> QueryLimits {
        QueryLimits {
            max_tokens: self.max_query_tokens,
            max_nesting: self.max_query_nesting,
            max_depth: self.max_query_depth,
            max_complexity: self.max_query_complexity,
            max_aliases: self.max_aliases,
            max_root_fields: self.max_root_fields,
            max_directives: self.max_directives,
            max_fragments: self.max_fragments,
        }
    }

    pub(super) fn http_limits(&self) -> HttpLimits {
        HttpLimits {
            max_body_bytes: self.max_body_bytes,
            header_timeout: Duration::from_secs(self.header_timeout_secs),
            body_timeout: Duration::from_secs(self.body_timeout_secs),
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
            max_batch: self.max_batch,
            ws_init_timeout: Duration::from_secs(self.ws_init_timeout_secs),
            ws_ping_interval: Duration::from_secs(self.ws_ping_secs),
            ws_max_subscriptions: self.ws_max_subscriptions,
            ws_max_connections_per_org: self.ws_max_connections_per_org,
        }
    }
}

/// Beyond a few hundred levels the parser's recursion would risk the stack.
fn parse_nesting(value: &str) -> Result<usize, String> {
    value
        .parse()
        .ok()
        .filter(|nesting| (1..=256).contains(nesting))
        .ok_or_else(|| "expected a number from 1 to 256".into())
}
