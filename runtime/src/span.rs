//! A span while its function runs: recording into it and ending it exactly once.

use crate::callsite::CallKind;
use crate::kept::Kept;
use crate::outcome::ErrorReport;
use crate::panic::PanicReport;
use crate::tally::{Failure, Tally};
use crate::value::{FORMATTING_PANICKED, within_length_limit};
use opentelemetry::global::BoxedSpan;
use opentelemetry::trace::{Span as _, SpanContext, SpanRef, Status, TraceContextExt as _};
use opentelemetry::{Context, ContextGuard, Key, KeyValue, Value};
use opentelemetry_sdk::trace::Span as SdkSpan;
use std::mem::ManuallyDrop;
use std::panic::{self, AssertUnwindSafe};

/// Set on a span whose future was dropped before it completed.
pub(crate) const CANCELLED: Key = Key::from_static_str("otel_traced.cancelled");
const ERROR_TYPE: Key = Key::from_static_str("error.type");
const EXCEPTION_TYPE: Key = Key::from_static_str("exception.type");
const EXCEPTION_MESSAGE: Key = Key::from_static_str("exception.message");
const EXCEPTION_STACKTRACE: Key = Key::from_static_str("exception.stacktrace");
const RETURN_VALUE: Key = Key::from_static_str("return.value");
/// `error.type` and `exception.type` of a panic.
const PANIC: &str = "panic";

/// A span just opened, before it is shared through a context: the SDK's own, the
/// boxed span of the global provider the application installed, or only the span
/// context of one our sampler dropped before the SDK built anything
/// (`sampling/early.rs`), which records nothing and has nothing to end.
#[derive(Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "it lives on the stack between opening and sharing; boxing the SDK span would cost an allocation per span"
)]
pub(crate) enum OpenedSpan {
    Sdk(SdkSpan),
    Global(BoxedSpan),
    Unsampled(SpanContext),
}

impl OpenedSpan {
    /// The span context, moved out when the span is only that (a span dropped
    /// before the SDK built it), else copied.
    #[inline]
    pub(crate) fn take_span_context(&mut self) -> SpanContext {
        match self {
            OpenedSpan::Unsampled(context) => std::mem::replace(context, SpanContext::NONE),
            span => span.span_context().clone(),
        }
    }
}

/// Runs `$body` with `$span` bound to whichever span `$opened` holds, or
/// `$unsampled` with `$context` bound to the span context of a dropped one (by
/// default nothing: it records nothing).
macro_rules! each_span {
    ($opened:expr, $span:ident => $body:expr) => {
        each_span!($opened, $span => $body, _ => {})
    };
    ($opened:expr, $span:ident => $body:expr, $context:pat => $unsampled:expr) => {
        match $opened {
            OpenedSpan::Sdk($span) => $body,
            OpenedSpan::Global($span) => $body,
            OpenedSpan::Unsampled($context) => $unsampled,
        }
    };
}

/// The span API over both kinds, so that other tracers (the `tracing` bridge)
/// can hand our spans out.
impl opentelemetry::trace::Span for OpenedSpan {
    fn add_event_with_timestamp<T>(
        &mut self,
        name: T,
        timestamp: std::time::SystemTime,
        attributes: Vec<KeyValue>,
    ) where
        T: Into<std::borrow::Cow<'static, str>>,
    {
        each_span!(self, span => span.add_event_with_timestamp(name, timestamp, attributes));
    }

    fn span_context(&self) -> &SpanContext {
        each_span!(self, span => span.span_context(), context => context)
    }

    fn is_recording(&self) -> bool {
        each_span!(self, span => span.is_recording(), _ => false)
    }

    fn set_attribute(&mut self, attribute: KeyValue) {
        each_span!(self, span => span.set_attribute(attribute));
    }

    fn set_status(&mut self, status: Status) {
        each_span!(self, span => span.set_status(status));
    }

    fn update_name<T>(&mut self, new_name: T)
    where
        T: Into<std::borrow::Cow<'static, str>>,
    {
        each_span!(self, span => span.update_name(new_name));
    }

    fn add_link(&mut self, span_context: SpanContext, attributes: Vec<KeyValue>) {
        each_span!(self, span => span.add_link(span_context, attributes));
    }

    fn end_with_timestamp(&mut self, timestamp: std::time::SystemTime) {
        each_span!(self, span => span.end_with_timestamp(timestamp));
    }
}

impl OpenedSpan {
    /// The child of `parent` that holds this span, keeping the statuses set on it
    /// until it ends (`kept.rs`). Wrapped only here, as it is shared: the span
    /// is moved a few times before, each move a copy of the SDK's whole span.
    #[inline]
    pub(crate) fn into_context(self, parent: &Context) -> Context {
        each_span!(
            self,
            span => parent.with_span(Kept::new(span)),
            context => parent.with_remote_span_context(context)
        )
    }
}

/// Where recorded attributes go: straight into a span being opened (not yet shared,
/// so no lock), or into a list applied to a running span in one step.
#[derive(Debug)]
enum Target<'a> {
    Opening(&'a mut OpenedSpan),
    List(&'a mut Vec<KeyValue>),
}

/// Receives the attributes an expansion records: arguments and `attrs(..)` when a
/// span opens, `record!` and `event!` fields later.
#[doc(hidden)]
#[derive(Debug)]
pub struct Attributes<'a> {
    target: Target<'a>,
}

impl<'a> Attributes<'a> {
    pub(crate) fn opening(span: &'a mut OpenedSpan) -> Self {
        Attributes {
            target: Target::Opening(span),
        }
    }

    pub(crate) fn list(list: &'a mut Vec<KeyValue>) -> Self {
        Attributes {
            target: Target::List(list),
        }
    }

    /// Records `value` under `key` (cut to the value length limit); `None` (an empty
    /// `Option`) records nothing.
    #[inline]
    pub fn push(&mut self, key: &'static str, value: Option<Value>) {
        let Some(value) = value else { return };
        let attribute = KeyValue::new(Key::from_static_str(key), within_length_limit(value));
        match &mut self.target {
            Target::Opening(span) => span.set_attribute(attribute),
            Target::List(list) => list.push(attribute),
        }
    }
}

/// A handle on the span of the running call, for recording its outcome: into the
/// span when it records, into the call's tally (outcome counters, duration
/// metrics) whenever one is kept. Empty when nothing is installed.
#[doc(hidden)]
#[derive(Debug)]
pub struct SpanHandle {
    context: Option<Context>,
    tally: Option<Tally>,
}

impl SpanHandle {
    /// Whether the call's tally noted a failure already.
    pub(crate) fn tally_failed(&self) -> bool {
        self.tally.as_ref().is_some_and(Tally::failed)
    }

    pub(crate) fn tally_mut(&mut self) -> Option<&mut Tally> {
        self.tally.as_mut()
    }

    /// Runs `record` on the span if it is recording.
    pub(crate) fn if_recording(&self, record: impl FnOnce(SpanRef<'_>)) {
        let Some(context) = &self.context else { return };
        let span = context.span();
        if span.is_recording() {
            record(span);
        }
    }

    /// Where the call's exception goes: into its span when it records, else into
    /// a log record where exceptions are log records (see
    /// [`unrecorded_exception_logged_under`]), else nowhere.
    fn exception_goes(&self) -> ExceptionGoes {
        let recording =
            (self.context.as_ref()).is_some_and(|context| context.span().is_recording());
        if recording {
            return ExceptionGoes::ToSpan;
        }
        match unrecorded_exception_logged_under() {
            Some(span) => ExceptionGoes::ToLogUnder(span),
            None => ExceptionGoes::Nowhere,
        }
    }

    /// Records an error returned by the function, of type `type_name`: the call
    /// failed; on a recording span, status Error with its description, `error.type`,
    /// and an `exception` event. `report` runs only when the span is recording, or
    /// when exceptions are log records, made whether the span is sampled or not.
    pub fn record_error(&mut self, type_name: &'static str, report: impl FnOnce() -> ErrorReport) {
        if let Some(tally) = &mut self.tally {
            tally.fail(Failure::Named(type_name));
        }
        let goes = self.exception_goes();
        if let ExceptionGoes::Nowhere = goes {
            return;
        }
        // The error's `source()` chain is user code.
        let report = crate::panic::contained(report).unwrap_or_else(|| ErrorReport {
            type_name,
            description: FORMATTING_PANICKED.to_owned(),
            message: FORMATTING_PANICKED.to_owned(),
        });
        if let ExceptionGoes::ToLogUnder(span) = goes {
            let exception = exception_attributes(report.type_name, report.message, Vec::new());
            crate::logs::emit_exception(&span, &exception);
            return;
        }
        self.if_recording(|span| {
            crate::kept::set_automatic_error_type(
                &span,
                within_length_limit(report.type_name.into()),
            );
            record_exception(
                &span,
                report.type_name,
                report.message,
                report.description,
                Vec::new(),
            );
        });
    }

    /// Records the returned value (`ret`) as `return.value`; `value` runs only when
    /// the span is recording.
    pub fn record_return(&self, value: impl FnOnce() -> Option<Value>) {
        self.if_recording(|span| {
            if let Some(value) = crate::panic::contained(value).flatten() {
                span.set_attribute(KeyValue::new(RETURN_VALUE, within_length_limit(value)));
            }
        });
    }

    /// Notes how many messages a messaging call sent or consumed, for the
    /// conventions' message counts (whether or not the span records).
    pub fn count_messages(&mut self, count: usize) {
        if let Some(tally) = &mut self.tally {
            tally.count_messages(count);
        }
    }

    /// Sets `attribute`, learnt after the call started (the protocol version an
    /// HTTP client negotiated), on the span if it records and on the call's
    /// duration if its instrument keeps it.
    pub(crate) fn update_attribute(&mut self, attribute: KeyValue) {
        if let Some(tally) = &mut self.tally {
            tally.update_attribute(attribute.clone());
        }
        self.record_attribute(attribute);
    }

    /// Sets one attribute (a stream's message count) if the span is recording.
    pub(crate) fn record_attribute(&self, attribute: KeyValue) {
        self.if_recording(|span| span.set_attribute(attribute));
    }

    /// The address a client's reply came from: its `network.peer.address` (an
    /// IPv4 address mapped into IPv6 written as the IPv4 one) and `.port`.
    pub(crate) fn record_peer(&mut self, peer: std::net::SocketAddr) {
        let address = peer.ip().to_canonical().to_string();
        self.update_attribute(KeyValue::new("network.peer.address", address));
        self.update_attribute(KeyValue::new("network.peer.port", i64::from(peer.port())));
    }

    /// Records how a boundary call ended (`#[traced_rpc]`): its gRPC or HTTP
    /// status, see `rpc::record_reply`. A reply of the other protocol says nothing
    /// of this call's (an HTTP call's `tonic::Status`): it is no reply; but a gRPC
    /// call's HTTP response is read as gRPC clients read one.
    pub fn record_reply(
        &mut self,
        rpc: &crate::rpc::RpcMeta,
        answer: Option<crate::rpc::Answer<'_>>,
        failed: bool,
    ) {
        let answer = rpc.own_reply(answer);
        // A client learns its HTTP version from the reply (the one negotiated),
        // and the address that answered.
        if rpc.side == crate::rpc::Side::Client
            && let Some(answer) = answer
        {
            if let Some(version) = answer.version {
                self.update_attribute(KeyValue::new("network.protocol.version", version));
            }
            if let Some(peer) = answer.peer {
                self.record_peer(peer);
            }
        }
        #[cfg(feature = "http")]
        if let Some(crate::rpc::Answer {
            reply: crate::rpc::Reply::Http { status },
            headers: Some(headers),
            ..
        }) = answer
            && let crate::rpc::Protocol::Grpc { .. } = rpc.protocol
        {
            let Some((code, message)) = crate::rpc::status_of_response(status, headers, rpc.side)
            else {
                // Its status comes in the trailers, after the call.
                return self.record_streaming();
            };
            let reply = crate::rpc::Reply::Grpc {
                code,
                message: &message,
            };
            return self.record_status(rpc, Some(reply), failed);
        }
        self.record_status(rpc, answer.map(|answer| answer.reply), failed);
    }

    /// Records a boundary call's status, of its own protocol, in its tally and span.
    fn record_status(
        &mut self,
        rpc: &crate::rpc::RpcMeta,
        reply: Option<crate::rpc::Reply<'_>>,
        failed: bool,
    ) {
        if let Some(tally) = &mut self.tally {
            crate::rpc::tally_reply(tally, rpc, reply.as_ref(), failed);
        }
        self.if_recording(|span| crate::rpc::record_reply(&span, rpc, reply, failed));
    }

    /// Records that a boundary's response carries a stream (`#[traced_rpc]`): its
    /// status comes at the stream's end, after this call, so no duration is
    /// recorded for it (it would measure only the call's start, in the series of
    /// whole calls); `GrpcLayer` measures the whole call.
    pub fn record_streaming(&mut self) {
        if let Some(tally) = &mut self.tally {
            tally.untimed();
        }
    }

    /// Records a panic caught around the body or a poll: status Error with its
    /// message, `error.type = "panic"`, and an `exception` event with the message,
    /// the location where it is known, and the stack trace where backtraces are
    /// asked for (`RUST_BACKTRACE`).
    pub(crate) fn record_panic(&mut self, report: &PanicReport) {
        if let Some(tally) = &mut self.tally {
            tally.fail(Failure::Named(PANIC));
        }
        let goes = self.exception_goes();
        if let ExceptionGoes::Nowhere = goes {
            return;
        }
        let mut extra = report.location().map_or_else(Vec::new, |location| {
            vec![
                KeyValue::new("code.file.path", location.file.clone()),
                KeyValue::new("code.line.number", i64::from(location.line)),
                KeyValue::new("code.column.number", i64::from(location.column)),
            ]
        });
        if let Some(stacktrace) = report.stacktrace() {
            extra.push(KeyValue::new(EXCEPTION_STACKTRACE, stacktrace));
        }
        if let ExceptionGoes::ToLogUnder(span) = goes {
            let exception = exception_attributes(PANIC, report.message.clone(), extra);
            crate::logs::emit_exception(&span, &exception);
            return;
        }
        self.if_recording(|span| {
            // Over an `error.type` the body recorded too: that one said why it
            // would fail, and it panicked instead.
            span.set_attribute(KeyValue::new(ERROR_TYPE, PANIC));
            record_exception(
                &span,
                PANIC,
                report.message.clone(),
                report.message.clone(),
                extra,
            );
        });
    }

    /// Notes that the call ended, before its outcome is recorded: formatting an
    /// error (its `source()` chain, the event) or a returned value is no part of
    /// the call, and would make a call that is recorded last longer than one that
    /// is not.
    #[inline]
    pub fn note_end(&mut self) {
        if let Some(tally) = &mut self.tally {
            tally.note_end();
        }
    }

    /// Leaves the context a sync call's body ran in (`current`, from
    /// [`ActiveSpan::enter_once`]), once its outcome is recorded, noting first
    /// that the call ended (where its outcome did not already): its duration ends
    /// before the context is restored rather than after, so that reading the clock
    /// overlaps that work. Only when a
    /// context was entered: a call that entered none (nothing installed) checks
    /// nothing more, and its duration ends when its span does.
    #[inline]
    pub fn leave(&mut self, current: Option<ContextGuard>) {
        if let Some(guard) = current {
            if let Some(tally) = &mut self.tally {
                tally.note_end();
            }
            drop(guard);
        }
    }

    /// Runs `body`, recording a panic on the span and ending it before the panic
    /// goes on unwinding: the call ended there. A future whose poll panicked and
    /// that is dropped later (a caller caught the panic) is then not taken for a
    /// cancelled one. `current` is the context `body` runs under, left before the
    /// span ends, as a call that returns leaves it: what the application's span
    /// processors do at the end is no child of the ending span.
    #[inline]
    pub fn catch_panic<R>(
        &mut self,
        current: &mut Option<ContextGuard>,
        body: impl FnOnce() -> R,
    ) -> R {
        match panic::catch_unwind(AssertUnwindSafe(body)) {
            Ok(output) => output,
            Err(payload) => self.end_panicked(payload, current),
        }
    }

    /// Records the panic whose `payload` was caught, leaves the body's context
    /// `current`, ends the span and resumes unwinding. Recorded while the body's
    /// context is current: a span sampled out logs it under its own ids (exceptions
    /// as log records), not its caller's.
    #[cold]
    fn end_panicked(
        &mut self,
        payload: Box<dyn std::any::Any + Send>,
        current: &mut Option<ContextGuard>,
    ) -> ! {
        let report = PanicReport::take(&*payload);
        // Its duration ends here, not when the future is dropped, and before the
        // panic is recorded (its stack trace made text), as before an error.
        self.note_end();
        self.record_panic(&report);
        drop(current.take());
        if let Some(context) = self.context.take() {
            context.span().end();
        }
        report.restore();
        panic::resume_unwind(payload)
    }
}

/// `body`, held to a closure called once: a closure's kind is the one the bound it
/// is first given to asks for, and the expansion of a synchronous call names its
/// body's closure before calling it in one of two places (through
/// [`SpanHandle::catch_panic`], or directly with nothing installed), so that a
/// body handing out what it captures (`&mut self.count`) compiles as it does
/// without the macro.
#[doc(hidden)]
#[inline(always)]
pub fn called_once<R, F: FnOnce() -> R>(body: F) -> F {
    body
}

/// The exception conventions, for returned errors and panics alike (the caller
/// sets `error.type`): status Error with `description`, and the exception (type, message, and `extra`
/// such as a location) as a span event, a log record linked to the span, or both,
/// as `OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN` chose; strings within the value
/// length limit of each (a log record's is cut where it is emitted).
fn record_exception(
    span: &SpanRef<'_>,
    error_type: &'static str,
    message: String,
    description: String,
    extra: Vec<KeyValue>,
) {
    let mut exception = exception_attributes(error_type, message, extra);
    let (as_event, as_log) = recorded_exception_targets();
    // An event still where no record could be made: the logs pipeline gone
    // meanwhile (a guard shutting down as the call ends on another thread).
    let logged = as_log && crate::logs::emit_exception(span.span_context(), &exception);
    if as_event || (as_log && !logged) {
        // Cut here, not only where our pipelines export: an application's own
        // provider gets them so too (a stack trace is 32 768 characters at most).
        crate::value::attributes_within_length_limit(&mut exception);
        span.add_event("exception", exception);
    }
    crate::kept::set_automatic(span, Status::error(truncated(description)));
}

/// Where a recorded span's exception goes: as [`crate::logs::exception_targets`]
/// says, but a capture's span keeps it as its event, as a capture is isolated from
/// what the process installed: the logs pipeline is another installation's. So
/// does a span ending on a thread that exits past the API's context, where no
/// record can be made.
fn recorded_exception_targets() -> (bool, bool) {
    let targets = crate::logs::exception_targets();
    if targets.1
        && (!crate::thread_exit::context_reachable() || crate::route::CaptureRoute::holds_current())
    {
        (true, false)
    } else {
        targets
    }
}

/// Where the exception of a call whose span does not record is logged, if it is:
/// as the log record `OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN` asks for (exceptions
/// as logs are sampled apart from the spans, OTEP 4333), linked to the span
/// context current where the call ends, its own unsampled one's (or, where its
/// body ran in its caller's context, the caller's). Not for a capture's call: a
/// capture sampling out (`Capture::sampler`) checks that nothing is evaluated,
/// and the logs installed are another installation's.
fn unrecorded_exception_logged_under() -> Option<SpanContext> {
    if !crate::logs::exception_targets().1 || crate::route::CaptureRoute::holds_current() {
        return None;
    }
    crate::thread_exit::map_current(|current| current.span().span_context().clone())
}

/// Where a call's exception goes ([`SpanHandle::exception_goes`]).
enum ExceptionGoes {
    ToSpan,
    ToLogUnder(SpanContext),
    Nowhere,
}

/// The attributes of an exception, event or log record: its type, its message,
/// and `extra` (a panic's location and stack).
fn exception_attributes(
    error_type: &'static str,
    message: String,
    extra: Vec<KeyValue>,
) -> Vec<KeyValue> {
    let mut exception = vec![
        KeyValue::new(EXCEPTION_TYPE, error_type),
        KeyValue::new(EXCEPTION_MESSAGE, message),
    ];
    exception.extend(extra);
    exception
}

/// A status description within the value length limit.
fn truncated(description: String) -> String {
    match within_length_limit(description.into()) {
        Value::String(text) => text.as_str().to_owned(),
        other => other.to_string(),
    }
}

/// The span of one call of an annotated function; it ends the span when dropped.
///
/// Ending happens exactly once: on [`ActiveSpan::finish`] for a future that
/// completed, where a panic is caught ([`SpanHandle::catch_panic`], status Error),
/// or on drop, which covers returns, early returns and futures dropped before
/// completion (`otel_traced.cancelled = true`).
#[doc(hidden)]
#[derive(Debug)]
pub struct ActiveSpan {
    // Both contexts are dropped by `ActiveSpan`'s own `Drop`, which takes them: the
    // compiler's drop glue is then only that, small enough to inline and fold away.
    handle: ManuallyDrop<SpanHandle>,
    call: CallKind,
    /// The call ended (completed, or its panic recorded): a panic after it (a
    /// completed future polled again, the drop of an ended stream's body) is not
    /// its outcome, and unwinds as it would uninstrumented.
    ended: bool,
    /// What the body runs under when it differs from the span's own context (the
    /// baggage of `set_baggage` added); never ended here.
    current: ManuallyDrop<Option<Context>>,
}

impl ActiveSpan {
    /// No span: the body runs under the current context (nothing installed, or
    /// the expansion of a `create` whose message already carries a creation
    /// context, which makes none).
    #[doc(hidden)]
    pub const fn disabled() -> Self {
        Self::without_span(None, CallKind::Sync, None)
    }

    /// No span, but `context` (extracted from a request) is what the body runs
    /// under, so its trace and baggage pass through.
    pub(crate) fn passthrough(context: Context) -> Self {
        Self::without_span(Some(context), CallKind::Sync, None)
    }

    /// No span, with nothing installed, for a call given `parent = ..`: the body
    /// runs under that context as it would under its span (its baggage; a
    /// client's request carries its trace), so that an untraced relay of a
    /// carried context does not swap it for the caller's.
    pub fn passing(parent: crate::callsite::Parent<'_>) -> Self {
        match parent {
            crate::callsite::Parent::Context(context)
                if crate::thread_exit::context_reachable() =>
            {
                Self::passthrough(context.into_owned())
            }
            _ => Self::disabled(),
        }
    }

    /// No span; the body runs under `current` when there is one, and the call
    /// keeps `tally`. Built in place rather than as `disabled().or_passthrough(..)`:
    /// a move of the whole value copies it.
    pub(crate) const fn without_span(
        current: Option<Context>,
        call: CallKind,
        tally: Option<Tally>,
    ) -> Self {
        ActiveSpan {
            handle: ManuallyDrop::new(SpanHandle {
                context: None,
                tally,
            }),
            call,
            ended: false,
            current: ManuallyDrop::new(current),
        }
    }

    /// This span, or when there is none and no context for the body either (nothing
    /// installed, or an unsampled parent carried on), [`ActiveSpan::passthrough`].
    /// A span sampled out keeps the context holding its span context: what its
    /// body calls is decided under it, not as a new root.
    #[inline]
    pub(crate) fn or_passthrough(mut self, context: Context) -> Self {
        if self.handle.context.is_none() && self.current.is_none() {
            *self.current = Some(context);
        }
        self
    }

    pub(crate) fn new(context: Context, call: CallKind, tally: Option<Tally>) -> Self {
        ActiveSpan {
            handle: ManuallyDrop::new(SpanHandle {
                context: Some(context),
                tally,
            }),
            call,
            ended: false,
            current: ManuallyDrop::new(None),
        }
    }

    /// Makes the span's context current until the guard is dropped. Not on a
    /// thread whose context is gone (a thread-local's destructor polling a future):
    /// the body runs as it is. Checked here too, not only where spans open: a
    /// thread that only resumes futures opened elsewhere reaches the context first
    /// here, and the check must be made while the context lives (`thread_exit.rs`).
    #[inline]
    pub fn enter(&self) -> Option<ContextGuard> {
        let context = self.body_context()?;
        crate::thread_exit::context_reachable().then(|| context.clone().attach())
    }

    /// [`ActiveSpan::enter`] for a body entered once (a synchronous call): a
    /// context only the body runs under (a span sampled out, baggage added) is
    /// moved into the guard rather than cloned, two atomic reference-count updates
    /// fewer (about 14 ns on the machine of DESIGN §7).
    #[inline]
    pub fn enter_once(&mut self) -> Option<ContextGuard> {
        match self.current.take() {
            Some(current) => Some(current.attach()),
            None => self.enter(),
        }
    }

    /// The context the body runs under, when it is not simply the current one.
    #[inline]
    pub(crate) fn body_context(&self) -> Option<&Context> {
        self.current.as_ref().or(self.handle.context.as_ref())
    }

    /// Runs the body with `entries` added to the baggage (`set_baggage`), whether
    /// or not a span is recorded: baggage propagates on its own. Not on a thread
    /// whose context is gone (`thread_exit.rs`): the body runs as it is.
    pub fn with_baggage(mut self, entries: Vec<crate::baggage::Entry>) -> Self {
        let current = match self.body_context() {
            Some(context) => Some(crate::baggage::added(context, entries)),
            None => {
                crate::thread_exit::map_current(|current| crate::baggage::added(current, entries))
            }
        };
        if current.is_some() {
            *self.current = current;
        }
        self
    }

    /// Whether the call has nothing to do: no span, no context to enter, no tally.
    #[inline]
    fn is_empty(&self) -> bool {
        self.handle.context.is_none() && self.current.is_none() && self.handle.tally.is_none()
    }

    /// The handle for recording the call's outcome.
    #[inline]
    pub fn handle(&mut self) -> &mut SpanHandle {
        &mut self.handle
    }

    /// [`SpanHandle::catch_panic`] for a poll of a future or stream, which outlives
    /// the panic when its caller catches it: a recorded span the panic ended takes
    /// the body's own context with it (its baggage beside the span), so that what
    /// the body still holds, dropped later, is no child of a span that ended. A span
    /// sampled out keeps it: its body is still dropped under its sampling hint.
    /// `current` is left before the span ends, as [`SpanHandle::catch_panic`]
    /// leaves it.
    #[inline]
    pub(crate) fn catch_panic<R>(
        &mut self,
        current: &mut Option<ContextGuard>,
        body: impl FnOnce() -> R,
    ) -> R {
        self.catch_panic_noting(current, body, |_| {})
    }

    /// [`ActiveSpan::catch_panic`], `noting` what the call gave so far (a stream's
    /// item count) before a panic ends its span.
    #[inline]
    pub(crate) fn catch_panic_noting<R>(
        &mut self,
        current: &mut Option<ContextGuard>,
        body: impl FnOnce() -> R,
        noting: impl FnOnce(&mut SpanHandle),
    ) -> R {
        match panic::catch_unwind(AssertUnwindSafe(body)) {
            Ok(output) => output,
            Err(payload) => {
                noting(&mut self.handle);
                self.end_panicked(payload, current)
            }
        }
    }

    /// Drops what the body of a call given up still holds (a future's, a
    /// stream's) with its context current, as the body would have dropped it. A
    /// panic there (a transaction's rollback in a destructor) is the call's
    /// outcome, as one in a poll is: recorded, the span ended, the unwinding
    /// resumed. Not caught while a panic unwinds already (a second one aborts).
    /// Out of line: inlined, it cost every completed call's drop 10 instructions.
    #[inline(never)]
    pub(crate) fn drop_given_up<T>(&mut self, body: T) {
        let mut current = self.enter();
        if std::thread::panicking() {
            drop(body);
            return;
        }
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(move || drop(body))) {
            self.end_panicked(payload, &mut current);
        }
    }

    /// Records the panic whose `payload` was caught, leaves `current`, ends the
    /// span (see [`ActiveSpan::catch_panic`]) and resumes unwinding; only resumes
    /// it when the call ended before it.
    #[cold]
    fn end_panicked(
        &mut self,
        payload: Box<dyn std::any::Any + Send>,
        current: &mut Option<ContextGuard>,
    ) -> ! {
        if self.call == CallKind::Carrier || self.ended {
            drop(current.take());
            panic::resume_unwind(payload)
        }
        self.ended = true;
        self.leave_ended_span();
        self.handle.end_panicked(payload, current)
    }

    /// Drops the context the body runs under when it holds the recorded span, which
    /// is ending: later polls and the drop of the body run under their caller's.
    fn leave_ended_span(&mut self) {
        if self.records() {
            drop(self.current.take());
        }
    }

    /// Ends the span of a call that completed.
    #[inline]
    pub(crate) fn finish(&mut self) {
        self.ended = true;
        if self.is_open() {
            end_finished(self);
        }
    }

    /// Whether the call ended (completed, or its panic recorded): what comes after
    /// is not its outcome.
    #[inline]
    pub(crate) fn has_ended(&self) -> bool {
        self.ended
    }

    /// Whether a span is recorded and has not ended.
    #[inline]
    pub(crate) fn records(&self) -> bool {
        self.handle.context.is_some()
    }

    /// Whether the call's span or its tally is still to end.
    #[inline]
    pub(crate) fn is_open(&self) -> bool {
        self.handle.context.is_some() || self.handle.tally.is_some()
    }
}

/// A call's span is whole after a panic its caller caught: the expansion and the
/// wrappers catch the body's panics themselves, and end the span there. So a
/// traced future or stream is as unwind safe as its body, and `catch_unwind` on it
/// compiles as without the annotation (the API's `Context` the span holds is not,
/// for the `dyn Any` values it keeps).
impl std::panic::UnwindSafe for ActiveSpan {}
impl std::panic::RefUnwindSafe for ActiveSpan {}

/// The span of an `async fn`, lent by a local of the function's future to the
/// wrapper that polls its body: unwind safe as the span is (a `&mut` never is by
/// itself).
#[doc(hidden)]
#[derive(Debug)]
pub struct LentSpan<'a>(pub &'a mut ActiveSpan);

impl std::panic::UnwindSafe for LentSpan<'_> {}

impl std::borrow::Borrow<ActiveSpan> for LentSpan<'_> {
    #[inline(always)]
    fn borrow(&self) -> &ActiveSpan {
        self.0
    }
}

impl std::borrow::BorrowMut<ActiveSpan> for LentSpan<'_> {
    #[inline(always)]
    fn borrow_mut(&mut self) -> &mut ActiveSpan {
        self.0
    }
}

impl Drop for ActiveSpan {
    /// Inlined, and only checks: the drop of a call with no span (nothing
    /// installed) folds away to nothing in the expansion, and one with a span moves
    /// nothing before the out-of-line end.
    #[inline]
    fn drop(&mut self) {
        if !self.is_empty() {
            end_dropped(self);
        }
    }
}

/// Ends the span of a call that completed and settles its tally (out of line: the
/// check stays in the poll).
#[inline(never)]
fn end_finished(span: &mut ActiveSpan) {
    let ended = span.handle.tally.as_ref().and_then(Tally::ended);
    span.leave_ended_span();
    if let Some(context) = span.handle.context.take() {
        context.span().end();
    }
    if let Some(tally) = &mut span.handle.tally {
        tally.settle(ended);
    }
    span.handle.tally = None;
}

/// Ends the span of an [`ActiveSpan`] dropped while it still held it, settles its
/// tally, and drops the contexts it held, leaving them all taken.
#[inline(never)]
fn end_dropped(active: &mut ActiveSpan) {
    let ended = active.handle.tally.as_ref().and_then(Tally::ended);
    drop(active.current.take());
    match active.call {
        // Not while another call's panic unwinds past it: that is no reply either.
        CallKind::GrpcCall(side) if !std::thread::panicking() => {
            crate::rpc::record_given_up(&mut active.handle, side);
        }
        // A stream given up may have its reply (a gRPC server's CANCELLED, which is
        // no error): the reply says what happened. One that failed (an `Err` item)
        // keeps its failure, as its span keeps its status.
        CallKind::Future | CallKind::GrpcCall(_) => {
            if let Some(tally) = &mut active.handle.tally
                && !tally.replied()
                && !tally.failed()
            {
                tally.fail(crate::tally::CANCELLED);
            }
        }
        CallKind::Sync | CallKind::Carrier => {}
    }
    if let Some(context) = active.handle.context.take() {
        let span = context.span();
        // A call that panicked ended where the panic was caught: a future that
        // still holds its span neither completed nor panicked, so it was cancelled
        // (dropped, also while another future's panic unwinds past it).
        if active.call != CallKind::Sync {
            span.set_attribute(KeyValue::new(CANCELLED, true));
        }
        span.end();
    }
    if let Some(tally) = &mut active.handle.tally {
        tally.settle(ended);
    }
    active.handle.tally = None;
}
