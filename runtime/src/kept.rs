//! Our spans keep what is set on them late until they end ([`Kept`]), where the
//! SDK's span would take it at once and keep the wrong thing.
//!
//! The status a body sets with [`crate::set_status`] wins over the automatic one (a
//! returned error, a panic, a failed reply: DESIGN §3), under the API's rules for
//! setting a status: only the last call counts, but `Ok` is final and `Unset` is
//! ignored. The automatic ones follow the same rules among themselves: of two
//! failures (a stream's `Err` items, a gRPC reply after one), the last is the
//! call's, as its `error.type` and its duration metric say. Other code's calls of
//! the API keep the SDK's order: the greater of two statuses (Ok over Error over
//! Unset) and, of two Errors, the one whose description sorts last
//! (`tracing-opentelemetry` sets `Error("")` at every error event, and counts on
//! an earlier description staying); its `Ok` is final over the body's Error too,
//! as the API has an Ok override any Error (a `tracing` span's
//! `otel.status_code = "ok"`). The SDK cannot take a status back: an explicit
//! Error would lose to an automatic one that sorts after it, also one set earlier.
//! So the span hands the SDK one status when it ends.
//!
//! Attributes set again are the other thing ([`late`]).

mod late;

pub(crate) use late::REPEATS_AT_MOST;
use late::{LateAttributes, Passed};
use opentelemetry::KeyValue;
use opentelemetry::trace::{Span, SpanContext, SpanRef, Status};
use std::borrow::Cow;
use std::cell::Cell;
use std::time::SystemTime;

/// Who sets a status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Setter {
    /// Other code, through the API.
    Other,
    /// The call's outcome: a returned error, a panic, a failed reply.
    Automatic,
    /// The body's decision ([`crate::set_status`]).
    Explicit,
}

thread_local! {
    /// Set while [`set_explicit`] or [`set_automatic`] sets a status, so that the
    /// span tells the body's decision and the call's outcome from other code's
    /// calls of the API.
    static SETTER: Cell<Setter> = const { Cell::new(Setter::Other) };
}

/// Sets `status` on `span` as the body's own decision.
pub(crate) fn set_explicit(span: &SpanRef<'_>, status: Status) {
    setting(Setter::Explicit, || span.set_status(status));
}

/// Sets `status` on `span` as the call's outcome.
pub(crate) fn set_automatic(span: &SpanRef<'_>, status: Status) {
    setting(Setter::Automatic, || span.set_status(status));
}

/// The conventions' `error.type`.
const ERROR_TYPE: &str = "error.type";

/// Sets `error.type` on `span` as the call's outcome says it (the error's type
/// name, a reply's code), unless the body set its own (`record!(error.type =
/// "timeout")`, the low-cardinality kind the conventions ask for), which the
/// call's outcome, set after the body, would otherwise replace.
pub(crate) fn set_automatic_error_type(span: &SpanRef<'_>, error_type: opentelemetry::Value) {
    setting(Setter::Automatic, || {
        span.set_attribute(KeyValue::new(ERROR_TYPE, error_type));
    });
}

/// Runs `set` with the statuses it sets taken for `setter`'s. The flag is
/// restored, not cleared, when `set` returns or unwinds: another tracer's span
/// may call back into `set_status`, or panic.
fn setting(setter: Setter, set: impl FnOnce()) {
    struct Restore(Setter);
    impl Drop for Restore {
        fn drop(&mut self) {
            SETTER.set(self.0);
        }
    }
    let _restore = Restore(SETTER.replace(setter));
    set();
}

/// A span that keeps the statuses set on it until it ends (an Ok whoever set it,
/// else the body's decision if it made one, else the last of the others) and the
/// values of keys set again late.
#[derive(Debug)]
pub(crate) struct Kept<S: Span> {
    span: S,
    status: Status,
    /// Whether `status` is the body's decision.
    decided: bool,
    /// Whether `error.type` was set other than as the call's outcome: by the
    /// body, which the outcome then leaves as it is.
    error_type_given: bool,
    attributes: LateAttributes,
}

impl<S: Span> Kept<S> {
    pub(crate) fn new(span: S) -> Self {
        Kept {
            span,
            status: Status::Unset,
            decided: false,
            error_type_given: false,
            attributes: LateAttributes::default(),
        }
    }

    /// Hands the kept attributes and status to the span, once.
    fn apply(&mut self) {
        let attributes = self.attributes.take();
        if !attributes.is_empty() {
            self.span.set_attributes(attributes);
        }
        let status = std::mem::take(&mut self.status);
        if status != Status::Unset {
            self.span.set_status(status);
        }
    }
}

impl<S: Span> Span for Kept<S> {
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
        // Nothing to keep for a span that records nothing (a `tracing` span
        // sampled out): its values would wait for nothing until it ends.
        if !self.span.is_recording() {
            return;
        }
        if attribute.key.as_str() == ERROR_TYPE {
            match SETTER.get() {
                Setter::Automatic if self.error_type_given => return,
                Setter::Automatic => {}
                Setter::Explicit | Setter::Other => self.error_type_given = true,
            }
        }
        match self.attributes.set(attribute) {
            Passed::Nothing => {}
            Passed::One(attribute) => self.span.set_attribute(attribute),
            Passed::AfterKept(attributes) => self.span.set_attributes(attributes),
        }
    }

    fn set_status(&mut self, status: Status) {
        match SETTER.get() {
            Setter::Explicit => {
                // Ok is final, whoever set it (the API's rule).
                let is_final = self.status == Status::Ok;
                if status != Status::Unset && !is_final {
                    self.status = status;
                    self.decided = true;
                }
            }
            Setter::Automatic if !self.decided => {
                if status != Status::Unset && self.status != Status::Ok {
                    self.status = status;
                }
            }
            // Other code's Ok is final over a decided Error too: the API's rule
            // ("overrides any prior or future attempts" to set an Error).
            Setter::Other if !self.decided || status == Status::Ok => {
                if status > self.status {
                    self.status = status;
                }
            }
            Setter::Automatic | Setter::Other => {}
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

impl<S: Span> Drop for Kept<S> {
    /// A span dropped without being ended ends as it drops (the SDK's does): with
    /// its status and the attributes kept aside. One that ended has nothing left
    /// to apply.
    fn drop(&mut self) {
        self.apply();
    }
}

#[cfg(test)]
mod tests {
    use super::{Kept, Setter, setting};
    use opentelemetry::trace::{Span, Status, Tracer, TracerProvider};
    use opentelemetry_sdk::trace::{SdkTracerProvider, Span as SdkSpan};

    /// The status the SDK's span holds once `set` ran and the kept one was applied.
    fn applied(set: impl FnOnce(&mut Kept<SdkSpan>)) -> Status {
        let provider = SdkTracerProvider::builder().build();
        let mut span = Kept::new(provider.tracer("test").start("span"));
        set(&mut span);
        span.apply();
        let data = span.span.exported_data().expect("a recording span");
        data.status
    }

    fn explicitly(span: &mut Kept<SdkSpan>, status: Status) {
        setting(Setter::Explicit, || span.set_status(status));
    }

    fn automatically(span: &mut Kept<SdkSpan>, status: Status) {
        setting(Setter::Automatic, || span.set_status(status));
    }

    #[test]
    fn the_last_error_decided_wins_over_everything_else() {
        let status = applied(|span| {
            automatically(span, Status::error("zz automatic, before"));
            explicitly(span, Status::error("ab first"));
            explicitly(span, Status::error("aa second"));
            explicitly(span, Status::Unset);
            automatically(span, Status::error("zz automatic, after"));
            span.set_status(Status::error("zz other code's"));
        });
        assert_eq!(status, Status::error("aa second"));
    }

    #[test]
    fn other_codes_ok_is_final_over_a_decided_error() {
        let status = applied(|span| {
            explicitly(span, Status::error("decided"));
            span.set_status(Status::Ok);
            explicitly(span, Status::error("after"));
            automatically(span, Status::error("automatic"));
        });
        assert_eq!(status, Status::Ok);
    }

    #[test]
    fn a_decided_ok_is_final() {
        let status = applied(|span| {
            explicitly(span, Status::error("before"));
            explicitly(span, Status::Ok);
            explicitly(span, Status::error("after"));
            automatically(span, Status::error("automatic"));
        });
        assert_eq!(status, Status::Ok);
    }

    #[test]
    fn of_the_calls_outcomes_the_last_counts_and_ok_is_final() {
        let status = applied(|span| {
            automatically(span, Status::error("a"));
            automatically(span, Status::error("b"));
            automatically(span, Status::error("a later one"));
            automatically(span, Status::Unset);
        });
        assert_eq!(
            status,
            Status::error("a later one"),
            "not the one sorting last"
        );
        let status = applied(|span| {
            span.set_status(Status::Ok);
            automatically(span, Status::error("after"));
        });
        assert_eq!(status, Status::Ok);
        assert_eq!(applied(|_| ()), Status::Unset);
    }

    #[test]
    fn other_codes_statuses_keep_the_sdks_order() {
        // `tracing-opentelemetry` sets `Error("")` at every error event.
        let status = applied(|span| {
            span.set_status(Status::error("connection refused"));
            span.set_status(Status::error(""));
        });
        assert_eq!(status, Status::error("connection refused"));
        let status = applied(|span| {
            automatically(span, Status::error("declined"));
            span.set_status(Status::error(""));
        });
        assert_eq!(
            status,
            Status::error("declined"),
            "an empty description does not replace an outcome"
        );
        let status = applied(|span| {
            span.set_status(Status::error("zz"));
            automatically(span, Status::error("declined"));
        });
        assert_eq!(status, Status::error("declined"), "which replaces theirs");
    }

    #[test]
    fn a_span_recording_nothing_keeps_nothing_aside() {
        use opentelemetry::KeyValue;
        let provider = SdkTracerProvider::builder()
            .with_sampler(opentelemetry_sdk::trace::Sampler::AlwaysOff)
            .build();
        let mut span = Kept::new(provider.tracer("test").start("span"));
        for step in 0..20 {
            span.set_attribute(KeyValue::new("step", step));
        }
        assert!(span.attributes.take().is_empty());
    }

    #[test]
    fn the_flag_is_restored_when_setting_unwinds() {
        let unwound = std::panic::catch_unwind(|| {
            setting(Setter::Explicit, || panic!("a tracer's span"));
        });
        assert!(unwound.is_err());
        // Other code's status, which the call's outcome replaces, as above: a
        // flag left at `Explicit` would have made it a decision.
        let status = applied(|span| {
            span.set_status(Status::error("zz"));
            automatically(span, Status::error("a"));
        });
        assert_eq!(status, Status::error("a"));
        let status = applied(|span| {
            span.set_status(Status::error("b"));
            span.set_status(Status::error("a"));
        });
        assert_eq!(status, Status::error("b"), "taken for other code's");
    }
}
