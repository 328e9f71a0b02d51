//! `init()` and its [`Guard`]: installing the provider our spans go to, and taking it
//! down again without losing what was accepted or hanging the application.

use crate::config::{
    BatchSettings, Config, Destination, ExceptionSignal, LogLimits, LogProcessorFactory,
    LogsDestination, ProcessorFactory, Propagator, Settings,
};
use crate::logs::CountedLogs;
use crate::processor::{Accepted, BoxedProcessor, CountedExporter, Counters, ExportLimits};
use crate::route;
use opentelemetry::propagation::{TextMapCompositePropagator, TextMapPropagator};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanExporter};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long dropping a [`Guard`] waits for the last spans to be exported, unless
/// [`Config::shutdown_timeout`](crate::Config::shutdown_timeout) says otherwise.
pub(crate) const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// The console prints a tree about when its request ends, not after the
/// specification's 5 s export delay.
const CONSOLE_EXPORT_DELAY: Duration = Duration::from_millis(100);

/// The specification's export delay, for exporters that send over the network.
const EXPORT_DELAY: Duration = Duration::from_secs(5);

/// Why [`init`] could not install a provider. Its `Debug` is its message: what
/// `fn main() -> Result<..>` prints for `init()?`.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InitError {
    /// A [`Guard`] from an earlier `init()` is still alive. Drop it first, or keep
    /// using it: there is one provider per process.
    AlreadyInitialized,
    /// The configuration needs what this build does not have (an exporter, the
    /// metrics pipeline): enable the feature it names.
    MissingFeature(&'static str),
    /// An `OTEL_*` variable holds a value we do not accept.
    InvalidVariable {
        /// The variable's name.
        name: &'static str,
        /// The value it holds (the values of `OTEL_EXPORTER_OTLP_*HEADERS`, API keys,
        /// shown as `<hidden>`).
        value: String,
        /// What it accepts.
        accepted: &'static str,
    },
    /// An `OTEL_*` variable of the environment is not valid UTF-8, so it cannot be
    /// read.
    NotUnicode {
        /// The variable's name.
        name: String,
    },
    /// The OTLP exporter could not be built (an endpoint it cannot use, a
    /// certificate it cannot read).
    Exporter(String),
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitError::AlreadyInitialized => f.write_str(
                "otel-traced is already initialised: drop the Guard of the first init() (or use_global_provider()) before calling it again (#[otel_traced::main] calls init() itself; tests running in parallel each see their spans with otel_traced::testing::capture instead)",
            ),
            InitError::MissingFeature(feature) => write!(
                f,
                "this configuration needs the `{feature}` feature of otel-traced: enable it in Cargo.toml"
            ),
            InitError::InvalidVariable {
                name,
                value,
                accepted,
            } => write!(f, "{name}={value:?} is not valid: it accepts {accepted}"),
            InitError::NotUnicode { name } => write!(
                f,
                "{name} is not valid UTF-8: set it to UTF-8 text, or unset it"
            ),
            InitError::Exporter(reason) => write!(f, "the OTLP exporter could not be set up: {reason}"),
        }
    }
}

impl fmt::Debug for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for InitError {}

/// Why [`Guard::shutdown`] or [`Guard::force_flush`] did not complete cleanly: each
/// signal (spans, logs, metrics) whose export failed, with the SDK's reason, and
/// the spans and log records accepted but never exported (at shutdown, the run's;
/// from a flush, those lost since the previous flush). A shutdown shuts the
/// pipelines down either way; this says what may have been lost. Its `Debug` is
/// its message, as [`InitError`]'s.
pub struct ShutdownError {
    failures: Vec<(&'static str, OTelSdkError)>,
    /// Spans and log records accepted but not exported: the run's at shutdown,
    /// those lost since the previous flush after a flush.
    dropped: Dropped,
    /// Whether `dropped` counts every item not exported (a shutdown's), or only
    /// those known lost (a flush's, which leaves out those still on their way).
    dropped_exact: bool,
}

/// What a shutdown or a flush counted as lost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Dropped {
    spans: u64,
    log_records: u64,
    /// Of `spans`, those the console took and could not print: its output closed,
    /// or, at shutdown, a write blocked past the deadline.
    unprinted_spans: u64,
}

impl ShutdownError {
    /// The failures of `results`, each named by its signal, and the spans
    /// `dropped`, if there are any.
    fn of(
        results: [(&'static str, OTelSdkResult); 3],
        dropped: Dropped,
        dropped_exact: bool,
    ) -> Result<(), ShutdownError> {
        let failures: Vec<_> = results
            .into_iter()
            .filter_map(|(signal, result)| result.err().map(|error| (signal, error)))
            .collect();
        if failures.is_empty() && dropped == Dropped::default() {
            Ok(())
        } else {
            Err(ShutdownError {
                failures,
                dropped,
                dropped_exact,
            })
        }
    }

    /// Spans accepted but never exported (dropped from a full queue, lost to a
    /// failed export, held by a console whose output blocked past the shutdown's
    /// deadline), counted exactly at shutdown; from [`Guard::force_flush`],
    /// those lost since the previous flush.
    pub fn dropped_spans(&self) -> u64 {
        self.dropped.spans
    }

    /// Log records accepted but never exported, counted as
    /// [`ShutdownError::dropped_spans`] counts spans.
    pub fn dropped_log_records(&self) -> u64 {
        self.dropped.log_records
    }

    /// What `signal`'s pipeline did not export, where that is counted exactly
    /// (at shutdown; not for metrics).
    fn counted_lost(&self, signal: &str) -> Option<u64> {
        match signal {
            SPANS if self.dropped_exact => Some(self.dropped.spans),
            LOG_RECORDS if self.dropped_exact => Some(self.dropped.log_records),
            _ => None,
        }
    }
}

/// The signals' names in a [`ShutdownError`].
const SPANS: &str = "spans";
const LOG_RECORDS: &str = "log records";
const METRICS: &str = "metrics";

impl fmt::Display for ShutdownError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, (signal, error)) in self.failures.iter().enumerate() {
            let separator = if index == 0 { "" } else { "; " };
            if self.counted_lost(signal) == Some(0) {
                // What failed came after the last export: the exporter's own
                // shutdown or drop, which lost nothing.
                write!(
                    f,
                    "{separator}every one of the {signal} was exported, but their exporter did not shut down cleanly: {error}"
                )?;
            } else {
                write!(f, "{separator}exporting the last {signal} failed: {error}")?;
            }
        }
        let mut separator = if self.failures.is_empty() { "" } else { "; " };
        if self.dropped.unprinted_spans > 0 {
            write!(
                f,
                "{separator}{} span(s) were not printed: the console's output was closed (its reader gone, as `| head` does) or a write to it blocked until the time given ran out (a lock of stdout or stderr held where the guard drops)",
                self.dropped.unprinted_spans
            )?;
            separator = "; ";
        }
        for (count, what, queue) in [
            (
                (self.dropped.spans).saturating_sub(self.dropped.unprinted_spans),
                "span(s)",
                "OTEL_BSP_MAX_QUEUE_SIZE",
            ),
            (
                self.dropped.log_records,
                "log record(s)",
                "OTEL_BLRP_MAX_QUEUE_SIZE",
            ),
        ] {
            if count > 0 {
                write!(
                    f,
                    "{separator}{count} {what} were not exported (a full queue, a failed export, or one still on its way when the time given ran out): raise {queue}, check the exporter's endpoint, or give a slow collector more time (Config::shutdown_timeout)"
                )?;
                separator = "; ";
            }
        }
        Ok(())
    }
}

impl fmt::Debug for ShutdownError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for ShutdownError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.failures
            .first()
            .map(|(_, error)| error as &(dyn std::error::Error + 'static))
    }
}

/// Keeps the installed provider alive. Dropping it (or calling
/// [`Guard::shutdown`]) exports what is queued, within 5 seconds at most for all
/// its pipelines together (or as
/// [`Config::shutdown_timeout`](crate::Config::shutdown_timeout) says), and
/// uninstalls the provider; spans of calls still running then are lost.
///
/// `init()` may be called again afterwards. The first provider's memory is then
/// kept until the process ends, though nothing uses it: annotated functions read
/// its tracer without a lock, which cannot tell when the last reader is done. Most
/// of it is the batch queue, sized by `OTEL_BSP_MAX_QUEUE_SIZE` at about 360 bytes
/// a span (about 24 MB at the default 65 536). A later provider's is freed once
/// its guard shut down and nothing started under it is still held (a span, a
/// flush still waiting on a stuck exporter). Its call
/// sites read its tracer under a read lock, shared by every thread: a span opened
/// under any installation but the first costs a few atomic operations more.
/// Where every function's duration is measured (`OTEL_TRACED_FUNCTION_METRICS`),
/// each call site keeps its series of each installation's metrics, a few hundred
/// bytes (a few kilobytes with exponential histograms), for the same reason: an
/// application installing again and again (on every configuration reload) grows by
/// that much each time.
#[must_use = "dropping the guard shuts tracing down at once"]
#[derive(Debug)]
pub struct Guard {
    /// Whether this guard installed a destination that its drop must uninstall.
    installed: bool,
    /// Our provider, to shut down; `None` for the global one (the application's).
    provider: Option<SdkTracerProvider>,
    /// The logs pipeline, when logs are exported.
    logs: Option<SdkLoggerProvider>,
    /// The metrics pipeline, when metrics are exported.
    metrics: Option<crate::metrics::Pipeline>,
    /// Whether spans go to an OTLP collector: the metrics summary follows the last
    /// waterfalls of spans printed here (the console, or an exporter given that
    /// may print), not an export stuck on a collector.
    spans_to_collector: bool,
    counters: Arc<Counters>,
    /// The log records' counters (none accepted when no logs are exported).
    log_counters: Arc<Counters>,
    /// What a shutdown or flush waits at most.
    shutdown_timeout: Duration,
    /// The console exporter's held spans, when spans are printed there.
    console: Option<crate::console::HeldSpans>,
    /// The flushes of spans and of log records under way, one at a time each.
    flushes: Flushes,
}

/// One flush of each signal at a time: the SDK's batch processors queue each
/// flush asked for on a bounded channel and forget it when it times out, so
/// flushes asked for faster than a stuck exporter drains fill it. (One that timed
/// out leaves its request there still, and the next one asks again: the shutdown
/// then waits for room, [`crate::processor::shut_down_once_heard`].)
#[derive(Debug, Default)]
struct Flushes {
    spans: crate::background::OneAtATime,
    log_records: crate::background::OneAtATime,
}

impl Guard {
    /// The guard of an `init()` that installed nothing (`OTEL_SDK_DISABLED`).
    pub(crate) fn disabled() -> Self {
        Guard {
            installed: false,
            provider: None,
            logs: None,
            metrics: None,
            spans_to_collector: false,
            counters: Arc::default(),
            log_counters: Arc::default(),
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            console: None,
            flushes: Flushes::default(),
        }
    }

    /// Exports every span, log record and measurement so far, waiting for the
    /// exporters within one deadline (the shutdown timeout; the metrics after
    /// the spans' and logs' exports, or from half the time given, so that the
    /// SDK's own metrics count them; the
    /// console's printing goes on after an error when its output blocks, and the
    /// SDK gives up a flush of spans or log records itself after 5 s); each signal
    /// is flushed whatever the others' exports say; a flush of a signal while an
    /// earlier one still waits for its exporter (or the console's output) is
    /// queued after it, and any more wait for that one (one at a time, whichever
    /// thread asks, two threads at most a signal: a stuck exporter cannot make
    /// flushes pile up in the SDK's bounded queue of requests, which would leave
    /// the shutdown no room). An error also counts the spans and log
    /// records lost since the previous flush, by exports of the processors' own
    /// schedule too (whose failures the SDK's flush does not see), each loss once:
    /// a loss from a full queue may show at a later flush (it is known once a
    /// flush drained the queue), and what was still on its way when a flush timed
    /// out is counted when it is lost, not before. The
    /// console prints the spans it held for more of their printed trace to come (a
    /// task spawned with the request's context); a trace whose root still runs
    /// stays held until it ends. The console's metrics summary is not printed
    /// here: it is the run's, at shutdown.
    pub fn force_flush(&self) -> Result<(), ShutdownError> {
        let deadline = Instant::now() + self.shutdown_timeout;
        let logs = self.logs.clone().map(|logs| {
            (self.flushes.log_records).start("otel-traced-logs-flush", move || logs.force_flush())
        });
        let spans = self.provider.clone().map(|provider| {
            (self.flushes.spans).start("otel-traced-spans-flush", move || provider.force_flush())
        });
        // The metrics after the spans' and logs' exports, so that the SDK's own
        // metrics count them, as at shutdown (half the time given at most).
        let metrics_from = Instant::now() + self.shutdown_timeout / 2;
        let _ = (waited(&spans, metrics_from), waited(&logs, metrics_from));
        let metrics = self
            .metrics
            .as_ref()
            // The console's summary is the whole run's, printed at shutdown.
            .filter(|metrics| !metrics.summarises_at_shutdown())
            .map(crate::metrics::Pipeline::start_flush);
        let spans = waited(&spans, deadline);
        // Within the deadline too: the console's writer may block, and the export
        // it blocks holds the console's output.
        let printed = (self.console.as_ref()).and_then(crate::console::HeldSpans::start_flush);
        let spans = spans.and(waited(&printed, deadline));
        let (logs, metrics) = (waited(&logs, deadline), waited(&metrics, deadline));
        ShutdownError::of(
            [(SPANS, spans), (LOG_RECORDS, logs), (METRICS, metrics)],
            {
                let spans = self.counters.since_flushed();
                Dropped {
                    spans: spans.items,
                    log_records: self.log_counters.lost_since_flushed(),
                    unprinted_spans: spans.unwritten,
                }
            },
            false,
        )
    }

    /// Spans lost so far: dropped from a full queue, in an export that failed, or
    /// by the console when its output failed (not those still waiting in the
    /// queue). A full queue's drops are seen when
    /// a batch leaves it, or where spans end (every 64, past what the queue and a
    /// batch hold: also while an export hangs), so the count may lag them a batch
    /// (and 63 spans more, while an export hangs); the shutdown's count
    /// ([`ShutdownError::dropped_spans`]) is exact. Spans a collector took but
    /// rejected (its answer's partial success) are counted over HTTP, not over
    /// gRPC, whose exporter does not pass that answer on.
    pub fn dropped_spans(&self) -> u64 {
        self.counters.lost()
    }

    /// Log records (of the `log` and `tracing` bridges, exception records) lost
    /// so far, as [`Guard::dropped_spans`] counts spans.
    pub fn dropped_log_records(&self) -> u64 {
        self.log_counters.lost()
    }

    /// Flushes and shuts down now, saying whether everything accepted was
    /// exported: an error names the exports that failed and counts the spans lost.
    /// Dropping the guard does the same and prints the error on stderr.
    pub fn shutdown(mut self) -> Result<(), ShutdownError> {
        self.shut_down(route::GuardEnd::ShutDown)
    }

    fn shut_down(&mut self, end: route::GuardEnd) -> Result<(), ShutdownError> {
        if !self.installed
            && self.provider.is_none()
            && self.logs.is_none()
            && self.metrics.is_none()
        {
            // Shut down already (`shutdown`, then the drop), or nothing installed.
            return Ok(());
        }
        // Uninstall first, so no new span reaches a provider that is shutting down.
        // The loggers before the route: a new `init()`, which can only install
        // once the route is free, then installs its loggers after ours are gone,
        // not before (ours would take its away).
        let installed = std::mem::take(&mut self.installed);
        if installed {
            crate::logs::uninstall();
            route::uninstall(end);
        }
        // Every pipeline shuts down, whatever the others say, within one deadline
        // for all three. Logs and spans drain on threads of their own, side by
        // side. The metrics' last collection waits for them, so that the SDK's
        // own metrics count their last exports, but half the time given at most:
        // a span export stuck on the collector does not leave the metrics no
        // time. The console's metrics summary waits for the spans to the end
        // (unless they go to a collector), so that it follows the last waterfalls.
        let deadline = Instant::now() + self.shutdown_timeout;
        let left = || deadline.saturating_duration_since(Instant::now());
        let logs = self.logs.take().map(|logs| {
            let budget = left();
            crate::background::start("otel-traced-logs-stop", move || {
                logs.shutdown_with_timeout(budget)
            })
        });
        let metrics = self.metrics.take();
        let metrics_from = match &metrics {
            Some(metrics) if metrics.summarises_at_shutdown() && !self.spans_to_collector => {
                deadline
            }
            _ => Instant::now() + self.shutdown_timeout / 2,
        };
        // On a thread of its own too: the SDK joins its batch thread without a
        // limit once its exporter shut down, and an exporter's shutdown may block
        // or panic (not out of the guard's drop, which may run while unwinding).
        let traces = self.provider.take().map(|provider| {
            let budget = left();
            crate::background::start("otel-traced-spans-stop", move || {
                provider.shutdown_with_timeout(budget)
            })
        });
        let _ = (waited(&traces, metrics_from), waited(&logs, metrics_from));
        let metrics = metrics.map(crate::metrics::Pipeline::start_shutdown);
        let (traces, logs) = (waited(&traces, deadline), waited(&logs, deadline));
        let metrics = waited(&metrics, deadline);
        // What the exports said (an outage, an overflow) before the report.
        crate::notice::said_by(deadline);
        // Only now: values recorded while the spans were flushed were cut to this
        // installation's limit (its exporter holds its own for what it exports
        // later). Unless a new installation came meanwhile: the limit is its own
        // now.
        if installed {
            let _ = route::unless_installed(forget_installed_settings);
        }
        // Read once, so that both counts hold the same spans.
        let unprinted = self.counters.unwritten_so_far()
            + (self.console.as_ref()).map_or(0, crate::console::HeldSpans::unprinted);
        ShutdownError::of(
            [(SPANS, traces), (LOG_RECORDS, logs), (METRICS, metrics)],
            // Exact now: what was accepted and never exported, whatever lost it,
            // the console's held spans too when its output blocked past the
            // deadline (their exports returned, so they were counted exported).
            Dropped {
                spans: self.counters.never_exported() + unprinted,
                log_records: self.log_counters.unexported(),
                unprinted_spans: unprinted,
            },
            true,
        )
    }
}

/// The result of the step `pending` started, waiting until `deadline` at most;
/// `Ok` where none was started (no such pipeline).
fn waited(pending: &Option<crate::background::Pending>, deadline: Instant) -> OTelSdkResult {
    pending
        .as_ref()
        .map_or(Ok(()), |pending| pending.wait_until(deadline))
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Err(error) = self.shut_down(route::GuardEnd::Dropped) {
            crate::tell(format_args!("{error}"));
        }
    }
}

/// Installs the provider our spans go to, configured by the standard `OTEL_*`
/// variables ([`Config::from_env`]): OTLP when `OTEL_TRACES_EXPORTER=otlp`, or when
/// it is unset and `OTEL_EXPORTER_OTLP_ENDPOINT` or
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set; no exporter with
/// `OTEL_TRACES_EXPORTER=none`; otherwise the readable console waterfall.
/// With `OTEL_SDK_DISABLED=true` no provider is installed (only the propagators,
/// so that a request's context still passes through) and annotated functions
/// cost one atomic load.
///
/// A global propagator the application set before is kept where neither
/// `OTEL_PROPAGATORS` nor [`Config::propagators`] chooses one.
///
/// No global tracer or meter provider is set (only the global propagator): code
/// written to the OpenTelemetry API (`opentelemetry::global::tracer(..)`) records
/// nothing under it. Such an application builds its provider, sets it globally,
/// and calls [`use_global_provider`] instead.
///
/// ```no_run
/// fn main() -> Result<(), otel_traced::InitError> {
///     let _guard = otel_traced::init()?;
///     // annotated code runs here; the guard flushes when main returns
///     Ok(())
/// }
/// ```
///
/// Bind the guard to a name (`_guard`), not to `_`: `let _ = init()?` drops it at
/// once, which shuts tracing down there (the first span after it says so on
/// stderr).
pub fn init() -> Result<Guard, InitError> {
    Config::from_env().install()
}

/// The batch processor exporting to `exporter` (the console or one given to
/// [`Config::span_exporter`]), counting its exports; `exporter_type` names it in
/// the SDK's own metrics. A [`ConsoleExporter`]
/// prints about when a request ends, and its held spans are returned for the
/// guard's flush, wherever it writes.
///
/// [`ConsoleExporter`]: crate::ConsoleExporter
pub(crate) fn span_pipeline(
    exporter: impl SpanExporter + 'static,
    exporter_type: &'static str,
    batch: BatchSettings,
    counters: Arc<Counters>,
    limits: ExportLimits,
) -> (BoxedProcessor, Option<crate::console::HeldSpans>) {
    let console = (&exporter as &dyn std::any::Any)
        .downcast_ref::<crate::console::ConsoleExporter>()
        .map(|console| console.held_spans(&counters));
    // The console's by its public path, whoever gave it.
    counters.name_exporter(if console.is_some() {
        CONSOLE_EXPORTER
    } else {
        exporter_type
    });
    let delay = if console.is_some() {
        CONSOLE_EXPORT_DELAY
    } else {
        EXPORT_DELAY
    };
    let exporter = CountedExporter {
        inner: exporter,
        counters,
        limits,
        budget: crate::batches::Budget::default(),
    };
    (crate::processor::batch(exporter, batch, delay), console)
}

/// Installs resolved settings; the one way in, from [`Config::install`].
pub(crate) fn install(
    settings: Settings,
    custom: Option<ProcessorFactory>,
    custom_logs: Option<LogProcessorFactory>,
    custom_metrics: Option<crate::metrics::MetricReaderFactory>,
) -> Result<Guard, InitError> {
    // Refused before anything is built (as `Config::install` refused before the
    // settings were read; one may have been installed meanwhile): a refused
    // pipeline would be shut down, and with it the exporters it was given (one the
    // installed pipeline shares too), after resource detection, threads and
    // runtimes started for nothing. (Checked again when installing, for an
    // `init()` racing this one.)
    if route::is_installed() {
        return Err(InitError::AlreadyInitialized);
    }
    let counters = Arc::new(Counters::watching(crate::processor::Queue {
        capacity: settings.batch.max_queue_size,
        in_hand: settings.batch.max_export_batch_size,
        items: "spans",
        sized_by: "OTEL_BSP_MAX_QUEUE_SIZE (or Config::max_queue_size)",
        fewer: "sample fewer",
    }));
    let spans_to_collector = matches!(settings.destination, Destination::Otlp(_));
    let mut console = None;
    let limits = ExportLimits {
        max_attributes: settings.span_limits.max_attributes_per_span,
        value_length: settings.value_length_limit,
    };
    let processor = match settings.destination {
        Destination::None => None,
        Destination::Console(output) => {
            if !cfg!(feature = "console") {
                return Err(InitError::MissingFeature("console"));
            }
            let (processor, held) = span_pipeline(
                crate::console::ConsoleExporter::on(output),
                CONSOLE_EXPORTER,
                settings.batch,
                Arc::clone(&counters),
                limits,
            );
            console = held;
            Some(processor)
        }
        Destination::Otlp(otlp) => Some(otlp_processor(otlp, settings.batch, &counters, limits)?),
        Destination::Custom => custom.map(|factory| {
            let (processor, held) = factory(settings.batch, Arc::clone(&counters), limits);
            console = held;
            processor
        }),
    };
    let resource = crate::resource::resource(settings.resource);
    let log_counters = Arc::new(Counters::watching(crate::processor::Queue {
        capacity: settings.log_batch.max_queue_size,
        in_hand: settings.log_batch.max_export_batch_size,
        items: "log records",
        sized_by: "OTEL_BLRP_MAX_QUEUE_SIZE",
        fewer: "log fewer (a level filter that lets less through: RUST_LOG, the logger's)",
    }));
    let logs = logs_provider(
        settings.logs,
        custom_logs,
        settings.log_batch,
        settings.log_limits,
        resource.clone(),
        &log_counters,
    )?;
    let mut metrics =
        crate::metrics::Pipeline::start(&settings.metrics, custom_metrics, resource.clone())?;
    if let Some(metrics) = &metrics {
        metrics.observe_pipelines(&counters, &log_counters);
    }
    let link_count_limit = settings.span_limits.max_links_per_span as usize;
    let (builder, sampler) = crate::sampling::provider_builder(Box::new(settings.sampler));
    let mut builder =
        builder
            .with_resource(resource)
            .with_span_limits(crate::processor::with_room_for_repeats(
                settings.span_limits,
            ));
    if let Some(processor) = processor {
        builder = builder.with_span_processor(Accepted {
            inner: processor,
            counters: Arc::clone(&counters),
        });
    }
    let provider = builder.build();
    if route::install(route::Destination::Ours(provider.clone(), sampler)).is_err() {
        // Nothing was queued yet; within one deadline all the same, and on
        // threads of their own, as a guard shuts down (an exporter of the
        // application's may block or panic as it is dropped).
        let deadline = Instant::now() + settings.shutdown_timeout;
        let left = || deadline.saturating_duration_since(Instant::now());
        let budget = left();
        let spans = crate::background::start("otel-traced-spans-stop", move || {
            provider.shutdown_with_timeout(budget)
        });
        if let Some(logs) = logs {
            let budget = left();
            let _ = crate::background::start("otel-traced-logs-stop", move || {
                logs.shutdown_with_timeout(budget)
            })
            .wait_until(deadline);
        }
        let _ = spans.wait_until(deadline);
        if let Some(metrics) = metrics {
            let _ = metrics.start_shutdown().wait_until(deadline);
        }
        return Err(InitError::AlreadyInitialized);
    }
    // Only now: an `init()` refused above must not change the installed one's limit.
    crate::value::VALUE_LENGTH_LIMIT.install(settings.value_length_limit);
    crate::rpc::LINK_COUNT_LIMIT.install(Some(link_count_limit));
    crate::rpc::LEGACY_RPC.install(settings.legacy_rpc);
    match &mut metrics {
        Some(metrics) => metrics.install(settings.metrics.all_functions),
        None if settings.metrics.all_functions => tell_function_metrics_unexported(),
        None => {}
    }
    match &logs {
        Some(logs) => crate::logs::install(logs, settings.exception_signal),
        None if settings.exception_signal != ExceptionSignal::SpanEvent => {
            crate::tell(format_args!(
                "OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN asks for exception log records, but no logs are exported (OTEL_LOGS_EXPORTER, an OTLP endpoint, or OTLP for spans): exceptions stay span events"
            ))
        }
        None => {}
    }
    install_propagators_unless_set(&settings.propagators, settings.propagators_chosen);
    #[cfg(feature = "tokio")]
    crate::signal::catch_early_as_pid_1();
    Ok(Guard {
        installed: true,
        provider: Some(provider),
        logs,
        metrics,
        spans_to_collector,
        counters,
        log_counters,
        shutdown_timeout: settings.shutdown_timeout,
        console,
        flushes: Flushes::default(),
    })
}

/// Every function's duration asked for, where no metrics go out: said, as the
/// variable would otherwise do nothing without a word.
fn tell_function_metrics_unexported() {
    let why = if cfg!(feature = "metrics") {
        "no metrics are exported (OTEL_METRICS_EXPORTER is none; or, unset, the spans' destination takes none: nowhere, an exporter of the application's, an OTLP traces endpoint of a path of its own): set OTEL_METRICS_EXPORTER to otlp or console, or give Config::metric_exporter"
    } else {
        "this build of otel-traced measures nothing: turn on its `metrics` feature"
    };
    crate::tell(format_args!(
        "OTEL_TRACED_FUNCTION_METRICS (or Config::function_metrics) asks for every function's otel_traced.function.duration, but {why}"
    ));
}

/// Forgets what an installation set process-wide for what records (the value
/// length limit, `rpc/dup`): the environment says them again.
fn forget_installed_settings() {
    crate::value::VALUE_LENGTH_LIMIT.forget();
    crate::rpc::LINK_COUNT_LIMIT.forget();
    crate::rpc::LEGACY_RPC.forget();
}

/// Sends our spans to whatever `opentelemetry::global` holds, for applications
/// that build and install their own provider (and exporters, and propagators). The
/// guard stops that when dropped, but does not shut the application's provider
/// down: it is theirs. `dropped_spans()` is always 0 here, as we see none of it,
/// and `force_flush()` flushes nothing: flush the application's provider itself.
/// The application's global propagator is used as it is; where it set none and
/// `OTEL_PROPAGATORS` names some (`none` too), those are installed, as `init()`
/// installs them (a name the specification does not know is an [`InitError`]):
/// boundaries would otherwise fall back to W3C Trace Context and Baggage, and an
/// edge service told to continue no caller's trace would. The specification's
/// others (`jaeger`, `xray`), which we do not have and the application may install
/// itself, are said on stderr and left to it.
///
/// ```no_run
/// use otel_traced::sdk::trace::SdkTracerProvider;
///
/// let provider = SdkTracerProvider::builder().build();
/// otel_traced::opentelemetry::global::set_tracer_provider(provider.clone());
/// let _guard = otel_traced::use_global_provider()?;
/// # Ok::<(), otel_traced::InitError>(())
/// ```
pub fn use_global_provider() -> Result<Guard, InitError> {
    // Refused before the environment is read, or said of, as `init()` is.
    if route::is_installed() {
        return Err(InitError::AlreadyInitialized);
    }
    let unset = !crate::propagation::set_by_application();
    // Empty is unset, as for every variable.
    let named = std::env::var_os("OTEL_PROPAGATORS")
        .is_some_and(|value| !value.to_string_lossy().trim().is_empty());
    // `Some`: install these; `None`: leave the global propagator (the
    // application's, or none); where an earlier `init()`'s is left, that is
    // forgotten for the W3C default, as the application set none.
    let propagators = match named {
        true if unset => {
            // The specification's others (xray) are the application's to install,
            // after this call: said, not an error.
            let (ours, others) = Config::from_env().propagators_beside_others()?;
            if !others.is_empty() {
                let meanwhile = if ours.is_empty() {
                    "boundaries propagate no context"
                } else {
                    "boundaries use the others it names"
                };
                crate::tell(format_args!(
                    "OTEL_PROPAGATORS names {}, which otel-traced does not have: {meanwhile} until the application sets a propagator",
                    others.join(", ")
                ));
            }
            Some(ours)
        }
        _ => None,
    };
    route::install(route::Destination::Global).map_err(|_| InitError::AlreadyInitialized)?;
    match propagators {
        Some(propagators) => install_propagators(&propagators),
        None if unset => crate::propagation::forget_configured(),
        None => {}
    }
    // The environment's limit and conventions, not those a guard still shutting
    // down left.
    forget_installed_settings();
    #[cfg(feature = "tokio")]
    crate::signal::catch_early_as_pid_1();
    // Nothing of ours to flush or shut down (the provider is the application's),
    // only the route to give back.
    let mut guard = Guard::disabled();
    guard.installed = true;
    Ok(guard)
}

/// The console exporter's `otel.component.type` in the SDK's own metrics.
const CONSOLE_EXPORTER: &str = "otel_traced::ConsoleExporter";

/// Of the conventions' `otel.component.type`s of an OTLP exporter of one signal,
/// `[over gRPC, over HTTP]`, the one of `protocol`.
#[cfg(feature = "otlp")]
fn otlp_exporter_type(
    protocol: crate::config::Protocol,
    [grpc, http]: [&'static str; 2],
) -> &'static str {
    match protocol {
        crate::config::Protocol::Grpc => grpc,
        crate::config::Protocol::HttpProtobuf => http,
    }
}

#[cfg(feature = "otlp")]
fn otlp_processor(
    otlp: crate::config::OtlpSettings,
    batch: crate::config::BatchSettings,
    counters: &Arc<Counters>,
    limits: ExportLimits,
) -> Result<BoxedProcessor, InitError> {
    let exporter_type = otlp_exporter_type(
        otlp.protocol,
        ["otlp_grpc_span_exporter", "otlp_http_span_exporter"],
    );
    let exporter = crate::otlp::exporter(otlp, batch.export_timeout, Arc::clone(counters))?;
    Ok(span_pipeline(exporter, exporter_type, batch, Arc::clone(counters), limits).0)
}

/// The logs pipeline of the configuration, if it exports logs.
fn logs_provider(
    destination: LogsDestination,
    custom: Option<LogProcessorFactory>,
    batch: crate::config::BatchSettings,
    limits: LogLimits,
    resource: Resource,
    counters: &Arc<Counters>,
) -> Result<Option<SdkLoggerProvider>, InitError> {
    let processor = match (destination, custom) {
        (LogsDestination::None, _) | (LogsDestination::Custom, None) => return Ok(None),
        (LogsDestination::Custom, Some(factory)) => factory(batch, counters, limits),
        (LogsDestination::Otlp(otlp), _) => otlp_log_processor(otlp, batch, counters, limits)?,
    };
    Ok(Some(
        SdkLoggerProvider::builder()
            .with_resource(resource)
            .with_log_processor(processor)
            .build(),
    ))
}

#[cfg(feature = "otlp")]
fn otlp_log_processor(
    otlp: crate::config::OtlpSettings,
    batch: crate::config::BatchSettings,
    counters: &Arc<Counters>,
    limits: LogLimits,
) -> Result<CountedLogs, InitError> {
    let exporter_type = otlp_exporter_type(
        otlp.protocol,
        ["otlp_grpc_log_exporter", "otlp_http_log_exporter"],
    );
    let exporter = crate::otlp::log_exporter(otlp, batch.export_timeout, Arc::clone(counters))?;
    Ok(crate::logs::batch(
        exporter,
        exporter_type,
        batch,
        counters,
        limits,
    ))
}

#[cfg(not(feature = "otlp"))]
fn otlp_log_processor(
    _otlp: crate::config::OtlpSettings,
    _batch: crate::config::BatchSettings,
    _counters: &Arc<Counters>,
    _limits: LogLimits,
) -> Result<CountedLogs, InitError> {
    Err(InitError::MissingFeature("otlp"))
}

#[cfg(not(feature = "otlp"))]
fn otlp_processor(
    _otlp: crate::config::OtlpSettings,
    _batch: crate::config::BatchSettings,
    _counters: &Arc<Counters>,
    _limits: ExportLimits,
) -> Result<BoxedProcessor, InitError> {
    Err(InitError::MissingFeature("otlp"))
}

/// Sets the global propagator that `#[traced_rpc]` and other instrumentation use.
/// Installs `propagators` globally, unless they were not `chosen` (the default
/// pair) and the application set a propagator of its own (Jaeger's, X-Ray's, a
/// composite): that one is kept, as [`use_global_provider`] keeps it, rather than
/// replaced without a word, which would break its traces between services.
pub(crate) fn install_propagators_unless_set(propagators: &[Propagator], chosen: bool) {
    if chosen || !crate::propagation::set_by_application() {
        install_propagators(propagators);
    }
}

pub(crate) fn install_propagators(propagators: &[Propagator]) {
    let propagators: Vec<Box<dyn TextMapPropagator + Send + Sync>> = propagators
        .iter()
        .map(|propagator| -> Box<dyn TextMapPropagator + Send + Sync> {
            match propagator {
                Propagator::TraceContext => {
                    Box::new(crate::propagation::TraceContextPropagator::new())
                }
                Propagator::Baggage => Box::new(crate::propagation::BaggagePropagator::new()),
                Propagator::B3 => Box::new(crate::propagation::B3Propagator::new()),
                Propagator::B3Multi => {
                    Box::new(crate::propagation::B3Propagator::multiple_headers())
                }
            }
        })
        .collect();
    opentelemetry::global::set_text_map_propagator(TextMapCompositePropagator::new(propagators));
    crate::propagation::mark_configured();
}
