//! What an operator sees of a running server: the log format and where metrics are served.
//! Traces follow the standard `OTEL_*` variables, read by the OpenTelemetry SDK itself.

use std::net::SocketAddr;

use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Lines for people.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct TelemetrySettings {
    /// `text` for people, `json` for one JSON object per line.
    #[arg(
        long,
        env = "CONTRAIL_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,
    /// Address of the Prometheus `/metrics` listener, apart from the API so it can stay inside
    /// the operator's network (unset: no metrics).
    #[arg(long, env = "CONTRAIL_METRICS_LISTEN", global = true)]
    pub metrics_listen: Option<SocketAddr>,
}
