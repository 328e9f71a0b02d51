//! One tree with the `tracing` crate (feature `tracing`).
//!
//! Libraries such as hyper, tonic, sqlx and reqwest middleware emit `tracing`
//! spans. [`layer`] puts a `tracing-opentelemetry` layer on our provider, with
//! context activation: a `tracing` span opened inside a `#[traced]` call is its
//! child, and a `#[traced]` call inside an entered `tracing` span is that span's
//! child. One trace id, either way round. Events of `tracing` are exported as log
//! records with their trace context when `init()` exports logs, else are span
//! events of the span they were made in, and [`with_trace_ids`] prints the ids in
//! each formatted line.
//!
//! ```no_run
//! let _guard = otel_traced::init()?;
//! otel_traced::tracing::install()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod call_events;
mod typed_fields;

use crate::kept::Kept;
use crate::route::TracerCache;
use crate::span::OpenedSpan;
use opentelemetry::global::BoxedTracer;
use opentelemetry::trace::noop::NoopTracer;
use opentelemetry::trace::{SpanBuilder, SpanContext, TraceContextExt as _, Tracer};
use opentelemetry::{Context, InstrumentationScope};
use std::fmt;
use std::sync::LazyLock;
use tracing_core::span::Id;
use tracing_core::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::registry::{LookupSpan, SpanRef};

/// The layer that joins `tracing` to otel-traced: `tracing` spans become spans
/// of the provider `init()` installed (or of the running test capture), parented
/// both ways with ours; `tracing` events are exported as log records when logs
/// are, else are span events. Works whether it is built before or after
/// `init()`. Add it once, in place of any `tracing_opentelemetry::layer()` of
/// your own: two layers of one
/// tracing-opentelemetry version in a subscriber panic at the first span (each
/// keeps its data in the span's extensions, which take one of a type). It has no
/// filter of its own: a filter on the printing layer alone leaves it every event
/// (TRACE ones too) to export; filter the registry, or give it the same filter.
///
/// ```no_run
/// use tracing_subscriber::layer::SubscriberExt as _;
///
/// let subscriber = tracing_subscriber::registry().with(otel_traced::tracing::layer());
/// tracing::subscriber::set_global_default(subscriber)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn layer<S>() -> impl Layer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    typed_fields::SetAtClose::default()
        .and_then(
            ExitSafe(
                tracing_opentelemetry::layer()
                    .with_tracer(BridgeTracer)
                    .with_context_activation(true)
                    // Not an event's error as attributes of its span: the
                    // conventions keep `exception.*` to the exception's event or
                    // log record.
                    .with_error_records_to_exceptions(false),
            )
            .with_filter(SpanEvents),
        )
        .and_then(KeepEnteredIds::default())
        .and_then(typed_fields::TypedFields::default())
        .and_then(call_events::CallEvents)
        .and_then(ExportEvents)
}

/// What `tracing-opentelemetry`'s layer is given: every span, and the events it
/// makes span events of, when they belong there. An event in the current span
/// goes to the current `tracing` span, which is not the current span inside a
/// `#[traced]` call made in it: such an event is no span event of the `tracing`
/// span around the call, but the call's ([`call_events`]). And while logs are
/// exported, an event is a log record alone
/// ([`ExportEvents`]), not a span event as well, unless it makes its span's status
/// Error or carries its exception (an ERROR, an `error` field, as
/// `#[instrument(err)]` records one).
struct SpanEvents;

impl<S: Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::layer::Filter<S> for SpanEvents {
    /// Every span, but one made while its thread exits past the API's current
    /// context (in a thread-local's destructor): `tracing-opentelemetry` would reach
    /// the context for its parent and as it is entered, which panics there, and a
    /// panic in a destructor aborts the process. It is not traced, as a
    /// `#[traced]` call there is not.
    fn enabled(
        &self,
        metadata: &tracing_core::Metadata<'_>,
        _cx: &tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        !metadata.is_span() || crate::thread_exit::context_reachable()
    }

    fn event_enabled(
        &self,
        event: &Event<'_>,
        cx: &tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        // Nothing records: `tracing-opentelemetry` would format the event's
        // fields for a span that drops them.
        if !crate::route::is_enabled() {
            return false;
        }
        let metadata = event.metadata();
        let failure = *metadata.level() == tracing_core::Level::ERROR
            || metadata.fields().field("error").is_some();
        // (In a capture, an event is its span's as without logs: a capture is
        // isolated from the logs pipeline the process installed.)
        if !failure && crate::logs::exported() && !crate::route::CaptureRoute::holds_current() {
            return false;
        }
        // A span sampled out records no event: not formatted for it either.
        let recording = |entered: &EnteredIds| entered.recording;
        if !event.is_contextual() {
            // The span it names, or none.
            return event
                .parent()
                .and_then(|named| cx.span(named))
                .and_then(|span| span.extensions().get::<EnteredIds>().map(recording))
                .unwrap_or(true);
        }
        let Some(span) = cx.lookup_current() else {
            return true;
        };
        let extensions = span.extensions();
        // Entered while nothing recorded: its span is a no-op one, which keeps no
        // event (a `#[traced]` call inside it has it, [`call_events`]).
        let Some(entered) = extensions.get::<EnteredIds>() else {
            return false;
        };
        recording(entered)
            && crate::thread_exit::current_span_context()
                .is_some_and(|current| current.span_id() == entered.ids.span_id())
    }
}

/// `tracing-opentelemetry`'s layer, but for entering and leaving a span while its
/// thread exits past the API's current context (a thread-local's destructor that
/// enters a span made while the thread lived, or drops a future instrumented with
/// one, which enters it): the layer attaches the span's context there, which
/// panics, and a panic in a destructor aborts the process. The work runs in no
/// span's context then, as a `#[traced]` call there does. ([`SpanEvents`] keeps
/// out the spans made there.)
struct ExitSafe<L>(L);

impl<S: Subscriber, L: Layer<S>> Layer<S> for ExitSafe<L> {
    fn on_enter(&self, id: &Id, cx: tracing_subscriber::layer::Context<'_, S>) {
        if enterable() {
            self.0.on_enter(id, cx);
            GUARDS_MARKED.with(|marked| {
                if !marked.replace(true) {
                    GUARDS_MARKER.with(|_| ());
                }
            });
        }
    }

    fn on_exit(&self, id: &Id, cx: tracing_subscriber::layer::Context<'_, S>) {
        if enterable() {
            self.0.on_exit(id, cx);
        }
    }

    // The rest as the layer has it.

    fn on_register_dispatch(&self, subscriber: &tracing_core::Dispatch) {
        self.0.on_register_dispatch(subscriber);
    }

    fn on_layer(&mut self, subscriber: &mut S) {
        self.0.on_layer(subscriber);
    }

    fn register_callsite(
        &self,
        metadata: &'static tracing_core::Metadata<'static>,
    ) -> tracing_core::Interest {
        self.0.register_callsite(metadata)
    }

    fn enabled(
        &self,
        metadata: &tracing_core::Metadata<'_>,
        cx: tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        self.0.enabled(metadata, cx)
    }

    fn on_new_span(
        &self,
        attributes: &tracing_core::span::Attributes<'_>,
        id: &Id,
        cx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        self.0.on_new_span(attributes, id, cx);
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        self.0.max_level_hint()
    }

    fn on_record(
        &self,
        span: &Id,
        values: &tracing_core::span::Record<'_>,
        cx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        self.0.on_record(span, values, cx);
    }

    fn on_follows_from(
        &self,
        span: &Id,
        follows: &Id,
        cx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        self.0.on_follows_from(span, follows, cx);
    }

    fn event_enabled(
        &self,
        event: &Event<'_>,
        cx: tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        self.0.event_enabled(event, cx)
    }

    fn on_event(&self, event: &Event<'_>, cx: tracing_subscriber::layer::Context<'_, S>) {
        self.0.on_event(event, cx);
    }

    fn on_close(&self, id: Id, cx: tracing_subscriber::layer::Context<'_, S>) {
        self.0.on_close(id, cx);
    }

    fn on_id_change(&self, old: &Id, new: &Id, cx: tracing_subscriber::layer::Context<'_, S>) {
        self.0.on_id_change(old, new, cx);
    }

    /// The layer's own types (`tracing-opentelemetry`'s `WithContext`, by which a
    /// span's context is read) are found through this one.
    unsafe fn downcast_raw(&self, id: std::any::TypeId) -> Option<*const ()> {
        if id == std::any::TypeId::of::<Self>() {
            return Some(std::ptr::from_ref(self).cast());
        }
        // SAFETY: as the caller's contract, passed on to the layer this one wraps.
        unsafe { self.0.downcast_raw(id) }
    }
}

/// Whether `tracing-opentelemetry` may enter and leave spans on this thread: the
/// API's context reachable ([`crate::thread_exit`]), and the layer's own
/// thread-local (the guards of the spans it entered), made when it first entered
/// one here, not destroyed yet. A thread that reached the context, then made a
/// thread-local whose destructor enters a span, then entered its first span, has
/// the layer's thread-local destroyed first when it exits, the context still
/// alive.
fn enterable() -> bool {
    crate::thread_exit::context_reachable() && GUARDS_MARKER_ALIVE.with(std::cell::Cell::get)
}

/// Destroyed with the layer's thread-local: made right after it, so destroyed just
/// before it, and says so.
struct GuardsMarker;

impl Drop for GuardsMarker {
    fn drop(&mut self) {
        GUARDS_MARKER_ALIVE.with(|alive| alive.set(false));
    }
}

thread_local! {
    /// Whether the marker was made on this thread.
    static GUARDS_MARKED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// False once the marker is destroyed. (No destructor: readable to the end.)
    static GUARDS_MARKER_ALIVE: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
    static GUARDS_MARKER: GuardsMarker = const { GuardsMarker };
}

/// Sets the global `tracing` subscriber in one call: [`layer`], and lines on
/// stderr with their trace ids ([`with_trace_ids`]), filtered by `RUST_LOG`
/// (`info` when unset; directives such as `info,hyper=warn`).
pub fn install() -> Result<(), InstallError> {
    let filter = filter_from(std::env::var("RUST_LOG").ok().as_deref())?;
    // Colour, where tracing-subscriber's `ansi` feature gives it, only on a
    // terminal, as the console's. Set on the format too: lines inside a span are
    // formatted into a buffer, whose writer says no colour.
    let colour = crate::console::wants_colour(
        std::io::IsTerminal::is_terminal(&std::io::stderr()),
        |name| std::env::var_os(name),
    );
    let mut lines = tracing_subscriber::fmt::layer()
        .event_format(with_trace_ids(
            tracing_subscriber::fmt::format().with_ansi(colour),
        ))
        .with_writer(std::io::stderr);
    if !colour {
        // (`with_ansi(true)` would panic without that feature.)
        lines = lines.with_ansi(false);
    }
    let subscriber = tracing_subscriber::registry()
        .with(layer())
        .with(lines)
        .with(filter);
    // Not `try_init`: with tracing-subscriber's `tracing-log` feature (on in its
    // defaults, so in many dependency graphs) it also takes the `log` crate's
    // logger, failing after setting the subscriber when one is set (our
    // `log::with_trace_context`, say) and taking its place when none is.
    tracing_core::dispatcher::set_global_default(tracing_core::Dispatch::new(subscriber))
        .map_err(|_| InstallError::AlreadySet)
}

/// The filter of `RUST_LOG`'s `directives`: `info` when unset or blank. Each
/// directive trimmed and empty ones skipped, as `EnvFilter` and env_logger read
/// them: `Targets` reads `debug,` as `debug` then an empty level, `error`, which
/// replaces it, and `info ` as a target named so.
fn filter_from(directives: Option<&str>) -> Result<Targets, InstallError> {
    let written: Vec<&str> = directives
        .into_iter()
        .flat_map(|directives| directives.split(','))
        .map(str::trim)
        .filter(|directive| !directive.is_empty())
        .collect();
    if written.is_empty() {
        return Ok(Targets::new().with_default(LevelFilter::INFO));
    }
    // Read by `Targets` as parts of a target's name, which no target has: the
    // filter would quietly let nothing through.
    if let Some(directive) = written
        .iter()
        .find(|directive| directive.contains(['/', '[', '{']))
    {
        let whose = if directive.contains('/') {
            "a `/regex` filter is env_logger's"
        } else {
            "span and field directives (`[span]`, `{field}`) are EnvFilter's"
        };
        return Err(InstallError::Filter(format!(
            "RUST_LOG={:?}: {whose}, and `install()` filters by target and level only (for those, set a subscriber of your own with `layer()` and an `EnvFilter`)",
            directives.unwrap_or_default()
        )));
    }
    written.join(",").parse::<Targets>().map_err(|error| {
        InstallError::Filter(format!(
            "RUST_LOG={:?}: {error}",
            directives.unwrap_or_default()
        ))
    })
}

/// Why [`install`] set no subscriber. Its `Debug` is its message: what
/// `fn main() -> Result<..>` prints for `install()?`.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InstallError {
    /// `RUST_LOG` holds directives `tracing-subscriber` cannot read.
    Filter(String),
    /// A global `tracing` subscriber was set already: add [`layer`] to it instead.
    AlreadySet,
}

impl fmt::Display for InstallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstallError::Filter(reason) => write!(
                f,
                "{reason}; write directives such as `info` or `info,hyper=warn`"
            ),
            InstallError::AlreadySet => f.write_str(
                "a global tracing subscriber is already set: add otel_traced::tracing::layer() to it instead of calling install(), in place of any tracing_opentelemetry::layer() of yours (two in one subscriber panic at the first span)",
            ),
        }
    }
}

impl fmt::Debug for InstallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for InstallError {}

/// The tracer `tracing-opentelemetry` opens its spans with: they go where ours go.
#[derive(Clone, Copy, Debug)]
struct BridgeTracer;

/// Its tracer for the installed provider, like a call site's.
static TRACERS: TracerCache = TracerCache::new();

/// Spans opened while nothing records: they keep their parent's span context,
/// so a context carried through `tracing` spans still propagates.
static NOWHERE: LazyLock<BoxedTracer> =
    LazyLock::new(|| BoxedTracer::new(Box::new(NoopTracer::new())));

/// Its spans keep their statuses as ours do (`kept.rs`): `tracing-opentelemetry`
/// puts them in contexts itself, so `set_status` in a `tracing` span decides too.
impl Tracer for BridgeTracer {
    type Span = Kept<OpenedSpan>;

    fn build_with_context(&self, builder: SpanBuilder, parent: &Context) -> Self::Span {
        let opened = if crate::route::is_enabled() && !crate::route::on_export_thread() {
            // A no-op span of the global API is no parent, as for our own spans.
            let rooted;
            let parent = if crate::callsite::holds_invalid_span(parent) {
                rooted = crate::callsite::root_context(parent);
                &rooted
            } else {
                parent
            };
            TRACERS.open(scope, builder, parent)
        } else {
            None
        };
        Kept::new(opened.unwrap_or_else(|| {
            OpenedSpan::Global(NOWHERE.build_with_context(SpanBuilder::from_name(""), parent))
        }))
    }
}

/// The instrumentation scope of spans that came from `tracing`.
fn scope() -> InstrumentationScope {
    InstrumentationScope::builder("otel_traced::tracing")
        .with_version(env!("CARGO_PKG_VERSION"))
        .build()
}

/// Keeps, in each `tracing` span, the ids it got when built: first entered (where
/// context activation builds it), or given as the parent of a new span
/// (`info_span!(parent: &batch, ..)`, which builds it entered or not), for the
/// events that name it as their parent (`info!(parent: &span, ..)`) while another
/// span is the current one. Runs after `tracing-opentelemetry`'s layer, which made
/// the span current, or built the parent.
#[derive(Default)]
struct KeepEnteredIds {
    /// To read a built parent's context with.
    dispatch: OwnDispatch,
}

/// The subscriber a layer is part of, by which it reads the OpenTelemetry context
/// `tracing-opentelemetry`'s layer keeps in a span.
#[derive(Default)]
struct OwnDispatch(std::sync::OnceLock<tracing_core::dispatcher::WeakDispatch>);

impl OwnDispatch {
    fn register(&self, subscriber: &tracing_core::Dispatch) {
        let _ = self.0.set(subscriber.downgrade());
    }

    /// The context of the span `id`, built by the layer (reading it builds it
    /// where it was not). Read with none of the span's extensions held, as the
    /// layer's function asks.
    fn context_of(&self, id: &Id) -> Option<Context> {
        let dispatch = self.0.get()?.upgrade()?;
        tracing_opentelemetry::get_otel_context(id, &dispatch)
    }
}

/// A `tracing` span's OpenTelemetry span context, and whether its span records;
/// see [`KeepEnteredIds`].
struct EnteredIds {
    ids: SpanContext,
    recording: bool,
}

impl EnteredIds {
    /// The ids of the span `context` holds, and whether it records.
    fn of(context: &Context) -> Self {
        let span = context.span();
        EnteredIds {
            ids: span.span_context().clone(),
            recording: span.is_recording(),
        }
    }
}

impl<S> Layer<S> for KeepEnteredIds
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_register_dispatch(&self, subscriber: &tracing_core::Dispatch) {
        self.dispatch.register(subscriber);
    }

    fn on_new_span(
        &self,
        attributes: &tracing_core::span::Attributes<'_>,
        _: &Id,
        ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let Some(parent) = attributes.parent() else {
            return;
        };
        let Some(span) = ctx.span(parent) else { return };
        if span.extensions().get::<EnteredIds>().is_some() {
            return;
        }
        // Built already (by `tracing-opentelemetry`, for this child).
        let Some(built) = self.dispatch.context_of(parent) else {
            return;
        };
        let entered = EnteredIds::of(&built);
        if entered.ids.is_valid() {
            let mut extensions = span.extensions_mut();
            if extensions.get_mut::<EnteredIds>().is_none() {
                extensions.insert(entered);
            }
        }
    }

    fn on_enter(&self, id: &Id, ctx: tracing_subscriber::layer::Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        if span.extensions().get::<EnteredIds>().is_some() {
            return;
        }
        let entered = crate::thread_exit::map_current(EnteredIds::of);
        // Not an invalid one (a span entered while nothing recorded): events naming
        // the span then take an ancestor's ids, or the current span's.
        if let Some(entered) = entered.filter(|entered| entered.ids.is_valid()) {
            // Another thread entering it for the first time may have been first.
            let mut extensions = span.extensions_mut();
            if extensions.get_mut::<EnteredIds>().is_none() {
                extensions.insert(entered);
            }
        }
    }
}

/// Hands `tracing` events to `opentelemetry-appender-tracing` while logs are
/// exported.
struct ExportEvents;

impl<S> Layer<S> for ExportEvents
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_event(&self, event: &Event<'_>, ctx: tracing_subscriber::layer::Context<'_, S>) {
        let lookup = ctx.clone();
        crate::logs::with_tracing_bridge(
            move |current| {
                let named = named_span(event, |id| lookup.span(id))?;
                Some(crate::callsite::root_context(current).with_remote_span_context(named))
            },
            // A field whose `Debug` or `Display` fails panics in the appender's
            // formatting: that record is not exported. (Caught here, where no
            // lock of the registry is held; `tracing-opentelemetry`'s layer, which
            // formats a recording span's fields and events under the span's
            // lock, panics on such a value as it does without otel-traced.)
            |bridge| {
                crate::panic::contained(|| bridge.on_event(event, ctx));
            },
        );
    }
}

/// The ids of the span an event names, `info!(parent: &span, ..)`, when it is not
/// the current one: those that span got when first entered, or, if it never was
/// (it is built later, or only for its context), those of its nearest entered ancestor. `None` for any other
/// event (`info!(..)`, and `parent: None`, as a span filtered out makes it too):
/// it is in the current span, as DESIGN §1 has every line inside a call carry its
/// ids.
fn named_span<'a, R: LookupSpan<'a> + 'a>(
    event: &Event<'_>,
    span: impl FnOnce(&Id) -> Option<SpanRef<'a, R>>,
) -> Option<SpanContext> {
    span(event.parent()?)?.scope().find_map(|span| {
        let extensions = span.extensions();
        extensions
            .get::<EnteredIds>()
            .map(|entered| entered.ids.clone())
            .filter(SpanContext::is_valid)
    })
}

/// Wraps an event format so that each line written inside a span ends with
/// ` trace_id=… span_id=…` (lowercase hex), the ids logs and traces join on; a
/// JSON line gets them as two more fields, `"trace_id":"…","span_id":"…"`:
/// `fmt::layer().json().event_format(with_trace_ids(fmt::format().json()))` (the
/// layer's `.json()` records its spans' fields as the JSON format reads them). An event naming its span (`parent: &span`)
/// carries that span's ids, as its exported log record does (see [`layer`]'s
/// README section). A line inside a span is formatted into a buffer first, so
/// colour there needs the format's own `with_ansi(true)`.
///
/// ```no_run
/// use tracing_subscriber::layer::SubscriberExt as _;
///
/// let lines = tracing_subscriber::fmt::layer()
///     .event_format(otel_traced::tracing::with_trace_ids(tracing_subscriber::fmt::format()));
/// let subscriber = tracing_subscriber::registry()
///     .with(otel_traced::tracing::layer())
///     .with(lines);
/// tracing::subscriber::set_global_default(subscriber)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn with_trace_ids<F>(format: F) -> WithTraceIds<F> {
    WithTraceIds { format }
}

/// An event format adding the ids of the span an event is in; see [`with_trace_ids`].
#[derive(Debug, Clone)]
pub struct WithTraceIds<F> {
    format: F,
}

impl<S, N, F> FormatEvent<S, N> for WithTraceIds<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let span =
            named_span(event, |id| ctx.span(id)).or_else(crate::thread_exit::current_span_context);
        let Some(span) = span.filter(SpanContext::is_valid) else {
            return self.format.format_event(ctx, writer, event);
        };
        let mut format = |line: &mut String| {
            line.clear();
            self.format.format_event(ctx, Writer::new(line), event)?;
            write_with_ids(&mut writer, line, &span)
        };
        // The thread's buffer, unless an event is formatted inside this one's
        // formatting (a `Debug` that logs) or the thread is exiting.
        let reused = LINE.try_with(|kept| {
            let mut line = kept.try_borrow_mut().ok()?;
            let formatted = format(&mut line);
            if line.capacity() > MAX_KEPT_LINE {
                *line = String::new();
            }
            Some(formatted)
        });
        match reused {
            Ok(Some(formatted)) => formatted,
            _ => format(&mut String::new()),
        }
    }
}

thread_local! {
    /// The line being formatted, kept between events so that formatting one
    /// allocates nothing once the buffer has grown to fit the lines.
    static LINE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// A line buffer larger than this is not kept for the next event.
const MAX_KEPT_LINE: usize = 64 << 10;

/// `line` with `span`'s ids: inside a JSON object as two more fields (a JSON line,
/// which log pipelines parse, stays one), else at the end of its text, before its
/// trailing newlines (the pretty format ends with a blank line). Nothing for a
/// format that wrote nothing (one that filters events): the ids alone, with no
/// newline, would start the next line.
fn write_with_ids(writer: &mut Writer<'_>, line: &str, span: &SpanContext) -> fmt::Result {
    if line.is_empty() {
        return Ok(());
    }
    let text = line.trim_end_matches('\n');
    let newlines = &line[text.len()..];
    let (trace_id, span_id) = (span.trace_id(), span.span_id());
    // A JSON object's fields start with a quoted name: `{retry}` is text.
    match text
        .strip_prefix('{')
        .and_then(|inner| inner.strip_suffix('}'))
        .filter(|fields| fields.trim().is_empty() || fields.trim_start().starts_with('"'))
    {
        Some(fields) => {
            let comma = if fields.trim().is_empty() { "" } else { "," };
            write!(
                writer,
                "{{{fields}{comma}\"trace_id\":\"{trace_id}\",\"span_id\":\"{span_id}\"}}{newlines}"
            )
        }
        None => write!(
            writer,
            "{text} trace_id={trace_id} span_id={span_id}{newlines}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::{InstallError, filter_from, write_with_ids};
    use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
    use tracing_core::Level;
    use tracing_subscriber::fmt::format::Writer;

    #[test]
    fn a_json_line_gets_the_ids_as_two_fields_and_a_braced_text_line_at_its_end() {
        let span = SpanContext::new(
            TraceId::from_hex("0af7651916cd43dd8448eb211c80319c").unwrap(),
            SpanId::from_hex("b7ad6b7169203331").unwrap(),
            TraceFlags::SAMPLED,
            false,
            TraceState::NONE,
        );
        let with_ids = |line: &str| {
            let mut written = String::new();
            write_with_ids(&mut Writer::new(&mut written), line, &span).unwrap();
            written
        };
        assert_eq!(
            with_ids("{\"message\":\"retry\"}\n"),
            "{\"message\":\"retry\",\"trace_id\":\"0af7651916cd43dd8448eb211c80319c\",\"span_id\":\"b7ad6b7169203331\"}\n"
        );
        assert_eq!(
            with_ids("{retry}\n"),
            "{retry} trace_id=0af7651916cd43dd8448eb211c80319c span_id=b7ad6b7169203331\n",
            "text between braces is no JSON object"
        );
        assert_eq!(with_ids(""), "", "nothing written, nothing added");
    }

    #[test]
    fn rust_log_directives_filter_and_a_bad_one_says_how_they_are_written() {
        for unset in [None, Some(""), Some("  ")] {
            let filter = filter_from(unset).expect("the default");
            assert!(filter.would_enable("any", &Level::INFO));
            assert!(!filter.would_enable("any", &Level::DEBUG));
        }
        let filter = filter_from(Some("warn,h2=debug")).expect("valid directives");
        assert!(filter.would_enable("h2::codec", &Level::DEBUG));
        assert!(!filter.would_enable("hyper", &Level::INFO));
        // As scripts and `.env` files write them.
        for written in ["debug,", "info, hyper=warn,debug", " debug ", ",debug"] {
            let filter = filter_from(Some(written)).expect("valid directives");
            assert!(filter.would_enable("any", &Level::DEBUG), "{written:?}");
        }
        let filter = filter_from(Some("debug, hyper=warn")).expect("valid directives");
        assert!(!filter.would_enable("hyper::proto", &Level::INFO));
        let Err(InstallError::Filter(reason)) = filter_from(Some("info,=nonsense=")) else {
            panic!("invalid directives are an error");
        };
        assert!(
            reason.starts_with("RUST_LOG=\"info,=nonsense=\": "),
            "{reason}"
        );
        // Other filters' syntax, which `Targets` reads as targets' names.
        for (written, whose) in [
            ("info/checkout", "env_logger's"),
            ("info,[request]=debug", "EnvFilter's"),
            ("warn,shop[checkout{user}]=debug", "EnvFilter's"),
        ] {
            let Err(InstallError::Filter(reason)) = filter_from(Some(written)) else {
                panic!("{written:?} is an error");
            };
            assert!(reason.contains(whose), "{reason}");
        }
    }
}
