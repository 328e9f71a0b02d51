//! The status a body sets with [`crate::set_status`] wins over the automatic one (a
//! returned error, a panic, a failed reply: DESIGN §3), and of two it sets, the last
//! one counts (the API's "only the value of the last call will be recorded"). The
//! SDK keeps the greater of two statuses (Ok over Error over Unset) and, of two
//! Errors, the one whose description sorts last, and cannot take one back: an
//! explicit Error would lose to an automatic one that sorts after it, also one
//! set earlier (a stream's `Err` item). So our spans keep what is set on them
//! ([`StatusKept`]) and hand the SDK one status when they end.

use opentelemetry::KeyValue;
use opentelemetry::trace::{Span, SpanContext, SpanRef, Status};
use std::borrow::Cow;
use std::cell::Cell;
use std::time::SystemTime;

thread_local! {
    /// Set while [`set_explicit`] sets a status, so that the span tells the body's
    /// decision from the automatic status and from other code's calls of the API.
    static EXPLICIT: Cell<bool> = const { Cell::new(false) };
}

/// Sets `status` on `span` as the body's own decision.
pub(crate) fn set_explicit(span: &SpanRef<'_>, status: Status) {
    EXPLICIT.set(true);
    span.set_status(status);
    EXPLICIT.set(false);
}

/// A span that keeps the statuses set on it until it ends: the body's last
/// decision if it made one, else the greatest of the others, as the SDK would.
#[derive(Debug)]
pub(crate) struct StatusKept<S: Span> {
    span: S,
    status: Status,
    /// Whether `status` is the body's decision.
    decided: bool,
}

impl<S: Span> StatusKept<S> {
    pub(crate) fn new(span: S) -> Self {
        StatusKept {
            span,
            status: Status::Unset,
            decided: false,
        }
    }

    /// Hands the kept status to the span, once.
    fn apply(&mut self) {
        let status = std::mem::take(&mut self.status);
        if status != Status::Unset {
            self.span.set_status(status);
        }
    }
}

impl<S: Span> Span for StatusKept<S> {
    fn add_event_with_timestamp<T>(
        &mut self,
        name: T,
        timestamp: SystemTime,
        attributes: Vec<KeyValue>,
    ) where
        T: Into<Cow<'static, str>>,
    {
        self.span
            .add_event_with_timestamp(name, timestamp, attributes);
    }

    fn span_context(&self) -> &SpanContext {
        self.span.span_context()
    }

    fn is_recording(&self) -> bool {
        self.span.is_recording()
    }

    fn set_attribute(&mut self, attribute: KeyValue) {
        self.span.set_attribute(attribute);
    }

    fn set_status(&mut self, status: Status) {
        if EXPLICIT.get() {
            self.status = status;
            self.decided = true;
        } else if !self.decided && status > self.status {
            self.status = status;
        }
    }

    fn update_name<T>(&mut self, new_name: T)
    where
        T: Into<Cow<'static, str>>,
    {
        self.span.update_name(new_name);
    }

    fn add_link(&mut self, span_context: SpanContext, attributes: Vec<KeyValue>) {
        self.span.add_link(span_context, attributes);
    }

    fn end_with_timestamp(&mut self, timestamp: SystemTime) {
        self.apply();
        self.span.end_with_timestamp(timestamp);
    }
}

impl<S: Span> Drop for StatusKept<S> {
    /// A span dropped without being ended ends as it drops (the SDK's does): with
    /// its status. One that ended has nothing left to apply.
    fn drop(&mut self) {
        self.apply();
    }
}

#[cfg(test)]
mod tests {
    use super::{EXPLICIT, StatusKept};
    use opentelemetry::trace::{Span, Status, Tracer, TracerProvider};
    use opentelemetry_sdk::trace::{SdkTracerProvider, Span as SdkSpan};

    /// The status the SDK's span holds once `set` ran and the kept one was applied.
    fn applied(set: impl FnOnce(&mut StatusKept<SdkSpan>)) -> Status {
        let provider = SdkTracerProvider::builder().build();
        let mut span = StatusKept::new(provider.tracer("test").start("span"));
        set(&mut span);
        span.apply();
        let data = span.span.exported_data().expect("a recording span");
        data.status
    }

    fn explicitly(span: &mut StatusKept<SdkSpan>, status: Status) {
        EXPLICIT.set(true);
        span.set_status(status);
        EXPLICIT.set(false);
    }

    #[test]
    fn the_last_decision_wins_over_everything_else() {
        let status = applied(|span| {
            span.set_status(Status::error("zz automatic, before"));
            explicitly(span, Status::error("ab first"));
            explicitly(span, Status::error("aa second"));
            span.set_status(Status::error("zz automatic, after"));
            span.set_status(Status::Ok);
        });
        assert_eq!(status, Status::error("aa second"));
        let status = applied(|span| {
            explicitly(span, Status::Ok);
            explicitly(span, Status::error("changed its mind"));
        });
        assert_eq!(status, Status::error("changed its mind"));
    }

    #[test]
    fn without_a_decision_the_sdks_order_holds() {
        let status = applied(|span| {
            span.set_status(Status::error("b"));
            span.set_status(Status::error("a"));
        });
        assert_eq!(status, Status::error("b"));
        assert_eq!(applied(|span| span.set_status(Status::Ok)), Status::Ok);
        assert_eq!(applied(|_| ()), Status::Unset);
    }
}
