//! The OpenTelemetry logs pipeline `init()` installs beside the spans: where the
//! `log` and `tracing` bridges send records, and where exceptions go when
//! `OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN` asks for log records.
//!
//! Bridges look the pipeline up on each record rather than holding a provider, so
//! a logger set once in `main` works whether it was set before or after `init()`,
//! and stops exporting when the guard is dropped.

use crate::config::{BatchSettings, ExceptionSignal, LogLimits};
use crate::processor::Counters;
use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _, Severity};
use opentelemetry::trace::SpanContext;
use opentelemetry::{InstrumentationScope, KeyValue, Value};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{
    BatchConfigBuilder, BatchLogProcessor, LogBatch, LogExporter, LogProcessor, SdkLogRecord,
    SdkLogger, SdkLoggerProvider,
};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

/// The installed pipeline's loggers; `None` when nothing exports logs.
static INSTALLED: RwLock<Option<Arc<Loggers>>> = RwLock::new(None);

/// Whether [`INSTALLED`] holds loggers: read first, so that a record while no
/// logs are exported (the console's default) costs one load, not a lock.
static EXPORTING: AtomicBool = AtomicBool::new(false);

/// How exceptions are recorded, as [`ExceptionSignal`] discriminants. Only ever
/// other than `SpanEvent` while a pipeline is installed: exceptions are never
/// traded for records that go nowhere.
static EXCEPTION_SIGNAL: AtomicU8 = AtomicU8::new(SPAN_EVENT);
const SPAN_EVENT: u8 = 0;
const LOG: u8 = 1;
const BOTH: u8 = 2;

/// The loggers of each source: exceptions under our scope, `otel-traced`; the
/// `log` and `tracing` bridges' records under the empty scope their appenders
/// (0.33) give every record.
struct Loggers {
    /// What the loggers emit into, for a flush of the `log` crate's logger.
    #[cfg(feature = "log")]
    provider: SdkLoggerProvider,
    /// Exceptions recorded by annotated functions.
    exceptions: SdkLogger,
    #[cfg(feature = "log")]
    log: opentelemetry_appender_log::OpenTelemetryLogBridge<SdkLoggerProvider, SdkLogger>,
    #[cfg(feature = "tracing")]
    tracing: opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge<
        SdkLoggerProvider,
        SdkLogger,
    >,
}

/// The specification's delay between two exports of logs, unless
/// `OTEL_BLRP_SCHEDULE_DELAY` says otherwise.
const EXPORT_DELAY: Duration = Duration::from_secs(1);

/// The SDK's batch log processor (on its own thread) around `exporter`, with our
/// `OTEL_BLRP_*` settings applied explicitly (the SDK's defaults read the process
/// environment, which `Config::from_vars` must not), its records counted as
/// accepted and as exported (those a full queue drops are otherwise lost unsaid),
/// and held to `limits` as they are exported; `exporter_type` names it in the
/// SDK's own metrics.
pub(crate) fn batch(
    exporter: impl LogExporter + 'static,
    exporter_type: &'static str,
    settings: BatchSettings,
    counters: &Arc<Counters>,
    limits: LogLimits,
) -> CountedLogs {
    counters.name_exporter(exporter_type);
    let config = BatchConfigBuilder::default()
        .with_max_queue_size(settings.max_queue_size)
        .with_scheduled_delay(settings.scheduled_delay.unwrap_or(EXPORT_DELAY))
        .with_max_export_batch_size(settings.max_export_batch_size)
        .build();
    let exporter = CountedLogExporter {
        inner: exporter,
        counters: Arc::clone(counters),
        limits: WithinLimits::new(limits),
        budget: crate::batches::Budget::default(),
    };
    CountedLogs {
        inner: BatchLogProcessor::builder(exporter)
            .with_batch_config(config)
            .build(),
        counters: Arc::clone(counters),
    }
}

/// The batch log processor, counting the records it is given.
#[derive(Debug)]
pub(crate) struct CountedLogs {
    inner: BatchLogProcessor,
    counters: Arc<Counters>,
}

impl LogProcessor for CountedLogs {
    fn emit(&self, record: &mut SdkLogRecord, scope: &InstrumentationScope) {
        // The `tracing` bridge names each record an Event of its call site's: a
        // log line is no Event, and backends would group lines by that name. (The
        // SDK cannot unset a name: an exporter of the application's sees `""`,
        // which OTLP sends as none.)
        if record.event_name().is_some_and(names_a_call_site) {
            record.set_event_name("");
        }
        // When it happened: the bridges set no time (the SDK sets only the
        // observed one, just now), and a record without one goes out dated 1970.
        if record.timestamp().is_none() {
            record.set_timestamp(record.observed_timestamp().unwrap_or_else(SystemTime::now));
        }
        self.inner.emit(record, scope);
        // Once queued or dropped (see `Counters::given`).
        self.counters.accept(1);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.counters.flushed(|| self.inner.force_flush())
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        crate::processor::shut_down_once_heard(timeout, |left| {
            self.inner.shutdown_with_timeout(left)
        })
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// Whether `name` is the name `tracing` gives an event of its own (`event
/// src/db.rs:88`, or `log event` for a `log` record made one), which the bridge
/// makes the record's event name, rather than one the code gave (`name:
/// "user.login"`).
fn names_a_call_site(name: &str) -> bool {
    name == "log event"
        || name.strip_prefix("event ").is_some_and(|place| {
            place
                .rsplit_once(':')
                .is_some_and(|(_, line)| line.parse::<u32>().is_ok())
        })
}

/// An exporter of log records, counting those it delivered.
#[derive(Debug)]
struct CountedLogExporter<E> {
    inner: E,
    counters: Arc<Counters>,
    limits: WithinLimits,
    /// What one request may weigh.
    budget: crate::batches::Budget,
}

/// Counts the log records an exporter delivered, held to the limits, in requests
/// a collector takes ([`crate::batches`]).
impl<E: LogExporter> LogExporter for CountedLogExporter<E> {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        // Copies of the records past the limits, by their place in the batch:
        // none, nearly always.
        let copies: Vec<(usize, SdkLogRecord)> = (batch.iter().enumerate())
            .filter_map(|(place, (record, _))| Some((place, self.limits.copy(record)?)))
            .collect();
        let mut copies = copies.iter().peekable();
        let records: Vec<(&SdkLogRecord, &InstrumentationScope)> = (batch.iter().enumerate())
            .map(
                |(place, (record, scope))| match copies.next_if(|(at, _)| *at == place) {
                    Some((_, copy)) => (copy, scope),
                    None => (record, scope),
                },
            )
            .collect();
        self.counters.given(records.len() as u64);
        let parts = crate::batches::split(records, self.budget.get(), |(record, _)| {
            crate::batches::log_weight(record)
        });
        crate::batches::export_parts(
            parts,
            |part| async move {
                crate::panic::contained_export(|| self.inner.export(LogBatch::new(&part))).await
            },
            &self.counters,
            &self.budget,
        )
        .await
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// Makes `provider` where bridged records and exception records go.
pub(crate) fn install(provider: &SdkLoggerProvider, exceptions: ExceptionSignal) {
    // As the spans' scope: these records follow the same conventions.
    let scope = InstrumentationScope::builder("otel-traced")
        .with_version(env!("CARGO_PKG_VERSION"))
        .with_schema_url(crate::SCHEMA_URL)
        .build();
    let loggers = Loggers {
        #[cfg(feature = "log")]
        provider: provider.clone(),
        exceptions: provider.logger_with_scope(scope),
        #[cfg(feature = "log")]
        log: opentelemetry_appender_log::OpenTelemetryLogBridge::new(provider),
        #[cfg(feature = "tracing")]
        tracing: opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge::new(provider),
    };
    *INSTALLED.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(loggers));
    EXPORTING.store(true, Ordering::Release);
    let signal = match exceptions {
        ExceptionSignal::SpanEvent => SPAN_EVENT,
        ExceptionSignal::Log => LOG,
        ExceptionSignal::Both => BOTH,
    };
    EXCEPTION_SIGNAL.store(signal, Ordering::Release);
}

/// Stops sending records to the pipeline; exceptions are span events again.
pub(crate) fn uninstall() {
    EXCEPTION_SIGNAL.store(SPAN_EVENT, Ordering::Release);
    EXPORTING.store(false, Ordering::Release);
    INSTALLED
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
}

/// Where an exception goes: `(as a span event, as a log record)`.
pub(crate) fn exception_targets() -> (bool, bool) {
    match EXCEPTION_SIGNAL.load(Ordering::Acquire) {
        LOG => (false, true),
        BOTH => (true, true),
        _ => (true, false),
    }
}

/// Whether telemetry is suppressed in the current context, or the context is out
/// of reach (a thread exiting past it, where reading it would panic): no record
/// is made either way.
fn suppressed_here() -> bool {
    crate::thread_exit::map_current(opentelemetry::Context::is_telemetry_suppressed).unwrap_or(true)
}

/// Emits the exception log record of the conventions (event name `exception`,
/// severity ERROR, the `exception.*` attributes), linked to the span it ended.
/// None where telemetry is suppressed (an exporter's own calls, which the SDK runs
/// so): the record below attaches a context of its own, which would lose that, and
/// a failing export of the logs would make a record of its failure, then another.
pub(crate) fn emit_exception(span: &SpanContext, attributes: &[KeyValue]) -> bool {
    if suppressed_here() {
        return false;
    }
    with_loggers(
        |_| None,
        |loggers| {
            let mut record = loggers.exceptions.create_log_record();
            record.set_event_name("exception");
            record.set_severity_number(Severity::Error);
            record.set_severity_text("ERROR");
            // No ids rather than zeros, for a call outside any trace: none set,
            // and no span current for the SDK to take them from (an invalid one,
            // a no-op span of the global API, would give zeros).
            let _outside = (!span.is_valid()).then(|| opentelemetry::Context::new().attach());
            if span.is_valid() {
                record.set_trace_context(span.trace_id(), span.span_id(), Some(span.trace_flags()));
            }
            // Held to the limits where it is exported, as every record is.
            record.add_attributes(
                (attributes.iter())
                    .map(|attribute| (attribute.key.clone(), any_value(&attribute.value))),
            );
            loggers.exceptions.emit(record);
        },
    )
}

/// The loggers installed, taken out of the lock: the bridges format the user's
/// values, which may log in turn, and a second read of the lock behind a waiting
/// writer (a guard shutting down) would deadlock.
fn installed() -> Option<Arc<Loggers>> {
    INSTALLED
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

/// Exports the log records queued so far, as `log::logger().flush()` asks of the
/// logger (before a `process::exit`, which no guard outlives); it waits for the
/// export, a flush for the SDK's flush timeout (5 s) at most. Not on the export
/// thread, nor where telemetry is suppressed (an exporter's own calls): the flush
/// would wait on itself; nor on a thread exiting past the API's context. One at a
/// time, and merged: a call waits for the flush under way, then returns if a
/// flush that started after the call did ended meanwhile (it took the caller's
/// records), else flushes: a call made during a flush that does not take its
/// records may wait twice the timeout. Flushes asked at once would each leave a
/// request in the SDK's queue while the export is stuck, holding up the
/// shutdown's.
#[cfg(feature = "log")]
pub(crate) fn flush() {
    /// Flushes started so far.
    static STARTED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    /// The number of the last flush that ended (its place in `STARTED`).
    static ENDED: std::sync::Mutex<u64> = std::sync::Mutex::new(0);
    if !exported() || crate::route::on_export_thread() || suppressed_here() {
        return;
    }
    if let Some(loggers) = installed() {
        let before_this_call = STARTED.load(Ordering::Acquire);
        let mut ended = ENDED.lock().unwrap_or_else(PoisonError::into_inner);
        if *ended > before_this_call {
            return;
        }
        let this_flush = STARTED.fetch_add(1, Ordering::AcqRel) + 1;
        // A failure is the export's, which the guard counts and says.
        let _ = loggers.provider.force_flush();
        *ended = this_flush;
    }
}

/// Exports a record of the `log` crate through `opentelemetry-appender-log`, with
/// where it was logged (`code.file.path`, `code.line.number`, which the bridge
/// leaves out, or writes under the deprecated keys); the SDK links it to the
/// current span.
#[cfg(feature = "log")]
pub(crate) fn export_log_record(record: &::log::Record<'_>) {
    with_loggers(
        |_| None,
        |loggers| {
            let located = Located(record);
            let record = record.to_builder().key_values(&located).build();
            ::log::Log::log(&loggers.log, &record);
        },
    );
}

/// A record's key-values, and where it was logged.
#[cfg(feature = "log")]
struct Located<'a, 'r>(&'a ::log::Record<'r>);

#[cfg(feature = "log")]
impl ::log::kv::Source for Located<'_, '_> {
    fn visit<'kvs>(
        &'kvs self,
        visitor: &mut dyn ::log::kv::VisitSource<'kvs>,
    ) -> Result<(), ::log::kv::Error> {
        use ::log::kv::{Key, Value};
        self.0.key_values().visit(visitor)?;
        if let Some(file) = self.0.file() {
            visitor.visit_pair(Key::from_str("code.file.path"), Value::from(file))?;
        }
        if let Some(line) = self.0.line() {
            visitor.visit_pair(Key::from_str("code.line.number"), Value::from(line))?;
        }
        Ok(())
    }
}

/// Runs `export` with the `opentelemetry-appender-tracing` bridge, if logs are
/// exported: under the context `context` makes of the current one, if it makes one
/// (an event naming its span; see `tracing::named_span`).
#[cfg(feature = "tracing")]
pub(crate) fn with_tracing_bridge(
    context: impl FnOnce(&opentelemetry::Context) -> Option<opentelemetry::Context>,
    export: impl FnOnce(
        &opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge<
            SdkLoggerProvider,
            SdkLogger,
        >,
    ),
) {
    with_loggers(context, |loggers| export(&loggers.tracing));
}

/// The limits records are held to where they are exported: the logs SDK applies
/// none, and its records take no attribute away, so a record past them is copied,
/// its first attributes kept and their strings cut.
#[derive(Debug)]
struct WithinLimits {
    limits: LogLimits,
    /// Makes the copies: a logger of a provider that processes nothing.
    blank: SdkLogger,
}

impl WithinLimits {
    fn new(limits: LogLimits) -> Self {
        WithinLimits {
            limits,
            blank: SdkLoggerProvider::builder().build().logger("otel-traced"),
        }
    }

    /// `record` held to the limits, if it is past them.
    fn copy(&self, record: &SdkLogRecord) -> Option<SdkLogRecord> {
        let LogLimits {
            max_attributes,
            value_length,
        } = self.limits;
        let too_many = record.attributes_iter().nth(max_attributes).is_some();
        let too_long = value_length.is_some_and(|limit| {
            (record.attributes_iter().take(max_attributes))
                .any(|(_, value)| longer_than(value, limit))
        });
        if !too_many && !too_long {
            return None;
        }
        let mut copy = self.blank.create_log_record();
        if let Some(name) = record.event_name() {
            copy.set_event_name(name);
        }
        if let Some(target) = record.target() {
            copy.set_target(target.clone());
        }
        if let Some(timestamp) = record.timestamp() {
            copy.set_timestamp(timestamp);
        }
        if let Some(observed) = record.observed_timestamp() {
            copy.set_observed_timestamp(observed);
        }
        if let Some(context) = record.trace_context() {
            copy.set_trace_context(context.trace_id, context.span_id, context.trace_flags);
        }
        if let Some(text) = record.severity_text() {
            copy.set_severity_text(text);
        }
        if let Some(number) = record.severity_number() {
            copy.set_severity_number(number);
        }
        if let Some(body) = record.body() {
            copy.set_body(body.clone());
        }
        copy.add_attributes(
            (record.attributes_iter().take(max_attributes)).map(|(key, value)| {
                let value = match value_length {
                    Some(limit) => cut_any(value.clone(), limit),
                    None => value.clone(),
                };
                (key.clone(), value)
            }),
        );
        Some(copy)
    }
}

/// Whether a string of `value` is longer than `limit` characters.
fn longer_than(value: &AnyValue, limit: usize) -> bool {
    match value {
        AnyValue::String(text) => crate::value::is_longer_than(text.as_str(), limit),
        AnyValue::ListAny(items) => items.iter().any(|item| longer_than(item, limit)),
        AnyValue::Map(entries) => entries.values().any(|entry| longer_than(entry, limit)),
        _ => false,
    }
}

/// `value`'s strings cut to `limit` characters, in lists and maps too.
fn cut_any(value: AnyValue, limit: usize) -> AnyValue {
    match value {
        AnyValue::String(text) => AnyValue::String(crate::value::cut_text(text, limit)),
        AnyValue::ListAny(items) => AnyValue::ListAny(Box::new(
            items.into_iter().map(|item| cut_any(item, limit)).collect(),
        )),
        AnyValue::Map(entries) => AnyValue::Map(Box::new(
            (entries.into_iter())
                .map(|(key, entry)| (key, cut_any(entry, limit)))
                .collect(),
        )),
        other => other,
    }
}

/// A span attribute's value as a log attribute's.
fn any_value(value: &Value) -> AnyValue {
    match value {
        Value::Bool(value) => AnyValue::Boolean(*value),
        Value::I64(value) => AnyValue::Int(*value),
        Value::F64(value) => AnyValue::Double(*value),
        Value::String(value) => AnyValue::String(value.clone()),
        // Arrays and any later kinds: their text.
        other => AnyValue::String(other.to_string().into()),
    }
}

/// Whether a logs pipeline is installed: records of the bridges are exported.
#[inline]
pub(crate) fn exported() -> bool {
    EXPORTING.load(Ordering::Acquire)
}

/// Runs `f` with the installed loggers, unless there are none, this is an export
/// thread (see `route::mark_export_thread`), or the thread is exiting past the
/// current context the SDK reads for a record's trace context (`thread_exit`).
/// The SDK takes the current span for a record's trace context: `f` runs under
/// the context `context` makes of the current one, if it makes one; else, under a
/// no-op span (the global API's with no provider there, which no trace
/// continues), without it, and the record carries no ids rather than zeros.
fn with_loggers(
    context: impl FnOnce(&opentelemetry::Context) -> Option<opentelemetry::Context>,
    f: impl FnOnce(&Loggers),
) -> bool {
    // Not in a capture either: it is isolated from the pipelines the process
    // installed, as its spans are.
    if !exported()
        || crate::route::on_export_thread()
        || !crate::thread_exit::context_reachable()
        || crate::route::CaptureRoute::holds_current()
    {
        return false;
    }
    let Some(loggers) = installed() else {
        return false;
    };
    let replaced = opentelemetry::Context::map_current(|current| {
        context(current).or_else(|| {
            crate::callsite::holds_invalid_span(current)
                .then(|| crate::callsite::boundary_base(current))
        })
    });
    let _replaced = replaced.map(opentelemetry::Context::attach);
    f(&loggers);
    true
}

#[cfg(test)]
pub(crate) mod tests {
    use super::{CountedLogExporter, WithinLimits};
    use crate::config::LogLimits;
    use crate::processor::Counters;
    use opentelemetry::InstrumentationScope;
    use opentelemetry::logs::{
        AnyValue, LogRecord as _, Logger as _, LoggerProvider as _, Severity,
    };
    use opentelemetry::trace::{SpanId, TraceFlags, TraceId};
    use opentelemetry_sdk::error::OTelSdkResult;
    use opentelemetry_sdk::logs::{LogBatch, LogExporter, SdkLogRecord, SdkLoggerProvider};
    use std::sync::{Arc, Mutex};

    /// Remembers how many records each request held.
    #[derive(Debug, Default)]
    struct Requests(Mutex<Vec<usize>>);

    impl LogExporter for Requests {
        async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
            self.0.lock().unwrap().push(batch.iter().count());
            Ok(())
        }
    }

    /// A record whose body is `text` bytes long.
    pub(crate) fn record(text: usize) -> SdkLogRecord {
        let mut record = SdkLoggerProvider::builder()
            .build()
            .logger("test")
            .create_log_record();
        record.set_body("x".repeat(text).into());
        record.set_observed_timestamp(std::time::SystemTime::UNIX_EPOCH);
        record
    }

    #[test]
    fn only_the_names_tracing_makes_up_are_taken_for_a_call_sites() {
        for made_up in [
            "event src/db.rs:88",
            "log event",
            "event C:\\app\\src\\db.rs:7",
        ] {
            assert!(super::names_a_call_site(made_up), "{made_up}");
        }
        for given in [
            "user.login",
            "exception",
            "event",
            "event src/db.rs",
            "eventful:1",
        ] {
            assert!(!super::names_a_call_site(given), "{given}");
        }
    }

    #[test]
    fn heavy_log_records_go_out_in_requests_a_collector_takes() {
        let counters = Arc::new(Counters::default());
        counters.accept(4);
        let exporter = CountedLogExporter {
            inner: Requests::default(),
            counters: Arc::clone(&counters),
            limits: WithinLimits::new(LogLimits {
                max_attributes: 128,
                value_length: None,
            }),
            budget: crate::batches::Budget::default(),
        };
        let records = [
            record(2 << 20),
            record(2 << 20),
            record(10),
            record(2 << 20),
        ];
        let scope = InstrumentationScope::builder("test").build();
        let batch: Vec<(&SdkLogRecord, &InstrumentationScope)> =
            records.iter().map(|record| (record, &scope)).collect();
        let _ = crate::panic::tests::polled_to_end(exporter.export(LogBatch::new(&batch)));
        assert_eq!(*exporter.inner.0.lock().unwrap(), [1, 2, 1]);
        assert_eq!(counters.unexported(), 0, "every record counted");
    }

    #[test]
    fn a_record_past_the_limits_is_copied_with_its_first_attributes_cut() {
        let within = WithinLimits::new(LogLimits {
            max_attributes: 2,
            value_length: Some(4),
        });
        let mut original = record(100);
        original.set_event_name("order.failed");
        original.set_target("shop");
        original.set_timestamp(std::time::SystemTime::UNIX_EPOCH);
        original.set_severity_number(Severity::Warn);
        original.set_severity_text("WARN");
        original.set_trace_context(TraceId::from(7), SpanId::from(9), Some(TraceFlags::SAMPLED));
        original.add_attribute("note", "ééééé");
        let listed = AnyValue::ListAny(Box::new(vec!["abcdefgh".into(), 1_i64.into()]));
        original.add_attribute("items", listed);
        original.add_attribute("third", 3_i64);
        let copy = within.copy(&original).expect("past the limits");
        let attributes: Vec<_> = copy.attributes_iter().cloned().collect();
        let cut = AnyValue::ListAny(Box::new(vec!["abcd".into(), 1_i64.into()]));
        assert_eq!(
            attributes,
            [("note".into(), "éééé".into()), ("items".into(), cut)]
        );
        assert_eq!(copy.body(), original.body(), "a body is no attribute");
        assert_eq!(copy.event_name(), Some("order.failed"));
        assert_eq!(copy.target(), original.target());
        assert_eq!(copy.timestamp(), original.timestamp());
        assert_eq!(copy.observed_timestamp(), original.observed_timestamp());
        assert_eq!(copy.severity_number(), Some(Severity::Warn));
        assert_eq!(copy.severity_text(), Some("WARN"));
        assert_eq!(copy.trace_context(), original.trace_context());
        let mut short = record(100);
        short.add_attribute("note", "éééé");
        short.add_attribute("items", AnyValue::ListAny(Box::new(vec!["abcd".into()])));
        assert!(within.copy(&short).is_none(), "within them");
        short.add_attribute("third", 3_i64);
        assert!(within.copy(&short).is_some(), "past the count");
    }
}
