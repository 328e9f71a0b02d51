//! [`Config`]: what `init()` installs, from the standard `OTEL_*` variables and
//! builder calls (which win over the variables).

mod logs;
mod metrics;
mod otlp;
mod vars;

use crate::console::ConsoleOutput;
use crate::init::InitError;
use crate::sampling::adaptive::AdaptiveSampler;
pub(crate) use logs::{ExceptionSignal, LogLimits, LogsDestination};
#[cfg(feature = "metrics")]
pub(crate) use metrics::HistogramAggregation;
#[cfg(any(feature = "metrics", test))]
pub(crate) use metrics::MetricsDestination;
pub(crate) use metrics::MetricsSettings;
#[cfg(all(feature = "metrics", feature = "otlp"))]
pub(crate) use metrics::Temporality;
use opentelemetry::KeyValue;
use opentelemetry_sdk::logs::LogExporter;
use opentelemetry_sdk::trace::{Sampler, SpanExporter, SpanLimits};
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;
pub(crate) use vars::without_secrets;
use vars::{Variable, Vars};

/// Spans the batch queue holds before it drops new ones. The specification's 2048
/// dropped spans in tight loops on two cores (DESIGN §7); this holds a burst of that
/// size many times over for about 24 MB. `OTEL_BSP_MAX_QUEUE_SIZE` overrides it.
const DEFAULT_MAX_QUEUE_SIZE: usize = 65_536;

/// The largest queue taken: the SDK allocates the whole queue when it starts (about
/// 360 bytes a span), so a mistyped size would take gigabytes, or abort the
/// process when the allocation fails, rather than say what is wrong.
const MAX_QUEUE_SIZE_LIMIT: usize = 1 << 20;

/// The shortest export delay and timeout a builder call sets: 0 cannot work.
const LEAST_DURATION: Duration = Duration::from_millis(1);

/// What a timeout variable's 0 is: the specification's "no limit", as a timeout
/// far enough off (49 days) that a deadline made of it cannot overflow.
const NO_LIMIT: Duration = Duration::from_millis(u32::MAX as u64);

/// The longest shutdown timeout taken: a deadline further off than a day is none.
const MOST_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// Where spans are exported. (More may come: a `match` needs a `_` arm.)
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Exporter {
    /// OTLP to a Collector, Jaeger or Tempo. `endpoint: None` takes
    /// `OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT`, else the protocol's default.
    Otlp {
        /// The endpoint URL; for HTTP, the full URL of the traces path.
        endpoint: Option<String>,
        /// The OTLP transport.
        protocol: Protocol,
    },
    /// The readable console waterfall.
    Console,
    /// Nothing: spans are sampled and built but not processed or exported.
    None,
}

/// The OTLP transport. (More may come, `http/json`: a `match` needs a `_` arm.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protocol {
    /// gRPC (tonic), port 4317 by default.
    Grpc,
    /// HTTP with protobuf bodies, port 4318 by default: the specification's default.
    HttpProtobuf,
}

/// A context propagator (`OTEL_PROPAGATORS`). (More may come: a `match` needs a
/// `_` arm.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Propagator {
    /// W3C Trace Context: `traceparent` and `tracestate`.
    TraceContext,
    /// W3C Baggage: `baggage`.
    Baggage,
    /// Zipkin's B3, writing the single `b3` header (`b3`); reads the `X-B3-*`
    /// headers too.
    B3,
    /// Zipkin's B3, writing the `X-B3-*` headers (`b3multi`), named in lowercase
    /// (`x-b3-traceid`: a carrier comparing names by case reaches Java's reader
    /// only by the single `b3` header); reads `b3` too.
    B3Multi,
}

/// OTLP payload compression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Compression {
    Gzip,
}

/// Batch processor settings: spans' (`OTEL_BSP_*`) or logs' (`OTEL_BLRP_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BatchSettings {
    pub max_queue_size: usize,
    /// `None`: the destination's default (5 s for OTLP as the specification says;
    /// 100 ms for the console, so a tree appears about when its request ends).
    pub scheduled_delay: Option<Duration>,
    pub max_export_batch_size: usize,
    pub export_timeout: Duration,
}

/// Everything the OTLP exporter needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OtlpSettings {
    pub endpoint: String,
    pub protocol: Protocol,
    pub headers: Vec<(String, String)>,
    pub timeout: Duration,
    pub compression: Option<Compression>,
    pub certificate: Option<PathBuf>,
    /// The certificate and key files a collector asking for mutual TLS is shown.
    pub client_identity: Option<ClientIdentity>,
}

/// The PEM files of a client's TLS identity (`OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`
/// and `OTEL_EXPORTER_OTLP_CLIENT_KEY`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ClientIdentity {
    pub certificate: PathBuf,
    pub key: PathBuf,
}

/// Where the resolved configuration sends spans.
#[derive(Debug, PartialEq)]
pub(crate) enum Destination {
    Console(ConsoleOutput),
    None,
    Otlp(OtlpSettings),
    /// The exporter given to [`Config::span_exporter`].
    Custom,
}

/// The configuration with every variable read and checked.
#[derive(Debug)]
pub(crate) struct Settings {
    pub destination: Destination,
    pub sampler: Sampler,
    pub resource: Vec<KeyValue>,
    pub batch: BatchSettings,
    /// The log batch processor's (`OTEL_BLRP_*`).
    pub log_batch: BatchSettings,
    pub propagators: Vec<Propagator>,
    /// Whether the builder or `OTEL_PROPAGATORS` chose them: otherwise they are
    /// the default, installed only where the application set no propagator.
    pub propagators_chosen: bool,
    pub value_length_limit: Option<usize>,
    /// The log records' (`OTEL_LOGRECORD_ATTRIBUTE_*`).
    pub log_limits: LogLimits,
    pub span_limits: SpanLimits,
    pub logs: LogsDestination,
    pub exception_signal: ExceptionSignal,
    /// `OTEL_SEMCONV_STABILITY_OPT_IN=rpc/dup`: the deprecated RPC attributes and
    /// histograms beside the current ones.
    pub legacy_rpc: bool,
    pub metrics: MetricsSettings,
    /// What the guard's shutdown and flush wait at most.
    pub shutdown_timeout: Duration,
}

impl Settings {
    /// The OTLP endpoints written `http://` although certificate or client key
    /// files are set for them (a vendor's endpoint mistyped, an API key in the
    /// headers sent in clear), each once: the files are read and checked, and go
    /// unused.
    fn plaintext_endpoints_given_tls_files(&self) -> Vec<&str> {
        self.otlp_endpoints_where(|otlp| {
            otlp.endpoint.starts_with("http://")
                && (otlp.certificate.is_some() || otlp.client_identity.is_some())
        })
    }

    /// The OTLP endpoints over gRPC written with a path, each once: tonic's
    /// channel keeps only the scheme and host, and calls the service's own path
    /// (`/opentelemetry.proto.collector.trace.v1.TraceService/Export`), so a
    /// gateway routing by that prefix never sees the exports.
    fn grpc_endpoints_with_paths(&self) -> Vec<&str> {
        self.otlp_endpoints_where(|otlp| {
            otlp.protocol == Protocol::Grpc && !otlp::endpoint_path(&otlp.endpoint).is_empty()
        })
    }

    /// The endpoints of the OTLP exports (spans, logs, metrics) `holds` picks,
    /// each once.
    fn otlp_endpoints_where(&self, holds: impl Fn(&OtlpSettings) -> bool) -> Vec<&str> {
        let traces = match &self.destination {
            Destination::Otlp(otlp) => Some(otlp),
            _ => None,
        };
        let logs = match &self.logs {
            LogsDestination::Otlp(otlp) => Some(otlp),
            _ => None,
        };
        let metrics = match &self.metrics.destination {
            metrics::MetricsDestination::Otlp(otlp) => Some(otlp),
            _ => None,
        };
        let mut endpoints: Vec<&str> = Vec::new();
        for otlp in [traces, logs, metrics].into_iter().flatten() {
            if holds(otlp) && !endpoints.contains(&otlp.endpoint.as_str()) {
                endpoints.push(&otlp.endpoint);
            }
        }
        endpoints
    }
}

/// Builds the processor around the exporter given to [`Config::span_exporter`],
/// counting what it exports (spans held to the limits given), with what a console
/// exporter holds for a flush.
pub(crate) type ProcessorFactory = Box<
    dyn FnOnce(
            BatchSettings,
            std::sync::Arc<crate::processor::Counters>,
            crate::processor::ExportLimits,
        ) -> (
            crate::processor::BoxedProcessor,
            Option<crate::console::HeldSpans>,
        ) + Send,
>;

/// Builds the log processor around the exporter given to [`Config::log_exporter`].
pub(crate) type LogProcessorFactory = Box<
    dyn FnOnce(
            BatchSettings,
            &std::sync::Arc<crate::processor::Counters>,
            LogLimits,
        ) -> crate::logs::CountedLogs
        + Send,
>;

/// Adds a periodic reader exporting to the exporter given to
/// [`Config::metric_exporter`], every interval.
#[cfg(feature = "metrics")]
pub(crate) type MetricReaderFactory = Box<
    dyn FnOnce(
            opentelemetry_sdk::metrics::MeterProviderBuilder,
            Duration,
        ) -> opentelemetry_sdk::metrics::MeterProviderBuilder
        + Send,
>;

/// What `init()` installs: read from the `OTEL_*` variables, adjusted by builder
/// calls, installed by [`Config::install`].
///
/// ```no_run
/// use otel_traced::{Config, Exporter, Protocol};
///
/// let _guard = Config::from_env()
///     .service_name("checkout")
///     .exporter(Exporter::Otlp { endpoint: None, protocol: Protocol::Grpc })
///     .install()?;
/// # Ok::<(), otel_traced::InitError>(())
/// ```
pub struct Config {
    vars: Vars,
    service_name: Option<String>,
    resource: Vec<KeyValue>,
    exporter: Option<Exporter>,
    custom_exporter: Option<ProcessorFactory>,
    custom_log_exporter: Option<LogProcessorFactory>,
    #[cfg(feature = "metrics")]
    custom_metric_exporter: Option<MetricReaderFactory>,
    sampler: Option<Sampler>,
    function_metrics: Option<bool>,
    propagators: Option<Vec<Propagator>>,
    /// The span batch processor's builder calls.
    span_batch: BatchChoices,
    shutdown_timeout: Option<Duration>,
    console_output: Option<ConsoleOutput>,
}

/// A batch processor's settings as builder calls chose them, over its variables.
#[derive(Clone, Copy, Debug, Default)]
struct BatchChoices {
    max_queue_size: Option<usize>,
    scheduled_delay: Option<Duration>,
    max_export_batch_size: Option<usize>,
    export_timeout: Option<Duration>,
}

/// The variables of one batch processor.
struct BatchVariables {
    max_queue_size: &'static str,
    /// What the queue size accepts, said when a value is not that.
    queue_accepts: &'static str,
    schedule_delay: &'static str,
    max_export_batch_size: &'static str,
    /// What the batch size accepts beside the queue's size from a variable.
    batch_accepts: &'static str,
    export_timeout: &'static str,
}

const SPAN_BATCH: BatchVariables = BatchVariables {
    max_queue_size: "OTEL_BSP_MAX_QUEUE_SIZE",
    queue_accepts: "a whole number from 1 to 1048576 (the queue is allocated at start, about 360 bytes a span)",
    schedule_delay: "OTEL_BSP_SCHEDULE_DELAY",
    max_export_batch_size: "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
    batch_accepts: "a whole number from 1 to OTEL_BSP_MAX_QUEUE_SIZE (65536 unless set)",
    export_timeout: "OTEL_BSP_EXPORT_TIMEOUT",
};

const LOG_BATCH: BatchVariables = BatchVariables {
    max_queue_size: "OTEL_BLRP_MAX_QUEUE_SIZE",
    queue_accepts: "a whole number from 1 to 1048576 (the queue is allocated at start)",
    schedule_delay: "OTEL_BLRP_SCHEDULE_DELAY",
    max_export_batch_size: "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE",
    batch_accepts: "a whole number from 1 to OTEL_BLRP_MAX_QUEUE_SIZE (65536 unless set)",
    export_timeout: "OTEL_BLRP_EXPORT_TIMEOUT",
};

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("vars", &self.vars)
            .field("service_name", &self.service_name)
            .field("exporter", &self.exporter.as_ref().map(Shown))
            .field("custom_exporter", &self.custom_exporter.is_some())
            .field("custom_log_exporter", &self.custom_log_exporter.is_some())
            .finish_non_exhaustive()
    }
}

/// An exporter as `Config`'s `Debug` prints it: its endpoint's user information
/// and query left out, as the variables' are.
struct Shown<'a>(&'a Exporter);

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Exporter::Otlp { endpoint, protocol } => f
                .debug_struct("Otlp")
                .field("endpoint", &endpoint.as_deref().map(without_secrets))
                .field("protocol", protocol)
                .finish(),
            other => other.fmt(f),
        }
    }
}

impl Config {
    /// The configuration of the process's `OTEL_*` variables. Never fails: a bad
    /// value is reported by [`Config::install`].
    pub fn from_env() -> Self {
        Config::with_vars(Vars::from_env())
    }

    /// The configuration of the given variables instead of the environment, for
    /// tests and for embedding.
    ///
    /// Some settings still come from the process's environment: where the given
    /// variables ask for no compression, the OTLP exporter reads
    /// `OTEL_EXPORTER_OTLP_[TRACES_|LOGS_|METRICS_]COMPRESSION` there itself (it
    /// has no way to be told "none"), and gzips if one says so; and the variables
    /// no `Config` reads: `OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS` (read by the
    /// boundaries), `SSL_CERT_FILE` and `SSL_CERT_DIR` (the system's certificate
    /// authorities), the proxy variables (the HTTP exporter's), and
    /// `KUBERNETES_SERVICE_HOST` (the `$(..)` notice).
    pub fn from_vars<K: Into<String>, V: Into<String>>(
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Config::with_vars(Vars::from_pairs(vars))
    }

    fn with_vars(vars: Vars) -> Self {
        Config {
            vars,
            service_name: None,
            resource: Vec::new(),
            exporter: None,
            custom_exporter: None,
            custom_log_exporter: None,
            #[cfg(feature = "metrics")]
            custom_metric_exporter: None,
            sampler: None,
            function_metrics: None,
            propagators: None,
            span_batch: BatchChoices::default(),
            shutdown_timeout: None,
            console_output: None,
        }
    }

    /// The service name (`service.name`), over `OTEL_SERVICE_NAME` and a
    /// `service.name` given to [`Config::resource_attribute`].
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// A resource attribute, over `OTEL_RESOURCE_ATTRIBUTES` (`service.version`,
    /// `deployment.environment.name`, ...).
    pub fn resource_attribute(
        mut self,
        key: impl Into<opentelemetry::Key>,
        value: impl Into<opentelemetry::Value>,
    ) -> Self {
        self.resource.push(KeyValue::new(key, value));
        self
    }

    /// Where spans go, over `OTEL_TRACES_EXPORTER` and the endpoint variables;
    /// it replaces an earlier [`Config::span_exporter`] (the last call wins).
    pub fn exporter(mut self, exporter: Exporter) -> Self {
        self.exporter = Some(exporter);
        self.custom_exporter = None;
        self
    }

    /// Exports through any SDK exporter, behind the batch processor, whose own
    /// thread runs its exports (blocking on each). An exporter that needs the
    /// application's tokio runtime (one built there: opentelemetry-otlp's tonic
    /// exporter starts a task on it) exports nothing once that runtime's threads
    /// wait, as a `current_thread` runtime's one does while the guard drops in it,
    /// and the spans queued are lost: build it on a runtime of its own, or use
    /// [`Exporter::Otlp`] (feature `otlp`), which runs its own. A
    /// [`ConsoleExporter`](crate::ConsoleExporter) given here (writing elsewhere
    /// than standard output) prints as the default console does: a tree about when
    /// its request ends, and what it holds at a flush. It replaces an earlier
    /// [`Config::exporter`] (the last call wins).
    pub fn span_exporter(mut self, exporter: impl SpanExporter + 'static) -> Self {
        self.exporter = None;
        let exporter_type = std::any::type_name_of_val(&exporter);
        self.custom_exporter = Some(Box::new(move |batch, counters, limits| {
            crate::init::span_pipeline(exporter, exporter_type, batch, counters, limits)
        }));
        self
    }

    /// Exports log records (of the `log` and `tracing` bridges, and exceptions
    /// recorded as logs) through any SDK log exporter, behind a batch processor set
    /// by `OTEL_BLRP_*`; over `OTEL_LOGS_EXPORTER`. The same holds of its runtime as
    /// of [`Config::span_exporter`]'s. Its network client's own `debug` records
    /// (`h2`, `hyper_util`, `tonic`, `reqwest`), logged on its threads while it
    /// exports, would be exported in turn, each export making more: keep those
    /// targets at `info` or above in the logger's filter.
    pub fn log_exporter(mut self, exporter: impl LogExporter + 'static) -> Self {
        let exporter_type = std::any::type_name_of_val(&exporter);
        self.custom_log_exporter = Some(Box::new(move |batch, counters, limits| {
            crate::logs::batch(exporter, exporter_type, batch, counters, limits)
        }));
        self
    }

    /// Exports the metrics of the annotations to `exporter` (any metrics SDK push
    /// exporter: a Prometheus bridge, an in-memory one in tests) every
    /// `OTEL_METRIC_EXPORT_INTERVAL`, instead of where `OTEL_METRICS_EXPORTER` says.
    /// The SDK's periodic reader calls it on a thread of its own, with no tokio
    /// runtime: the same holds of its runtime as of [`Config::span_exporter`]'s. A
    /// panic in its export is a failed export.
    #[cfg(feature = "metrics")]
    pub fn metric_exporter(
        mut self,
        exporter: impl opentelemetry_sdk::metrics::exporter::PushMetricExporter,
    ) -> Self {
        let exporter = crate::metrics::contained::Contained(exporter);
        self.custom_metric_exporter = Some(Box::new(move |builder, interval| {
            builder.with_reader(
                opentelemetry_sdk::metrics::PeriodicReader::builder(exporter)
                    .with_interval(interval)
                    .build(),
            )
        }));
        self
    }

    /// Whether every annotated function records `otel_traced.function.duration`,
    /// not only those with `#[traced(metrics)]`, over `OTEL_TRACED_FUNCTION_METRICS`.
    /// Asked for where no metrics are exported, installing says so on stderr.
    pub fn function_metrics(mut self, all: bool) -> Self {
        self.function_metrics = Some(all);
        self
    }

    /// The sampler, over `OTEL_TRACES_SAMPLER`; `AdaptiveSampler::new(..).into()`
    /// for the adaptive one.
    pub fn sampler(mut self, sampler: Sampler) -> Self {
        self.sampler = Some(sampler);
        self
    }

    /// The propagators `init()` installs globally, over `OTEL_PROPAGATORS`.
    pub fn propagators(mut self, propagators: impl IntoIterator<Item = Propagator>) -> Self {
        self.propagators = Some(propagators.into_iter().collect());
        self
    }

    /// Spans queued for export at most, over `OTEL_BSP_MAX_QUEUE_SIZE` (taken
    /// between 1 and 1 048 576, where the variable's value outside is an error: the
    /// queue is allocated when `init()` starts, about 360 bytes a span).
    pub fn max_queue_size(mut self, spans: usize) -> Self {
        self.span_batch.max_queue_size = Some(spans);
        self
    }

    /// Delay between two exports, over `OTEL_BSP_SCHEDULE_DELAY` (1 ms taken for
    /// less).
    pub fn scheduled_delay(mut self, delay: Duration) -> Self {
        self.span_batch.scheduled_delay = Some(delay);
        self
    }

    /// Spans per export at most, over `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` (taken
    /// between 1 and the queue's size).
    pub fn max_export_batch_size(mut self, spans: usize) -> Self {
        self.span_batch.max_export_batch_size = Some(spans);
        self
    }

    /// Time one OTLP export of spans may take, over `OTEL_BSP_EXPORT_TIMEOUT` (0
    /// for no limit of its own, as the specification reads it; 1 ms taken for less
    /// than that). An exporter of `span_exporter` is not cut off: the SDK's batch
    /// processor bounds no export, only a shutdown's ([`Config::shutdown_timeout`]).
    pub fn export_timeout(mut self, timeout: Duration) -> Self {
        self.span_batch.export_timeout = Some(timeout);
        self
    }

    /// How long the guard's shutdown waits for the last exports, spans, log records
    /// and metrics together (taken between 1 ms and a day), over
    /// `OTEL_TRACED_SHUTDOWN_TIMEOUT` (milliseconds; under `#[otel_traced::main]`,
    /// the only way to set it): 5 s by default. An OTLP
    /// export that would outlast it (a slow collector, a retry) loses what it
    /// carries, and the guard says how many spans. `Guard::force_flush` waits as
    /// long; the SDK bounds a flush of spans or log records and the metrics'
    /// shutdown itself, at 5 s.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = Some(timeout);
        self
    }

    /// Where the console prints its waterfall and the metrics summary, over
    /// `OTEL_TRACED_CONSOLE_OUTPUT` (`stdout` or `stderr`; under
    /// `#[otel_traced::main]`, the only way to set it): standard output by default.
    /// It changes nothing where spans and metrics go elsewhere (OTLP): a tool whose
    /// standard output is its data prints there on standard error, and exports to
    /// a collector where the variables say so.
    pub fn console_output(mut self, output: ConsoleOutput) -> Self {
        self.console_output = Some(output);
        self
    }

    /// Installs the configuration: see [`crate::init`].
    pub fn install(mut self) -> Result<crate::Guard, InitError> {
        // A second installation is refused as that, whatever its variables say
        // (a library's `init()` beside the application's, which set what the
        // environment got wrong with the builder), and before anything is read or
        // built. (Checked again when installing, for an `init()` racing this one.)
        if crate::route::is_installed() {
            return Err(InitError::AlreadyInitialized);
        }
        // A kill switch: nothing else is read, so a value the SDK would refuse
        // elsewhere (a certificate path only production has) cannot fail start-up.
        // But for the propagators, which the specification leaves to
        // `OTEL_PROPAGATORS`: a value refused there is the default. Not while an
        // installation lives: that is `AlreadyInitialized` as for any install (it
        // goes on recording; a disabled one stands in the way of nothing).
        let disabled = self.sdk_disabled();
        // A variable that is not text is that error, not its lossy value's.
        self.vars.check_unicode()?;
        if disabled? {
            // Under the route's lock: an `init()` installing meanwhile on another
            // thread keeps its propagators.
            let nothing_installed = crate::route::unless_installed(|| {
                let (propagators, chosen, refused) = self.propagators_when_disabled();
                if let Some(refused) = refused {
                    crate::tell(format_args!("{refused}"));
                }
                crate::init::install_propagators_unless_set(&propagators, chosen);
            });
            return if nothing_installed {
                // Telemetry off changes nothing of how the process stops.
                #[cfg(feature = "tokio")]
                crate::signal::catch_early_as_pid_1();
                Ok(crate::Guard::disabled())
            } else {
                Err(InitError::AlreadyInitialized)
            };
        }
        let settings = self.settings();
        // Taken as written (nothing says what was meant), and said, also where it
        // made a value refused (`OTEL_TRACES_SAMPLER_ARG=$(RATIO)`).
        for (name, reference) in self.vars.unexpanded_references() {
            let reference = reference.unwrap_or("a $(..) reference");
            crate::tell(format_args!(
                "{name} holds {reference}, taken as written: Kubernetes leaves a reference to a variable not defined before it in the container's env (define that one first; if those characters are meant, nothing is wrong)"
            ));
        }
        let settings = settings?;
        let plaintext: Vec<String> = (settings.plaintext_endpoints_given_tls_files())
            .into_iter()
            .map(without_secrets)
            .collect();
        let grpc_with_paths: Vec<String> = (settings.grpc_endpoints_with_paths())
            .into_iter()
            .map(without_secrets)
            .collect();
        #[cfg(feature = "metrics")]
        let custom_metrics = self.custom_metric_exporter.take();
        #[cfg(not(feature = "metrics"))]
        let custom_metrics = None;
        let guard = crate::init::install(
            settings,
            self.custom_exporter.take(),
            self.custom_log_exporter.take(),
            custom_metrics,
        )?;
        if !plaintext.is_empty() {
            crate::tell(format_args!(
                "OTLP goes to {} unencrypted (http://): the TLS files set for it (OTEL_EXPORTER_OTLP_CERTIFICATE, ..CLIENT_CERTIFICATE, ..CLIENT_KEY) are not used; write the endpoint https:// (or, a gRPC host:port, leave OTEL_EXPORTER_OTLP_INSECURE unset) to use them",
                plaintext.join(", ")
            ));
        }
        if !grpc_with_paths.is_empty() {
            crate::tell(format_args!(
                "OTLP over gRPC goes to {}: the path is not used (gRPC calls the collector's service at its own path, /opentelemetry.proto.collector..); behind a gateway routing by path, set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
                grpc_with_paths.join(", ")
            ));
        }
        Ok(guard)
    }

    fn has_custom_metric_exporter(&self) -> bool {
        #[cfg(feature = "metrics")]
        return self.custom_metric_exporter.is_some();
        #[cfg(not(feature = "metrics"))]
        false
    }

    /// Whether `OTEL_SDK_DISABLED` turns everything off.
    pub(crate) fn sdk_disabled(&self) -> Result<bool, InitError> {
        match self.vars.get("OTEL_SDK_DISABLED") {
            Some(variable) => variable.boolean(),
            None => Ok(false),
        }
    }

    /// The propagators a disabled SDK installs: the chosen ones; where
    /// `OTEL_PROPAGATORS` is refused, ours among the specification's others it
    /// names (`b3multi,xray`), else the default (where the application set none);
    /// whether they were chosen (not the default); and what to say then (the kill
    /// switch fails on nothing, but the value is not silently replaced).
    fn propagators_when_disabled(&self) -> (Vec<Propagator>, bool, Option<String>) {
        let refused = match self.chosen_propagators() {
            Ok(chosen) => return (chosen, self.propagators_chosen(), None),
            Err(refused) => refused,
        };
        match self.propagators_beside_others() {
            Ok((ours, _)) if !ours.is_empty() => (
                ours,
                true,
                Some(format!(
                    "{refused}; with OTEL_SDK_DISABLED=true those of them otel-traced has are installed"
                )),
            ),
            _ => (
                DEFAULT_PROPAGATORS.to_vec(),
                false,
                Some(format!(
                    "{refused}; with OTEL_SDK_DISABLED=true the default propagators, tracecontext and baggage, are installed where the application set none"
                )),
            ),
        }
    }

    /// Whether the builder call or `OTEL_PROPAGATORS` chooses the propagators.
    fn propagators_chosen(&self) -> bool {
        self.propagators.is_some() || self.vars.get("OTEL_PROPAGATORS").is_some()
    }

    /// The propagators the builder call or `OTEL_PROPAGATORS` chooses, each once.
    pub(crate) fn chosen_propagators(&self) -> Result<Vec<Propagator>, InitError> {
        Ok(once_each(match &self.propagators {
            Some(propagators) => propagators.clone(),
            None => propagators(&self.vars, None)?,
        }))
    }

    /// The propagators `OTEL_PROPAGATORS` chooses among ours, each once, and the
    /// names of the specification's others it names (`jaeger`, `xray`), which an
    /// application installing its own provider may install itself: an error for
    /// a name the specification does not know.
    pub(crate) fn propagators_beside_others(
        &self,
    ) -> Result<(Vec<Propagator>, Vec<String>), InitError> {
        let mut others = Vec::new();
        let ours = propagators(&self.vars, Some(&mut others))?;
        Ok((once_each(ours), others))
    }

    /// Reads and checks every variable, applying the builder calls over them.
    pub(crate) fn settings(&self) -> Result<Settings, InitError> {
        let read = self.read_settings();
        // A variable read that was not text is the error, whatever was made of
        // its lossy value.
        self.vars.check_unicode()?;
        read
    }

    fn read_settings(&self) -> Result<Settings, InitError> {
        let vars = &self.vars;
        let destination = self.destination()?;
        let exception_signal = logs::exception_signal(vars)?;
        let logs = match self.custom_log_exporter {
            Some(_) => LogsDestination::Custom,
            None => logs::needed(
                logs::destination(vars, &destination)?,
                logs::BRIDGED,
                exception_signal,
            ),
        };
        Ok(Settings {
            sampler: match &self.sampler {
                Some(sampler) => sampler.clone(),
                None => sampler(vars)?,
            },
            resource: self.resource_attributes()?,
            batch: self.batch(&SPAN_BATCH, self.span_batch)?,
            log_batch: self.batch(&LOG_BATCH, BatchChoices::default())?,
            propagators: self.chosen_propagators()?,
            propagators_chosen: self.propagators_chosen(),
            value_length_limit: value_length_limit(vars)?,
            log_limits: logs::limits(vars)?,
            span_limits: span_limits(vars)?,
            exception_signal,
            legacy_rpc: vars
                .get("OTEL_SEMCONV_STABILITY_OPT_IN")
                .is_some_and(|variable| crate::rpc::opts_into_legacy_rpc(variable.value)),
            metrics: metrics::settings(
                vars,
                &destination,
                self.function_metrics,
                self.has_custom_metric_exporter(),
                self.console_output,
            )?,
            logs,
            destination,
            // As a batch processor's durations: at least 1 ms; and at most a day
            // (`Duration::MAX` meant as no bound makes no deadline).
            shutdown_timeout: match (
                self.shutdown_timeout,
                vars.get("OTEL_TRACED_SHUTDOWN_TIMEOUT"),
            ) {
                (Some(timeout), _) => timeout,
                (None, Some(variable)) => variable.positive_millis()?,
                (None, None) => crate::init::DEFAULT_SHUTDOWN_TIMEOUT,
            }
            .clamp(LEAST_DURATION, MOST_SHUTDOWN_TIMEOUT),
        })
    }

    fn destination(&self) -> Result<Destination, InitError> {
        let vars = &self.vars;
        let endpoint_set = vars
            .first(&[
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "OTEL_EXPORTER_OTLP_ENDPOINT",
            ])
            .is_some();
        let exporter = match &self.exporter {
            Some(exporter) => exporter.clone(),
            None if self.custom_exporter.is_some() => return Ok(Destination::Custom),
            None => match vars.get("OTEL_TRACES_EXPORTER") {
                Some(variable) => traces_exporter(variable, vars)?,
                None if endpoint_set => Exporter::Otlp {
                    endpoint: None,
                    protocol: otlp::protocol(vars, &otlp::TRACES)?,
                },
                None => Exporter::Console,
            },
        };
        Ok(match exporter {
            Exporter::Console => Destination::Console(console_output(vars, self.console_output)?),
            Exporter::None => Destination::None,
            Exporter::Otlp { endpoint, protocol } => {
                Destination::Otlp(otlp::settings(vars, &otlp::TRACES, endpoint, protocol)?)
            }
        })
    }

    fn resource_attributes(&self) -> Result<Vec<KeyValue>, InitError> {
        let vars = &self.vars;
        let mut attributes: Vec<KeyValue> = match vars.get("OTEL_RESOURCE_ATTRIBUTES") {
            Some(variable) => variable
                .pairs()?
                .into_iter()
                .map(|(key, value)| KeyValue::new(key, value))
                .collect(),
            None => Vec::new(),
        };
        // Later wins: the variables, the service's own over the list; then the
        // builder's calls, the service's own over the list, whatever their order.
        // An empty name is none, as an empty `OTEL_SERVICE_NAME` is (and one in a
        // list, which the resource leaves out): the next source names the service.
        let service_name = self.service_name.as_deref().filter(|name| !name.is_empty());
        if service_name.is_none()
            && let Some(name) = vars.get("OTEL_SERVICE_NAME")
        {
            attributes.push(KeyValue::new("service.name", name.value.to_owned()));
        }
        attributes.extend(self.resource.iter().cloned());
        if let Some(name) = service_name {
            attributes.push(KeyValue::new("service.name", name.to_owned()));
        }
        Ok(attributes)
    }

    /// One batch processor's settings: the builder's choices over its variables.
    fn batch(
        &self,
        variables: &BatchVariables,
        chosen: BatchChoices,
    ) -> Result<BatchSettings, InitError> {
        let vars = &self.vars;
        let count = |name: &'static str, default: usize| -> Result<usize, InitError> {
            match vars.get(name) {
                Some(variable) => match variable.count("a whole number greater than 0")? {
                    0 => Err(variable.invalid("a whole number greater than 0")),
                    count => Ok(count),
                },
                None => Ok(default),
            }
        };
        let millis = |name: &'static str, default: u64| match vars.get(name) {
            Some(variable) => variable.timeout_millis(),
            None => Ok(Duration::from_millis(default)),
        };
        let batch = BatchSettings {
            max_queue_size: match (chosen.max_queue_size, vars.get(variables.max_queue_size)) {
                (Some(size), _) => size.clamp(1, MAX_QUEUE_SIZE_LIMIT),
                (None, Some(variable)) => match variable.count(variables.queue_accepts)? {
                    size @ 1..=MAX_QUEUE_SIZE_LIMIT => size,
                    _ => return Err(variable.invalid(variables.queue_accepts)),
                },
                (None, None) => DEFAULT_MAX_QUEUE_SIZE,
            },
            scheduled_delay: match (chosen.scheduled_delay, vars.get(variables.schedule_delay)) {
                (Some(delay), _) => Some(delay),
                (None, Some(variable)) => Some(variable.positive_millis()?),
                (None, None) => None,
            },
            max_export_batch_size: match chosen.max_export_batch_size {
                Some(size) => size,
                None => count(variables.max_export_batch_size, 512)?,
            },
            export_timeout: match chosen.export_timeout {
                Some(timeout) => timeout,
                None => millis(variables.export_timeout, 30_000)?,
            },
        };
        // The specification has the batch at most the queue: a variable's that is
        // larger than the queue's size from a variable (or its default) is an
        // error, as any bad value; one where the builder chose either is cut to it.
        if let (None, None, Some(variable)) = (
            chosen.max_queue_size,
            chosen.max_export_batch_size,
            vars.get(variables.max_export_batch_size),
        ) && batch.max_export_batch_size > batch.max_queue_size
        {
            return Err(variable.invalid(variables.batch_accepts));
        }
        // A builder's 0 would make the queue drop every span or the export thread
        // spin: the least that works is taken instead. An export timeout of 0 is
        // none, as a variable's.
        let max_queue_size = batch.max_queue_size.max(1);
        let export_timeout = match batch.export_timeout {
            Duration::ZERO => NO_LIMIT,
            timeout => timeout.max(LEAST_DURATION),
        };
        Ok(BatchSettings {
            max_queue_size,
            scheduled_delay: batch.scheduled_delay.map(|delay| delay.max(LEAST_DURATION)),
            max_export_batch_size: batch.max_export_batch_size.clamp(1, max_queue_size),
            export_timeout,
        })
    }
}

/// Where the console prints, the builder's choice over `OTEL_TRACED_CONSOLE_OUTPUT`:
/// the variable is read only where something prints there and no choice was made.
pub(crate) fn console_output(
    vars: &Vars,
    chosen: Option<ConsoleOutput>,
) -> Result<ConsoleOutput, InitError> {
    if let Some(output) = chosen {
        return Ok(output);
    }
    match vars.get("OTEL_TRACED_CONSOLE_OUTPUT") {
        Some(variable) => variable.choice(
            &[
                ("stdout", ConsoleOutput::Stdout),
                ("stderr", ConsoleOutput::Stderr),
            ],
            "stdout or stderr",
        ),
        None => Ok(ConsoleOutput::default()),
    }
}

/// `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT`, else the general
/// `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`: characters kept of each string value of a
/// span (the only attributes we cut).
fn value_length_limit(vars: &Vars) -> Result<Option<usize>, InitError> {
    length_limit(vars, "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT")
}

/// The characters `own` (else the general `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`)
/// keeps of each string value, if either is set.
pub(crate) fn length_limit(vars: &Vars, own: &'static str) -> Result<Option<usize>, InitError> {
    vars.first(&[own, "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"])
        .map(|variable| variable.count("a whole number of characters (0 or more)"))
        .transpose()
}

/// `OTEL_SPAN_{ATTRIBUTE,EVENT,LINK}_COUNT_LIMIT` and
/// `OTEL_{EVENT,LINK}_ATTRIBUTE_COUNT_LIMIT`, the attribute counts over the
/// general `OTEL_ATTRIBUTE_COUNT_LIMIT` (each 128 by default). Read here rather
/// than left to the SDK, which reads the process environment whatever
/// `Config::from_vars` was given, and takes a bad value for the default silently.
fn span_limits(vars: &Vars) -> Result<SpanLimits, InitError> {
    span_limits_read(vars, |error, _| Err(error))
}

/// [`span_limits`], each limit whose variable is invalid what `invalid` makes of
/// its error and default.
fn span_limits_read<E>(
    vars: &Vars,
    invalid: impl Fn(InitError, u32) -> Result<u32, E>,
) -> Result<SpanLimits, E> {
    let defaults = SpanLimits::default();
    let count = |names: &[&'static str], default: u32| {
        count_limit(vars, names, default as usize)
            .map(|count| u32::try_from(count).unwrap_or(u32::MAX))
            .or_else(|error| invalid(error, default))
    };
    Ok(SpanLimits {
        max_attributes_per_span: count(
            &["OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", GENERAL_COUNT_LIMIT],
            defaults.max_attributes_per_span,
        )?,
        max_events_per_span: count(
            &["OTEL_SPAN_EVENT_COUNT_LIMIT"],
            defaults.max_events_per_span,
        )?,
        max_links_per_span: count(&["OTEL_SPAN_LINK_COUNT_LIMIT"], defaults.max_links_per_span)?,
        max_attributes_per_event: count(
            &["OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", GENERAL_COUNT_LIMIT],
            defaults.max_attributes_per_event,
        )?,
        max_attributes_per_link: count(
            &["OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", GENERAL_COUNT_LIMIT],
            defaults.max_attributes_per_link,
        )?,
    })
}

/// The general attribute count limit, under the others.
pub(crate) const GENERAL_COUNT_LIMIT: &str = "OTEL_ATTRIBUTE_COUNT_LIMIT";

/// The count the first of `names` set says, else `default`.
pub(crate) fn count_limit(
    vars: &Vars,
    names: &[&'static str],
    default: usize,
) -> Result<usize, InitError> {
    vars.first(names).map_or(Ok(default), |variable| {
        variable.count("a whole number (0 or more)")
    })
}

/// The limit of the process environment, for values recorded before any install
/// (a test capture, say); an invalid value means no limit here, and `install`
/// reports it.
pub(crate) fn value_length_limit_from_env() -> Option<usize> {
    value_length_limit(&Vars::from_env()).ok().flatten()
}

/// The count limits of the process environment, as `install` reads them (the
/// general `OTEL_ATTRIBUTE_COUNT_LIMIT` too, which the SDK's default ignores), for
/// a test capture; a limit whose variable is invalid is its default here (as the
/// SDK takes it), and `install` reports it.
#[cfg(feature = "testing")]
pub(crate) fn span_limits_from_env() -> SpanLimits {
    capture_span_limits(&Vars::from_env())
}

/// [`span_limits_from_env`] of `vars`.
#[cfg(feature = "testing")]
fn capture_span_limits(vars: &Vars) -> SpanLimits {
    let Ok(limits) = span_limits_read(vars, |_, default| {
        Ok::<_, std::convert::Infallible>(default)
    });
    limits
}

fn traces_exporter(variable: Variable<'_>, vars: &Vars) -> Result<Exporter, InitError> {
    const ACCEPTED: &str = "otlp, console or none";
    match variable.exporter_choice(&[("otlp", 0), ("console", 1), ("none", 2)], ACCEPTED)? {
        0 => Ok(Exporter::Otlp {
            endpoint: None,
            protocol: otlp::protocol(vars, &otlp::TRACES)?,
        }),
        1 => Ok(Exporter::Console),
        _ => Ok(Exporter::None),
    }
}

fn sampler(vars: &Vars) -> Result<Sampler, InitError> {
    const NAMES: &str = "always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio or otel_traced_adaptive";
    let ratio = |default: f64| match vars.get("OTEL_TRACES_SAMPLER_ARG") {
        Some(variable) => match variable.value.parse::<f64>() {
            Ok(ratio) if (0.0..=1.0).contains(&ratio) => Ok(ratio),
            _ => Err(variable.invalid("a ratio from 0 to 1, such as 0.25")),
        },
        None => Ok(default),
    };
    let Some(variable) = vars.get("OTEL_TRACES_SAMPLER") else {
        return Ok(Sampler::ParentBased(Box::new(Sampler::AlwaysOn)));
    };
    let root = match variable.value.to_ascii_lowercase().as_str() {
        "always_on" => return Ok(Sampler::AlwaysOn),
        "always_off" => return Ok(Sampler::AlwaysOff),
        "traceidratio" => return Ok(Sampler::TraceIdRatioBased(ratio(1.0)?)),
        "parentbased_always_on" => Sampler::AlwaysOn,
        "parentbased_always_off" => Sampler::AlwaysOff,
        "parentbased_traceidratio" => Sampler::TraceIdRatioBased(ratio(1.0)?),
        "otel_traced_adaptive" => {
            let base = ratio(crate::sampling::adaptive::DEFAULT_RATIO)?;
            return Ok(adaptive_sampler(vars, base)?.into());
        }
        _ => return Err(variable.invalid(NAMES)),
    };
    Ok(Sampler::ParentBased(Box::new(root)))
}

/// The adaptive sampler's parameters from their `OTEL_TRACED_SAMPLER_*` variables.
fn adaptive_sampler(vars: &Vars, base: f64) -> Result<AdaptiveSampler, InitError> {
    let mut sampler = AdaptiveSampler::new(base);
    if let Some(variable) = vars.get("OTEL_TRACED_SAMPLER_FIRST") {
        let first = variable.count("a whole number of calls (0 or more)")?;
        sampler = sampler.first(u64::try_from(first).unwrap_or(u64::MAX));
    }
    if let Some(variable) = vars.get("OTEL_TRACED_SAMPLER_INTERVAL") {
        sampler = sampler.interval(variable.positive_millis()?);
    }
    if let Some(variable) = vars.get("OTEL_TRACED_SAMPLER_ERROR_THRESHOLD") {
        match variable.value.parse::<f64>() {
            Ok(threshold) if (0.0..=1.0).contains(&threshold) => {
                sampler = sampler.error_threshold(threshold);
            }
            _ => return Err(variable.invalid("a share of failed calls from 0 to 1, such as 0.05")),
        }
    }
    if let Some(variable) = vars.get("OTEL_TRACED_SAMPLER_MIN_CALLS") {
        match variable.count("a whole number of calls above 0")? {
            0 => return Err(variable.invalid("a whole number of calls above 0")),
            calls => sampler = sampler.min_calls(u64::try_from(calls).unwrap_or(u64::MAX)),
        }
    }
    if let Some(variable) = vars.get("OTEL_TRACED_SAMPLER_COOLDOWN") {
        sampler = sampler.cooldown(variable.millis()?);
    }
    Ok(sampler)
}

/// The specification's default propagators.
const DEFAULT_PROPAGATORS: [Propagator; 2] = [Propagator::TraceContext, Propagator::Baggage];

/// The propagators of the specification's list that we do not have.
const OTHER_PROPAGATORS: [&str; 3] = ["jaeger", "xray", "ottrace"];

/// The propagators `OTEL_PROPAGATORS` names (the default pair when unset); the
/// specification's others are an error, unless `others` takes their names.
fn propagators(
    vars: &Vars,
    mut others: Option<&mut Vec<String>>,
) -> Result<Vec<Propagator>, InitError> {
    const ACCEPTED: &str = "a comma-separated list of tracecontext, baggage, b3, b3multi and none";
    const NOT_BUILT_IN: &str = "a comma-separated list of tracecontext, baggage, b3, b3multi and none; jaeger, xray and ottrace are not built in: leave them out here and set a propagator holding them as the global one after init() (boundaries use the global propagator), or install your own provider and propagator and call use_global_provider()";
    let Some(variable) = vars.get("OTEL_PROPAGATORS") else {
        return Ok(DEFAULT_PROPAGATORS.to_vec());
    };
    let names = variable.list();
    if names.is_empty() {
        // Commas alone: neither unset nor `none`.
        return Err(variable.invalid(ACCEPTED));
    }
    let mut propagators = Vec::new();
    for name in names {
        match name.to_ascii_lowercase().as_str() {
            "tracecontext" => propagators.push(Propagator::TraceContext),
            "baggage" => propagators.push(Propagator::Baggage),
            "b3" => propagators.push(Propagator::B3),
            "b3multi" => propagators.push(Propagator::B3Multi),
            "none" => {}
            other if OTHER_PROPAGATORS.contains(&other) => {
                let Some(others) = others.as_deref_mut() else {
                    return Err(variable.invalid(NOT_BUILT_IN));
                };
                if !others.iter().any(|named| named == other) {
                    others.push(other.to_owned());
                }
            }
            _ => return Err(variable.invalid(ACCEPTED)),
        }
    }
    Ok(propagators)
}

/// `propagators` with each registered once, where it first appears, as the
/// specification asks (`tracecontext,baggage,tracecontext`).
fn once_each(propagators: Vec<Propagator>) -> Vec<Propagator> {
    let mut unique = Vec::with_capacity(propagators.len());
    for propagator in propagators {
        if !unique.contains(&propagator) {
            unique.push(propagator);
        }
    }
    unique
}

#[cfg(test)]
mod tests;
