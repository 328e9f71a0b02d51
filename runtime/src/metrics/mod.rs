//! RED metrics from the annotations (DESIGN §10, feature `metrics`): the
//! duration histograms of the HTTP, RPC and messaging conventions for boundaries, the
//! messaging conventions' counts of messages sent and consumed, and
//! `otel_traced.function.duration` for `#[traced(metrics)]` functions (every
//! function with `OTEL_TRACED_FUNCTION_METRICS=true`), through the metrics SDK.
//!
//! A call's duration is measured whether or not its span is sampled, so rates,
//! error counts and latencies are exact. The instruments live in one `static`
//! beside a word of state, so a call with no metrics installed pays one relaxed
//! load, and a measured one a clock read at each end and the SDK's histogram update.

mod clock;
mod console;
pub(crate) mod contained;
mod last_failure;
mod own;
mod rpc_dup;

use crate::callsite::SpanMeta;
pub(crate) use crate::config::MetricReaderFactory;
use crate::config::{HistogramAggregation, MetricsDestination, MetricsSettings, OtlpSettings};
use crate::init::InitError;
use crate::processor::Counters;
use crate::rpc::{HTTP_STATUS_CODE, RPC_STATUS_CODE, grpc_code_name};
use crate::rpc::{Operation, Protocol, RpcMeta, Side};
use crate::tally::{Failure, ReplyCode};
pub(crate) use clock::Stamp;
use console::ConsoleMetrics;
use last_failure::{KeepsFailure, LastFailure};
use opentelemetry::metrics::{BoundHistogram, Counter, Histogram, MeterProvider as _};
use opentelemetry::{InstrumentationScope, Key, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use std::borrow::Cow;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::{AtomicPtr, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

/// The bucket boundaries the HTTP, RPC and messaging conventions advise for
/// durations in seconds, used for their histograms here.
const DURATION_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// Those of `otel_traced.function.duration`: from a microsecond, since a function
/// of the process's own often takes less than the conventions' first boundary (5
/// ms), where every call would fall in one bucket; between 1 and 10 s, the
/// conventions' own, so that a quantile there (a batch step's, a slow query's) is
/// not read across one bucket nine seconds wide.
const FUNCTION_BUCKETS: [f64; 16] = [
    0.000_001, 0.000_005, 0.000_01, 0.000_05, 0.000_1, 0.000_5, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5,
    1.0, 2.5, 5.0, 10.0,
];

const CODE_FUNCTION_NAME: Key = Key::from_static_str("code.function.name");
const ERROR_TYPE: Key = Key::from_static_str("error.type");
/// Carried by a messaging operation's duration, not by its message counts.
const MESSAGING_OPERATION_TYPE: &str = "messaging.operation.type";

/// Set while instruments are installed.
const INSTALLED_BIT: u8 = 1;
/// Set when every function records its duration.
const ALL_FUNCTIONS_BIT: u8 = 2;

static STATE: AtomicU8 = AtomicU8::new(0);
/// The installed instruments, with the generation they were installed under.
static INSTRUMENTS: RwLock<Option<(u64, Instruments)>> = RwLock::new(None);
/// Bumped at every install and uninstall: a call site's bound series belongs to
/// the instruments of one generation.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// The histograms, one per [`Instrument`], and the message counters, one per
/// [`MessageCounter`].
#[derive(Debug)]
struct Instruments {
    histograms: [Histogram<f64>; Instrument::ALL.len()],
    counters: [Counter<u64>; MessageCounter::ALL.len()],
    /// The RPC histograms of the conventions before v1.38, under `rpc/dup`.
    legacy_rpc: Option<rpc_dup::LegacyRpc>,
}

/// What a histogram measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Instrument {
    Function,
    HttpServer,
    HttpClient,
    RpcServer,
    RpcClient,
    /// Every messaging operation but `process`: `send`, `receive`, ..
    MessagingClient,
    MessagingProcess,
}

impl Instrument {
    const ALL: [Instrument; 7] = [
        Instrument::Function,
        Instrument::HttpServer,
        Instrument::HttpClient,
        Instrument::RpcServer,
        Instrument::RpcClient,
        Instrument::MessagingClient,
        Instrument::MessagingProcess,
    ];

    fn name(self) -> &'static str {
        match self {
            Instrument::Function => "otel_traced.function.duration",
            Instrument::HttpServer => "http.server.request.duration",
            Instrument::HttpClient => "http.client.request.duration",
            Instrument::RpcServer => "rpc.server.call.duration",
            Instrument::RpcClient => "rpc.client.call.duration",
            Instrument::MessagingClient => "messaging.client.operation.duration",
            Instrument::MessagingProcess => "messaging.process.duration",
        }
    }

    fn boundaries(self) -> &'static [f64] {
        match self {
            Instrument::Function => &FUNCTION_BUCKETS,
            _ => &DURATION_BUCKETS,
        }
    }

    fn description(self) -> &'static str {
        match self {
            Instrument::Function => "Duration of calls of an annotated function.",
            Instrument::HttpServer => "Duration of HTTP server requests.",
            Instrument::HttpClient => "Duration of HTTP client requests.",
            Instrument::RpcServer => {
                "Measures the duration of an incoming Remote Procedure Call (RPC)."
            }
            Instrument::RpcClient => {
                "Measures the duration of an outgoing Remote Procedure Call (RPC)."
            }
            Instrument::MessagingClient => {
                "Duration of messaging operation initiated by a producer or consumer client."
            }
            Instrument::MessagingProcess => "Duration of processing operation.",
        }
    }

    /// The attributes of the boundary span's start that the metric carries too
    /// (the conventions' required and recommended ones; the reply's status and
    /// `error.type` are added when the call ends).
    fn keeps(self, key: &str) -> bool {
        let kept: &[&str] = match self {
            Instrument::Function => &[],
            Instrument::HttpServer => &[
                "http.request.method",
                "url.scheme",
                "http.route",
                "network.protocol.version",
            ],
            Instrument::HttpClient => &[
                "http.request.method",
                "server.address",
                "server.port",
                "url.template",
                "network.protocol.version",
            ],
            Instrument::RpcServer => &["rpc.system.name", "rpc.method"],
            Instrument::RpcClient => &[
                "rpc.system.name",
                "rpc.method",
                "server.address",
                "server.port",
            ],
            Instrument::MessagingClient => &[
                "messaging.system",
                "messaging.operation.name",
                "messaging.operation.type",
                "messaging.destination.name",
                "messaging.consumer.group.name",
                "server.address",
                "server.port",
            ],
            Instrument::MessagingProcess => &[
                "messaging.system",
                "messaging.operation.name",
                "messaging.destination.name",
                "messaging.consumer.group.name",
                "server.address",
                "server.port",
            ],
        };
        kept.contains(&key)
    }

    fn of(rpc: &RpcMeta) -> Self {
        match (&rpc.protocol, rpc.side) {
            (Protocol::Http { .. }, Side::Server) => Instrument::HttpServer,
            (Protocol::Http { .. }, Side::Client) => Instrument::HttpClient,
            (Protocol::Grpc { .. }, Side::Server) => Instrument::RpcServer,
            (Protocol::Grpc { .. }, Side::Client) => Instrument::RpcClient,
            (
                Protocol::Messaging {
                    operation: Operation::Process,
                    ..
                },
                _,
            ) => Instrument::MessagingProcess,
            (Protocol::Messaging { .. }, _) => Instrument::MessagingClient,
        }
    }
}

/// A messaging count of the conventions v1.44: how many messages calls accounted
/// for, with the attributes of the operation's duration but its type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MessageCounter {
    /// `send` counts the messages it attempted to send, failed or not.
    Sent,
    /// `receive` counts the messages it delivered to the application; `process`
    /// too when nothing receives them first ("once per message delivery").
    Consumed,
}

impl MessageCounter {
    const ALL: [MessageCounter; 2] = [MessageCounter::Sent, MessageCounter::Consumed];

    fn name(self) -> &'static str {
        match self {
            MessageCounter::Sent => "messaging.client.sent.messages",
            MessageCounter::Consumed => "messaging.client.consumed.messages",
        }
    }

    fn description(self) -> &'static str {
        match self {
            MessageCounter::Sent => "Number of messages producer attempted to send to the broker.",
            MessageCounter::Consumed => {
                "Number of messages that were delivered to the application."
            }
        }
    }

    /// The count a call of the messaging operation `operation` on `destination`
    /// of `system` adds to, if any. A `process` of what a `receive` counted does
    /// not count it again (see [`MessagingTiming::count`]).
    fn of(operation: Operation, source: &Source) -> Option<Self> {
        match operation {
            Operation::Send => Some(MessageCounter::Sent),
            Operation::Receive => Some(MessageCounter::Consumed),
            Operation::Process => (!is_pulled(source)).then_some(MessageCounter::Consumed),
            Operation::Create | Operation::Settle => None,
        }
    }
}

/// Where a consumer's messages come from: a system, and the destination and
/// consumer group when the operation names them.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Source {
    system: Cow<'static, str>,
    destination: Option<Cow<'static, str>>,
    group: Option<Cow<'static, str>>,
}

impl Source {
    /// Whether the messages of `self`, where a `receive` pulled, are those a
    /// `process` of `other` handles: of one system, and of one destination and one
    /// group unless either names none (a consumer of several topics, which README
    /// suggests writes none). Each group receives every message: another group's
    /// are its own deliveries.
    fn covers(&self, other: &Source) -> bool {
        fn same(a: Option<&str>, b: Option<&str>) -> bool {
            a.zip(b).is_none_or(|(a, b)| a == b)
        }
        self.system == other.system
            && same(self.destination.as_deref(), other.destination.as_deref())
            && same(self.group.as_deref(), other.group.as_deref())
    }
}

/// Where a `receive` pulled from in this process.
static PULLED: RwLock<Vec<Source>> = RwLock::new(Vec::new());
/// Whether `PULLED` holds any: until then a `process` takes no lock.
static ANY_PULLED: AtomicBool = AtomicBool::new(false);

/// Whether a `receive` counted the messages a `process` of `source` handles.
fn is_pulled(source: &Source) -> bool {
    ANY_PULLED.load(Ordering::Acquire)
        && PULLED
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .any(|pulled| pulled.covers(source))
}

fn note_pulled(source: Source) {
    if ANY_PULLED.load(Ordering::Acquire)
        && PULLED
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&source)
    {
        return;
    }
    let mut pulled = PULLED.write().unwrap_or_else(PoisonError::into_inner);
    if !pulled.contains(&source) {
        pulled.push(source);
    }
    ANY_PULLED.store(true, Ordering::Release);
}

/// When the call measured with `timing` ended: as noted, else now.
#[inline]
pub(crate) fn end_of(timing: &Timing) -> Stamp {
    timing.noted_end.unwrap_or_else(Stamp::now)
}

/// Starts the call measured with `timing`, now: where its span was opened (its
/// arguments recorded) or decided against, so that a call recorded and one
/// sampled out measure the same body (DESIGN §10: the duration is exact whatever
/// the trace sampling).
#[inline]
pub(crate) fn start(timing: &mut Timing) {
    timing.start = Some(Stamp::now());
}

/// Notes that the call measured with `timing` ended. Read before the call's
/// context is restored, the clock's latency (a dozen ns here) overlaps that work
/// instead of delaying the histogram's update that waits for it. The first end
/// noted stays: a call whose poll panicked ended there, whatever panics later
/// (what its body held, dropped when the caller gives the future up).
#[inline]
pub(crate) fn note_end(timing: &mut Timing) {
    if timing.noted_end.is_none() {
        timing.noted_end = Some(Stamp::now());
    }
}

/// A call being measured: when it started and what it records into.
#[derive(Debug)]
pub(crate) struct Timing {
    /// When its body started ([`start`]): every call measured passes where its
    /// span opens, which starts it.
    start: Option<Stamp>,
    /// When it ended, if a sync call noted it (`SpanHandle::leave`).
    noted_end: Option<Stamp>,
    measured: Measured,
}

#[derive(Debug)]
enum Measured {
    /// `otel_traced.function.duration` of the function named so, whose call site
    /// keeps its series of successful calls.
    Function(&'static str, &'static SiteSeries),
    /// A boundary's histogram with the attributes it keeps from the span's start.
    Boundary(Instrument, Vec<KeyValue>),
    /// A messaging boundary's histogram and message count; boxed, so that every
    /// call's tally stays as small as the others need (it is moved with the span).
    Messaging(Box<MessagingTiming>),
}

/// A messaging boundary's histogram, as a boundary's, and the count of messages
/// it adds to: how many, once the call says (a call that handles no message it
/// knows of, a `receive` without headers, adds nothing).
#[derive(Debug)]
struct MessagingTiming {
    instrument: Instrument,
    attributes: Vec<KeyValue>,
    counter: MessageCounter,
    messages: Option<u64>,
    /// Where a `receive` pulls from, noted once it counts.
    receives: Option<Source>,
}

impl MessagingTiming {
    /// Notes how many messages the call sent or consumed. A `receive` that counts
    /// messages (one at least) notes its destination as pulled, so that their `process` does not
    /// count them again: the conventions count a delivery once, where it is
    /// received when a `receive` is instrumented. A pull consumer receives before
    /// it processes, so its first `process` finds the note. (A `receive` that
    /// names no message counts nothing and leaves the `process` counting.)
    fn count(&mut self, count: u64) {
        self.messages = Some(count);
        if count > 0
            && let Some(source) = self.receives.take()
        {
            note_pulled(source);
        }
    }
}

impl Timing {
    /// Notes how many messages the call sent or consumed.
    pub(crate) fn count_messages(&mut self, count: u64) {
        if let Measured::Messaging(messaging) = &mut self.measured {
            messaging.count(count);
        }
    }

    /// Sets `attribute` among the duration's attributes in place of the value its
    /// key had, when the instrument keeps that key: what the call learnt after it
    /// started (the protocol version a client negotiated).
    pub(crate) fn update_attribute(&mut self, attribute: KeyValue) {
        let (instrument, attributes) = match &mut self.measured {
            Measured::Boundary(instrument, attributes) => (*instrument, attributes),
            Measured::Messaging(messaging) => (messaging.instrument, &mut messaging.attributes),
            Measured::Function(..) => return,
        };
        if !instrument.keeps(attribute.key.as_str()) {
            return;
        }
        match attributes.iter_mut().find(|kept| kept.key == attribute.key) {
            Some(kept) => *kept = attribute,
            None => attributes.push(attribute),
        }
    }
}

/// A call site's `otel_traced.function.duration` series of successful calls,
/// bound to its attributes once per installed pipeline: recording into it skips the
/// SDK's per-call attribute lookup (its bound instruments), and reaching it takes
/// one atomic load. Each binding is leaked on purpose: a reader may still hold
/// the previous one, which an atomic pointer cannot tell. It holds the SDK's
/// bound series, its buckets' counts and bounds, a few hundred bytes per call site
/// and install (a few kilobytes with exponential histograms), which the `Guard`'s
/// documentation says.
#[derive(Debug)]
pub(crate) struct SiteSeries(AtomicPtr<Bound>);

/// A bound series and the generation of the instruments it was bound to.
#[derive(Debug)]
struct Bound {
    generation: u64,
    series: BoundHistogram<f64>,
}

impl SiteSeries {
    pub(crate) const fn new() -> Self {
        SiteSeries(AtomicPtr::new(std::ptr::null_mut()))
    }

    /// Records a successful call of `function`, binding the series first when the
    /// pipeline changed (out of line: once per call site and pipeline).
    #[inline]
    fn record(&self, seconds: f64, function: &'static str) {
        let generation = GENERATION.load(Ordering::Acquire);
        // SAFETY: the pointer is null or comes from `Box::leak` in `bind_and_record`:
        // never freed.
        match unsafe { self.0.load(Ordering::Acquire).as_ref() } {
            Some(bound) if bound.generation == generation => bound.series.record(seconds),
            _ => self.bind_and_record(seconds, function),
        }
    }

    #[cold]
    #[inline(never)]
    fn bind_and_record(&self, seconds: f64, function: &'static str) {
        let instruments = INSTRUMENTS.read().unwrap_or_else(PoisonError::into_inner);
        let Some((generation, Instruments { histograms, .. })) = instruments.as_ref() else {
            return;
        };
        let series = histograms[Instrument::Function as usize]
            .bind(&[KeyValue::new(CODE_FUNCTION_NAME, function)]);
        series.record(seconds);
        let bound = Box::leak(Box::new(Bound {
            generation: *generation,
            series,
        }));
        self.0.store(bound, Ordering::Release);
    }
}

/// The metrics pipeline `init()` builds: a meter provider with a periodic reader
/// exporting where the settings say.
#[derive(Debug)]
pub(crate) struct Pipeline {
    provider: SdkMeterProvider,
    /// The generation of the instruments the annotations record into, once this
    /// pipeline installed them: only then does its shutdown stop them, and only
    /// while they are still its own (a pipeline built by an `init()` that failed,
    /// or an old guard dropped after a new `init()`, must not stop another's).
    installed: Option<u64>,
    /// Whether its exporter prints a summary at shutdown (the console).
    summarises: bool,
    /// Why the last export failed, if it did, for a flush's or the shutdown's
    /// error (the SDK's says only that it failed); not of an application's exporter.
    last_failure: LastFailure,
    /// Set while a flush waits for the exporter ([`Pipeline::start_flush`]).
    flushing: crate::background::OneAtATime,
}

impl Pipeline {
    /// The pipeline of `settings`, if metrics are exported at all.
    pub(crate) fn start(
        settings: &MetricsSettings,
        custom: Option<MetricReaderFactory>,
        resource: Resource,
    ) -> Result<Option<Self>, InitError> {
        let builder = SdkMeterProvider::builder().with_resource(resource);
        let last_failure = LastFailure::default();
        let builder = match &settings.destination {
            MetricsDestination::None => return Ok(None),
            MetricsDestination::Custom => match custom {
                Some(factory) => factory(builder, settings.interval),
                None => return Ok(None),
            },
            // Only the export at shutdown prints.
            MetricsDestination::Console(output) => builder.with_reader(
                PeriodicReader::builder(KeepsFailure::new(ConsoleMetrics(*output), &last_failure))
                    .with_interval(CONSOLE_INTERVAL)
                    .build(),
            ),
            MetricsDestination::Otlp(otlp) => {
                let builder = builder.with_reader(otlp_reader(otlp, settings, &last_failure)?);
                match settings.histograms {
                    HistogramAggregation::ExplicitBuckets => builder,
                    HistogramAggregation::Base2Exponential => {
                        builder.with_view(base2_exponential_histograms)
                    }
                }
            }
        };
        Ok(Some(Pipeline {
            provider: builder.build(),
            last_failure,
            installed: None,
            summarises: matches!(settings.destination, MetricsDestination::Console(_)),
            flushing: crate::background::OneAtATime::default(),
        }))
    }

    /// Makes the annotations record into this pipeline.
    pub(crate) fn install(&mut self, all_functions: bool) {
        self.installed = Some(install(&self.provider, all_functions));
    }

    /// Exports the SDK's own metrics of the span and log pipelines that `spans`
    /// and `log_records` count (`otel.sdk.*`: what was processed, dropped,
    /// exported). Not to the console, whose summary is of the annotations' calls
    /// (the guard says there what was lost).
    pub(crate) fn observe_pipelines(&self, spans: &Arc<Counters>, log_records: &Arc<Counters>) {
        if self.summarises {
            return;
        }
        let meter = our_meter(&self.provider);
        own::observe(&meter, &own::SPANS, spans);
        own::observe(&meter, &own::LOG_RECORDS, log_records);
    }

    /// Whether its shutdown prints a summary (which should follow the spans').
    pub(crate) fn summarises_at_shutdown(&self) -> bool {
        self.summarises
    }

    /// Starts exporting what was measured so far, on a thread of its own: the
    /// SDK's periodic reader sets no limit on a flush. One flush at a time: while
    /// an earlier one still waits for the exporter, another is queued after it, and
    /// any more wait for that one (each would hold a thread otherwise); one queued
    /// behind a stuck export that ends after a shutdown finds the pipeline shut.
    pub(crate) fn start_flush(&self) -> crate::background::Pending {
        let (provider, last_failure) = (self.provider.clone(), self.last_failure.clone());
        self.flushing.start("otel-traced-metrics-flush", move || {
            last_failure.forget();
            last_failure.explain(provider.force_flush())
        })
    }

    /// Stops measuring if this pipeline was measured into, then starts exporting
    /// what was measured and shutting down, on a thread of its own: the SDK's
    /// periodic reader waits for its exporter 5 s on shutdown whatever it is told.
    pub(crate) fn start_shutdown(self) -> crate::background::Pending {
        if let Some(generation) = self.installed {
            uninstall(generation);
        }
        let (provider, last_failure) = (self.provider, self.last_failure);
        crate::background::start("otel-traced-metrics-stop", move || {
            last_failure.forget();
            last_failure.explain(provider.shutdown())
        })
    }
}

/// So long that the console's summary prints only at shutdown.
const CONSOLE_INTERVAL: Duration = Duration::from_secs(60 * 60 * 24 * 365);

#[cfg(feature = "otlp")]
fn otlp_reader(
    otlp: &OtlpSettings,
    metrics: &MetricsSettings,
    last_failure: &LastFailure,
) -> Result<PeriodicReader<KeepsFailure<crate::otlp::OtlpMetricExporter>>, InitError> {
    let exporter = crate::otlp::metric_exporter(otlp, metrics.temporality, metrics.export_timeout)?;
    Ok(
        PeriodicReader::builder(KeepsFailure::new(exporter, last_failure))
            .with_interval(metrics.interval)
            .build(),
    )
}

#[cfg(not(feature = "otlp"))]
fn otlp_reader(
    _otlp: &OtlpSettings,
    _metrics: &MetricsSettings,
    _last_failure: &LastFailure,
) -> Result<PeriodicReader<KeepsFailure<ConsoleMetrics>>, InitError> {
    Err(InitError::MissingFeature("otlp"))
}

/// Every histogram aggregated in buckets of base-2 exponential widths, the
/// specification's default size and scale (160 buckets, scale 20), in place of
/// the conventions' boundaries the histograms advise.
fn base2_exponential_histograms(
    instrument: &opentelemetry_sdk::metrics::Instrument,
) -> Option<opentelemetry_sdk::metrics::Stream> {
    if instrument.kind() != opentelemetry_sdk::metrics::InstrumentKind::Histogram {
        return None;
    }
    opentelemetry_sdk::metrics::Stream::builder()
        .with_aggregation(
            opentelemetry_sdk::metrics::Aggregation::Base2ExponentialHistogram {
                max_size: 160,
                max_scale: 20,
                record_min_max: true,
            },
        )
        .build()
        .ok()
}

/// Creates the instruments on `provider`; from now on calls are measured. Returns
/// their generation.
fn install(provider: &SdkMeterProvider, all_functions: bool) -> u64 {
    // Before any call is measured: every reading of the process is of one clock.
    clock::calibrate();
    let meter = our_meter(provider);
    let histograms = Instrument::ALL.map(|instrument| {
        meter
            .f64_histogram(instrument.name())
            .with_unit("s")
            .with_description(instrument.description())
            .with_boundaries(instrument.boundaries().to_vec())
            .build()
    });
    let counters = MessageCounter::ALL.map(|counter| {
        meter
            .u64_counter(counter.name())
            .with_unit("{message}")
            .with_description(counter.description())
            .build()
    });
    let legacy_rpc = rpc_dup::LegacyRpc::new(&meter);
    let mut installed = INSTRUMENTS.write().unwrap_or_else(PoisonError::into_inner);
    let generation = GENERATION.fetch_add(1, Ordering::AcqRel) + 1;
    *installed = Some((
        generation,
        Instruments {
            histograms,
            counters,
            legacy_rpc,
        },
    ));
    drop(installed);
    let all = if all_functions { ALL_FUNCTIONS_BIT } else { 0 };
    STATE.store(INSTALLED_BIT | all, Ordering::Release);
    generation
}

/// The meter of our instruments, which the SDK's own metrics share.
fn our_meter(provider: &SdkMeterProvider) -> opentelemetry::metrics::Meter {
    let scope = InstrumentationScope::builder(env!("CARGO_PKG_NAME"))
        .with_version(env!("CARGO_PKG_VERSION"))
        .with_schema_url(crate::SCHEMA_URL)
        .build();
    provider.meter_with_scope(scope)
}

/// Stops measuring into the instruments of `generation`, if they are still the
/// installed ones; calls running now record nothing when they end.
fn uninstall(generation: u64) {
    let mut installed = INSTRUMENTS.write().unwrap_or_else(PoisonError::into_inner);
    if installed
        .as_ref()
        .is_none_or(|(current, _)| *current != generation)
    {
        return;
    }
    STATE.store(0, Ordering::Release);
    GENERATION.fetch_add(1, Ordering::AcqRel);
    installed.take();
}

/// The timing of a call of `meta`'s function, if its duration is recorded;
/// `series` is its call site's.
#[inline]
pub(crate) fn time_function(meta: &SpanMeta, series: &'static SiteSeries) -> Option<Timing> {
    // Acquire: the clock chosen before the flag was set is the one read below.
    let state = STATE.load(Ordering::Acquire);
    if state & INSTALLED_BIT == 0 || (!meta.metrics && state & ALL_FUNCTIONS_BIT == 0) {
        return None;
    }
    Some(Timing {
        start: None,
        noted_end: None,
        measured: Measured::Function(meta.function.get(), series),
    })
}

/// The timing of a boundary call whose span starts with `attributes`, if metrics
/// are installed: every boundary has its conventions' duration histogram.
pub(crate) fn time_boundary(rpc: &RpcMeta, attributes: &[KeyValue]) -> Option<Timing> {
    if STATE.load(Ordering::Acquire) & INSTALLED_BIT == 0 {
        return None;
    }
    let instrument = Instrument::of(rpc);
    let mut kept = Vec::with_capacity(attributes.len() + 2);
    kept.extend(
        attributes
            .iter()
            .filter(|attribute| instrument.keeps(attribute.key.as_str()))
            .cloned(),
    );
    let measured = match &rpc.protocol {
        Protocol::Messaging {
            operation,
            system,
            destination,
            consumer_group,
            ..
        } => {
            let source = Source {
                system: system.clone(),
                destination: destination.clone(),
                group: consumer_group.clone(),
            };
            match MessageCounter::of(*operation, &source) {
                Some(counter) => Measured::Messaging(Box::new(MessagingTiming {
                    instrument,
                    attributes: kept,
                    counter,
                    messages: None,
                    receives: (*operation == Operation::Receive).then_some(source),
                })),
                None => Measured::Boundary(instrument, kept),
            }
        }
        _ => Measured::Boundary(instrument, kept),
    };
    Some(Timing {
        start: None,
        noted_end: None,
        measured,
    })
}

/// Records the duration of a call that ended, with its failure and, for a
/// boundary, its reply status. A boundary's attributes are taken out of `timing`.
/// Inlined: a function's successful call, the common case, goes straight to its
/// call site's series; anything that needs attributes made goes out of line.
#[inline]
pub(crate) fn record(
    timing: &mut Timing,
    ended: Stamp,
    failure: Option<Failure>,
    reply: Option<ReplyCode>,
) {
    let seconds = timing.start.map_or(0.0, |start| ended.seconds_since(start));
    match (&timing.measured, failure) {
        (Measured::Function(function, series), None) => series.record(seconds, function),
        _ => record_with_attributes(timing, seconds, failure, reply),
    }
}

/// Records `seconds` of a failed function call or of a boundary call, with the
/// attributes that say which.
#[inline(never)]
fn record_with_attributes(
    timing: &mut Timing,
    seconds: f64,
    failure: Option<Failure>,
    reply: Option<ReplyCode>,
) {
    let instruments = INSTRUMENTS.read().unwrap_or_else(PoisonError::into_inner);
    let Some((_, instruments)) = instruments.as_ref() else {
        return;
    };
    let histogram = |instrument: Instrument| &instruments.histograms[instrument as usize];
    match &mut timing.measured {
        Measured::Function(function, _) => {
            let mut attributes = vec![KeyValue::new(CODE_FUNCTION_NAME, *function)];
            attributes.extend(failure.map(|failure| KeyValue::new(ERROR_TYPE, failure.value())));
            histogram(Instrument::Function).record(seconds, &attributes);
        }
        Measured::Boundary(instrument, attributes) => {
            let mut attributes = std::mem::take(attributes);
            let side = match instrument {
                Instrument::RpcServer => Some(Side::Server),
                Instrument::RpcClient => Some(Side::Client),
                _ => None,
            };
            if let (Some(legacy), Some(side)) = (&instruments.legacy_rpc, side) {
                let code = match reply {
                    Some(ReplyCode::Grpc(code)) => Some(code),
                    _ => None,
                };
                legacy.record(side, seconds, &attributes, code);
            }
            attributes.extend(reply.map(|reply| match reply {
                ReplyCode::Http(status) => KeyValue::new(HTTP_STATUS_CODE, i64::from(status)),
                ReplyCode::Grpc(code) => KeyValue::new(RPC_STATUS_CODE, grpc_code_name(code)),
            }));
            if let Some(failure) = failure {
                attributes.push(KeyValue::new(ERROR_TYPE, failure.value()));
            }
            histogram(*instrument).record(seconds, &attributes);
        }
        Measured::Messaging(messaging) => {
            let mut attributes = std::mem::take(&mut messaging.attributes);
            if let Some(failure) = failure {
                attributes.push(KeyValue::new(ERROR_TYPE, failure.value()));
            }
            histogram(messaging.instrument).record(seconds, &attributes);
            // A poll that got nothing makes no series of zeros.
            if let Some(messages) = messaging.messages.filter(|messages| *messages > 0) {
                // The counts' attributes are the duration's but the operation type.
                attributes.retain(|attribute| attribute.key.as_str() != MESSAGING_OPERATION_TYPE);
                instruments.counters[messaging.counter as usize].add(messages, &attributes);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{INSTALLED_BIT, STATE, install, uninstall};
    use opentelemetry_sdk::metrics::SdkMeterProvider;
    use std::sync::atomic::Ordering;

    #[test]
    fn an_old_pipelines_shutdown_leaves_a_newer_ones_instruments() {
        // An old guard dropped after a new `init()` (a reload) stops nothing of it.
        let old = install(&SdkMeterProvider::builder().build(), false);
        let new = install(&SdkMeterProvider::builder().build(), false);
        uninstall(old);
        assert_ne!(STATE.load(Ordering::Relaxed) & INSTALLED_BIT, 0);
        uninstall(new);
        assert_eq!(STATE.load(Ordering::Relaxed), 0);
    }
}
