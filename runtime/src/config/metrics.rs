//! Where the metrics of the annotations go (`OTEL_METRICS_EXPORTER`, the OTLP
//! metrics variables, `OTEL_METRIC_EXPORT_INTERVAL`) and which functions record
//! `otel_traced.function.duration` (`OTEL_TRACED_FUNCTION_METRICS`).

use super::otlp::{self, METRICS};
use super::vars::Vars;
use super::{Destination, OtlpSettings};
use crate::console::ConsoleOutput;
use crate::init::InitError;
use std::time::Duration;

/// Where the resolved configuration sends metrics.
#[derive(Debug, PartialEq)]
pub(crate) enum MetricsDestination {
    /// No metrics pipeline: nothing is measured.
    None,
    /// A summary on the console when the guard shuts down.
    Console(ConsoleOutput),
    Otlp(OtlpSettings),
    /// The exporter given to [`super::Config::metric_exporter`].
    Custom,
}

/// The metrics settings, every variable read and checked.
#[derive(Debug, PartialEq)]
pub(crate) struct MetricsSettings {
    pub destination: MetricsDestination,
    /// Between two exports (`OTEL_METRIC_EXPORT_INTERVAL`, the specification's 60 s).
    pub interval: Duration,
    /// Time one OTLP export may take at most, over the OTLP timeout
    /// (`OTEL_METRIC_EXPORT_TIMEOUT`, the specification's 30 s).
    pub export_timeout: Duration,
    /// Every annotated function records its duration, not only `#[traced(metrics)]`.
    pub all_functions: bool,
    /// What OTLP exports carry (`OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`).
    pub temporality: Temporality,
    /// How OTLP exports aggregate histograms
    /// (`OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION`).
    pub histograms: HistogramAggregation,
}

/// The histograms' aggregation OTLP exports carry, as the specification names
/// the choices: `explicit_bucket_histogram` (the default: the conventions'
/// boundaries for durations in seconds), `base2_exponential_bucket_histogram`
/// (buckets of the values' own scale, which some backends ask for).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum HistogramAggregation {
    #[default]
    ExplicitBuckets,
    Base2Exponential,
}

/// The aggregation temporality OTLP exports ask for, as the specification names
/// the choices: `cumulative` (the default, what Prometheus-style backends want),
/// `delta` (what some vendors want), `lowmemory` (delta for counters and
/// histograms: what ours are).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Temporality {
    #[default]
    Cumulative,
    Delta,
    LowMemory,
}

/// Metrics go where `OTEL_METRICS_EXPORTER` says (`otlp`, `console` or `none`);
/// unset, over OTLP when an endpoint variable applies to them (the general one
/// too: spans turned off or printed do not take a collector's metrics away), else
/// they follow the spans: over OTLP to the same collector (none beside an HTTP
/// endpoint of a path of its own, [`otlp::has_room_beside`]), a summary on the
/// console beside the console waterfall, none when spans go nowhere or to an
/// exporter of the application's.
/// A build without the `metrics` feature measures nothing: metrics asked for by
/// name there are a [`InitError::MissingFeature`], as a left-out exporter of spans
/// is; following the spans, they go nowhere.
pub(crate) fn settings(
    vars: &Vars,
    traces: &Destination,
    all_functions: Option<bool>,
    custom: bool,
    console: Option<ConsoleOutput>,
) -> Result<MetricsSettings, InitError> {
    const ACCEPTED: &str = "otlp, console or none";
    let kind = match vars.get("OTEL_METRICS_EXPORTER") {
        _ if custom => Kind::Custom,
        Some(variable) => variable.exporter_choice(
            &[
                ("otlp", Kind::Otlp),
                ("console", Kind::Console),
                ("none", Kind::None),
            ],
            ACCEPTED,
        )?,
        None if METRICS.endpoint_asks_for_otlp(vars) => Kind::Otlp,
        None => match traces {
            Destination::Otlp(traces) if otlp::has_room_beside(traces) => Kind::Otlp,
            Destination::Otlp(_) => Kind::None,
            Destination::Console(_) => Kind::Console,
            Destination::None | Destination::Custom => Kind::None,
        },
    };
    let named = vars.get("OTEL_METRICS_EXPORTER").is_some();
    if !cfg!(feature = "metrics") && named && matches!(kind, Kind::Otlp | Kind::Console) {
        return Err(InitError::MissingFeature("metrics"));
    }
    let destination = match kind {
        _ if !cfg!(feature = "metrics") => MetricsDestination::None,
        Kind::None => MetricsDestination::None,
        Kind::Custom => MetricsDestination::Custom,
        Kind::Console => MetricsDestination::Console(super::console_output(vars, console)?),
        Kind::Otlp => {
            let traces = match traces {
                Destination::Otlp(traces) => Some(traces),
                _ => None,
            };
            MetricsDestination::Otlp(otlp::settings_beside(vars, &METRICS, traces)?)
        }
    };
    let interval = match vars.get("OTEL_METRIC_EXPORT_INTERVAL") {
        Some(variable) => variable.positive_millis()?,
        None => Duration::from_secs(60),
    };
    let export_timeout = match vars.get("OTEL_METRIC_EXPORT_TIMEOUT") {
        Some(variable) => variable.timeout_millis()?,
        None => Duration::from_secs(30),
    };
    let all_functions = match (all_functions, vars.get("OTEL_TRACED_FUNCTION_METRICS")) {
        (Some(all), _) => all,
        (None, Some(variable)) => variable.boolean()?,
        (None, None) => false,
    };
    // An OTLP exporter's variable: not read for metrics that go elsewhere.
    let over_otlp = matches!(destination, MetricsDestination::Otlp(_));
    let temporality = match vars.get("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE") {
        Some(variable) if over_otlp => variable.choice(
            &[
                ("cumulative", Temporality::Cumulative),
                ("delta", Temporality::Delta),
                ("lowmemory", Temporality::LowMemory),
            ],
            "cumulative, delta or lowmemory",
        )?,
        _ => Temporality::Cumulative,
    };
    let histograms = match vars.get("OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION") {
        Some(variable) if over_otlp => variable.choice(
            &[
                (
                    "explicit_bucket_histogram",
                    HistogramAggregation::ExplicitBuckets,
                ),
                (
                    "base2_exponential_bucket_histogram",
                    HistogramAggregation::Base2Exponential,
                ),
            ],
            "explicit_bucket_histogram or base2_exponential_bucket_histogram",
        )?,
        _ => HistogramAggregation::ExplicitBuckets,
    };
    Ok(MetricsSettings {
        destination,
        interval,
        export_timeout,
        all_functions,
        temporality,
        histograms,
    })
}

#[derive(Clone, Copy)]
enum Kind {
    None,
    Custom,
    Console,
    Otlp,
}
