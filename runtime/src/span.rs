//! A span while its function runs: recording into it and ending it exactly once.

use crate::callsite::CallKind;
use crate::outcome::ErrorReport;
use opentelemetry::trace::{Span as _, Status, TraceContextExt as _};
use opentelemetry::{Context, ContextGuard, Key, KeyValue, Value};
use opentelemetry_sdk::trace::Span as SdkSpan;

/// Set on a span whose future was dropped before it completed.
const CANCELLED: Key = Key::from_static_str("otel_traced.cancelled");
const ERROR_TYPE: Key = Key::from_static_str("error.type");
const EXCEPTION_TYPE: Key = Key::from_static_str("exception.type");
const EXCEPTION_MESSAGE: Key = Key::from_static_str("exception.message");

/// Records the arguments of a span that is being opened (it is not yet shared, so
/// this writes into it without locking).
#[doc(hidden)]
#[derive(Debug)]
pub struct Attributes<'a> {
    span: &'a mut SdkSpan,
}

impl<'a> Attributes<'a> {
    pub(crate) fn new(span: &'a mut SdkSpan) -> Self {
        Attributes { span }
    }

    /// Records `value` under `key`; `None` (an empty `Option`) records nothing.
    #[inline]
    pub fn push(&mut self, key: &'static str, value: Option<Value>) {
        if let Some(value) = value {
            self.span
                .set_attribute(KeyValue::new(Key::from_static_str(key), value));
        }
    }
}

/// A shared handle on the span of the running call, for recording its outcome.
/// Empty when nothing records (not initialised, or no destination).
#[doc(hidden)]
#[derive(Clone, Debug, Default)]
pub struct SpanHandle {
    context: Option<Context>,
}

impl SpanHandle {
    /// Records an error returned by the function: status Error with its description,
    /// `error.type`, and an `exception` event. `report` runs only when the span is
    /// recording.
    pub fn record_error(&self, report: impl FnOnce() -> ErrorReport) {
        let Some(context) = &self.context else { return };
        let span = context.span();
        if !span.is_recording() {
            return;
        }
        let report = report();
        span.set_attribute(KeyValue::new(ERROR_TYPE, report.type_name));
        span.add_event(
            "exception",
            vec![
                KeyValue::new(EXCEPTION_TYPE, report.type_name),
                KeyValue::new(EXCEPTION_MESSAGE, report.message),
            ],
        );
        span.set_status(Status::error(report.description));
    }
}

/// The span of one call of an annotated function; it ends the span when dropped.
///
/// Ending happens exactly once: on [`ActiveSpan::finish`] for a future that
/// completed, or on drop, which covers returns, early returns, panics (status Error)
/// and futures dropped before completion (`otel_traced.cancelled = true`).
#[doc(hidden)]
#[derive(Debug)]
pub struct ActiveSpan {
    handle: SpanHandle,
    call: CallKind,
}

impl ActiveSpan {
    pub(crate) const fn disabled() -> Self {
        ActiveSpan {
            handle: SpanHandle { context: None },
            call: CallKind::Sync,
        }
    }

    pub(crate) fn new(context: Context, call: CallKind) -> Self {
        ActiveSpan {
            handle: SpanHandle {
                context: Some(context),
            },
            call,
        }
    }

    /// Makes the span's context current until the guard is dropped.
    #[inline]
    pub fn enter(&self) -> Option<ContextGuard> {
        self.handle
            .context
            .as_ref()
            .map(|context| context.clone().attach())
    }

    /// Records an error returned by a synchronous function (see
    /// [`SpanHandle::record_error`]).
    #[inline]
    pub fn record_error(&self, report: impl FnOnce() -> ErrorReport) {
        self.handle.record_error(report);
    }

    /// A handle for recording the outcome from inside the instrumented body.
    #[inline]
    pub fn handle(&self) -> SpanHandle {
        self.handle.clone()
    }

    /// Ends the span of a call that completed.
    pub(crate) fn finish(&mut self) {
        if let Some(context) = self.handle.context.take() {
            context.span().end();
        }
    }
}

impl Drop for ActiveSpan {
    fn drop(&mut self) {
        let Some(context) = self.handle.context.take() else {
            return;
        };
        let span = context.span();
        if std::thread::panicking() {
            span.set_status(Status::error("panicked"));
        } else if self.call == CallKind::Future {
            span.set_attribute(KeyValue::new(CANCELLED, true));
        }
        span.end();
    }
}
