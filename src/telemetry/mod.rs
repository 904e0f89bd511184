//! What an operator sees of a running server: logs (lines for people, or one JSON object per
//! line), traces exported over OTLP when the standard `OTEL_EXPORTER_OTLP_ENDPOINT` is set, and
//! Prometheus metrics (see [`metrics`]). Request ids tie the three together.

pub mod metrics;
mod request_id;

pub use request_id::{RequestId, request_id, with_request_id};

use opentelemetry::trace::TracerProvider;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::{Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, fmt};

use crate::config::{LogFormat, TelemetrySettings};

/// Logs at `info` and above, without SeaORM's span per statement (traces have those).
const DEFAULT_LOG_FILTER: &str = "info,sea_orm=warn";
/// The service name traces carry when `OTEL_SERVICE_NAME` does not say.
const SERVICE_NAME: &str = "contrail";

/// The installed pipelines; [`Telemetry::shutdown`] sends the spans still buffered.
pub struct Telemetry {
    tracer: Option<SdkTracerProvider>,
}

/// Installs logging, and tracing when an OTLP endpoint is configured. Call once, first.
pub fn init(settings: &TelemetrySettings) -> Result<Telemetry, String> {
    let (subscriber, telemetry) = subscriber(settings)?;
    subscriber
        .try_init()
        .map_err(|error| format!("cannot install logging: {error}"))?;
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    Ok(telemetry)
}

/// What [`init`] installs for the whole process, for a caller that scopes it to some threads
/// instead (the reads bench compares an instance with it against one without).
pub fn subscriber(
    settings: &TelemetrySettings,
) -> Result<(impl Subscriber + Send + Sync + 'static, Telemetry), String> {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    // Logs go to stderr: stdout carries only what a command prints (ids, keys, the SDL).
    let logs = match settings.log_format {
        LogFormat::Text => fmt::layer().with_writer(std::io::stderr).boxed(),
        LogFormat::Json => fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(true)
            .with_writer(std::io::stderr)
            .boxed(),
    };
    let tracer = tracer_provider()?;
    // Spans of the request, its GraphQL operation, its SQL statements, payment calls, webhooks
    // and jobs; never one per resolved field (too costly under load). Nothing is done on each
    // poll of an instrumented future: no busy/idle timings, and no OpenTelemetry context made
    // current (nothing here reads it: the parent is taken from the tracing span).
    let traces = tracer.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer(SERVICE_NAME))
            .with_tracked_inactivity(false)
            .with_context_activation(false)
            .with_threads(false)
            .with_filter(
                Targets::new()
                    .with_target("contrail", Level::INFO)
                    .with_target("sea_orm", Level::INFO),
            )
    });
    let subscriber = tracing_subscriber::registry()
        .with(logs.with_filter(filter))
        .with(traces)
        .with(metrics::ConnectionWaits.with_filter(metrics::connection_wait_events()));
    Ok((subscriber, Telemetry { tracer }))
}

impl Telemetry {
    /// Exports the spans still buffered (at most the exporter's timeout).
    pub fn shutdown(self) {
        if let Some(provider) = self.tracer
            && let Err(error) = provider.shutdown()
        {
            tracing::warn!(%error, "some traces could not be exported at shutdown");
        }
    }
}

/// The OTLP/HTTP exporter the `OTEL_*` variables describe (endpoint, protocol, headers,
/// sampler, service name), or `None` when no endpoint is set.
fn tracer_provider() -> Result<Option<SdkTracerProvider>, String> {
    let configured = [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()));
    if !configured {
        return Ok(None);
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()
        .map_err(|error| format!("cannot export traces (OTEL_EXPORTER_OTLP_*): {error}"))?;
    let mut resource = Resource::builder();
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name(SERVICE_NAME);
    }
    Ok(Some(
        SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource.build())
            .build(),
    ))
}
