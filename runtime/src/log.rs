//! Log correlation (feature `log`): every record of the `log` crate emitted inside
//! a span carries its `trace_id` and `span_id`, so logs and traces join in ELK,
//! Loki or any backend (query the trace id, get its log lines).
//!
//! ```
//! struct Stderr;
//! impl log::Log for Stderr {
//!     fn enabled(&self, _: &log::Metadata<'_>) -> bool { true }
//!     fn log(&self, record: &log::Record<'_>) { eprintln!("{}", record.args()) }
//!     fn flush(&self) {}
//! }
//! let logger = Box::leak(Box::new(otel_traced::log::with_trace_context(Stderr)));
//! log::set_logger(logger).unwrap();
//! // The `log` crate drops every record until a maximum level is set.
//! log::set_max_level(log::LevelFilter::Info);
//! ```

use ::log::kv::{Error, Key, Source, Value, VisitSource};
use ::log::{Log, Metadata, Record};
use opentelemetry::trace::SpanContext;

/// Wraps `inner` so that each record emitted inside a span reaches it with
/// `trace_id` and `span_id` (lowercase hex) added to its key-values. Outside a span
/// records pass unchanged. When `init()` exports logs (OTLP), every record `inner`
/// is enabled for is also exported through `opentelemetry-appender-log`, linked to
/// the current span: its message formatted once for both, its key-values read by
/// each (given to `inner` as they are, structured ones too).
pub fn with_trace_context<L: Log>(inner: L) -> TraceContextLogger<L> {
    TraceContextLogger { inner }
}

/// A logger adding the current span's ids to every record; see
/// [`with_trace_context`].
#[derive(Debug)]
pub struct TraceContextLogger<L> {
    inner: L,
}

impl<L: Log> Log for TraceContextLogger<L> {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.inner.enabled(metadata)
    }

    fn log(&self, record: &Record<'_>) {
        // The `log` macros ask only the global maximum level: a record the inner
        // logger filters out (env_logger's `RUST_LOG=info,sqlx=warn`) is neither
        // printed nor exported.
        if !self.inner.enabled(record.metadata()) {
            return;
        }
        // Read once: logs installed meanwhile (an `init()` on another thread)
        // must not export a record that was not formatted for it.
        let exported = crate::logs::exported();
        if exported && record.args().as_str().is_none() {
            // Formatted once, for the export and `inner` alike: a value that can be
            // formatted only once (itertools' `format`) would panic the second
            // time, and any other would be formatted twice. A `Display` that
            // fails leaves what it wrote, as a logger writing the record would
            // (`to_string` would panic in the application's `log!` call).
            let mut message = String::new();
            let _ = std::fmt::Write::write_fmt(&mut message, *record.args());
            self.log_exported(
                &record.to_builder().args(format_args!("{message}")).build(),
                true,
            );
        } else {
            self.log_exported(record, exported);
        }
    }

    /// Flushes `inner`, and exports the records queued for export.
    fn flush(&self) {
        self.inner.flush();
        crate::logs::flush();
    }
}

impl<L: Log> TraceContextLogger<L> {
    /// Exports `record` (when `export`, logs being exported) and hands it to
    /// `inner` with the current span's ids.
    fn log_exported(&self, record: &Record<'_>, export: bool) {
        // A key-value whose `Display` fails panics in the appender's formatting:
        // that record is not exported, and the application's `log!` goes on.
        if export {
            crate::panic::contained(|| crate::logs::export_log_record(record));
        }
        let span_context = crate::thread_exit::current_span_context();
        let Some(span_context) = span_context.filter(SpanContext::is_valid) else {
            self.inner.log(record);
            return;
        };
        let trace_id = span_context.trace_id().to_string();
        let span_id = span_context.span_id().to_string();
        let ids = [
            ("trace_id", trace_id.as_str()),
            ("span_id", span_id.as_str()),
        ];
        let key_values = Chained(record.key_values(), &ids);
        self.inner
            .log(&record.to_builder().key_values(&key_values).build());
    }
}

/// The record's own key-values, then ours.
struct Chained<'a>(&'a dyn Source, &'a dyn Source);

impl Source for Chained<'_> {
    fn visit<'kvs>(&'kvs self, visitor: &mut dyn VisitSource<'kvs>) -> Result<(), Error> {
        self.0.visit(visitor)?;
        self.1.visit(visitor)
    }

    fn get(&self, key: Key<'_>) -> Option<Value<'_>> {
        self.0.get(key.clone()).or_else(|| self.1.get(key))
    }

    fn count(&self) -> usize {
        self.0.count() + self.1.count()
    }
}
