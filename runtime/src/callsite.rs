//! The static description of an annotated function and the code that opens its spans.
//!
//! Every `#[traced]` function gets one `static` [`Callsite`]: everything the macro
//! knows at compile time (name, kind, code location, scope) lives there, so opening
//! a span copies no strings, and the call site caches its tracer.

use crate::calls::CallCounts;
use crate::metrics::SiteSeries;
use crate::route::{CaptureRoute, TracerCache};
use crate::sampling::SampleHint;
use crate::sampling::early::Proposal;
use crate::span::{ActiveSpan, Attributes, OpenedSpan};
use crate::tally::Tally;
use opentelemetry::baggage::BaggageExt as _;
use opentelemetry::trace::{Link, Span as _, SpanBuilder, SpanContext, SpanKind, TraceContextExt};
use opentelemetry::{Context, InstrumentationScope, Key, KeyValue};
use std::borrow::Cow;
use std::mem::ManuallyDrop;
use std::sync::OnceLock;

/// What the macro knows about an annotated function.
#[doc(hidden)]
#[derive(Debug)]
pub struct SpanMeta {
    /// The span name: `name = ".."` or the function's name.
    pub name: &'static str,
    pub kind: SpanKind,
    /// Starts a new trace instead of a child of the current context.
    pub root: bool,
    /// Recorded as `code.function.name`.
    pub function: FunctionName,
    pub file: &'static str,
    pub line: u32,
    /// Record the `code.*` attributes (`code = false` turns them off).
    pub code: bool,
    /// The instrumentation scope: the annotated crate's name and version.
    pub scope_name: &'static str,
    pub scope_version: &'static str,
    /// How many attributes the function records at most beside the code attributes,
    /// so the span's attribute vector is allocated once at its final size.
    pub max_attributes: usize,
    /// `sample = always | never`.
    pub sample: Option<SampleHint>,
    /// `metrics`: record `otel_traced.function.duration`.
    pub metrics: bool,
}

/// `code.function.name`: the annotated function's path with the type or trait of
/// the `impl` it is in (`shop::Cart<_>::add`, `<shop::Cart<_> as shop::Pay>::pay`),
/// fully qualified as the conventions want it, and telling apart the methods of
/// one name in one module. The macro does not see the `impl` a method is in: the
/// path is read once from the type name of an item the expansion nests in the
/// function, which the compiler writes with it.
#[doc(hidden)]
#[derive(Debug)]
pub enum FunctionName {
    /// A name known as written.
    Fixed(&'static str),
    /// The type name of `item`, nested in the function: its path, `::item` after.
    Nested {
        item: fn() -> &'static str,
        path: OnceLock<&'static str>,
    },
}

impl FunctionName {
    /// The name of the function `item` is nested in (`fn item() -> &'static str
    /// { type_name_of_val(&item) }`).
    #[doc(hidden)]
    pub const fn nested(item: fn() -> &'static str) -> Self {
        FunctionName::Nested {
            item,
            path: OnceLock::new(),
        }
    }

    /// The function's path.
    #[inline]
    pub fn get(&self) -> &'static str {
        match self {
            FunctionName::Fixed(name) => name,
            FunctionName::Nested { item, path } => path.get_or_init(|| enclosing_path(item())),
        }
    }
}

/// The module whose `main` `#[otel_traced::main]` is on, once it ran.
static ENTRY_MODULE: OnceLock<&'static str> = OnceLock::new();

/// Notes that `#[otel_traced::main]` is on the `main` of `module`: its body is a
/// `main` nested in that one, whose path is the user's `main`'s. (A module of the
/// application's named `main` holding a `main` reads as that one too; a name read
/// before `main` starts, by the catalog of a test binary, keeps the nesting.)
pub(crate) fn entry_in(module: &'static str) {
    let _ = ENTRY_MODULE.set(module);
}

/// The path of what the item named `nested` is nested in: its last segment
/// dropped, and those the body of an `async fn` or a closure adds
/// (`{{closure}}`), also in the middle: a function declared in the body of an
/// annotated one is in the expansion's closure. The body `#[otel_traced::main]`
/// nests in `main` is `main`.
fn enclosing_path(nested: &'static str) -> &'static str {
    let path = nested.rsplit_once("::").map_or(nested, |(path, _)| path);
    let path: &'static str = if path.contains("::{{closure}}") {
        // Once per function, held as long as its static call site.
        Box::leak(path.replace("::{{closure}}", "").into_boxed_str())
    } else {
        path
    };
    // `app::main::main`, or a function nested in it (`app::main::main::helper`),
    // is `app::main`'s; so is `app::main::main::main`, the future of a `main` a
    // runtime's attribute above `#[otel_traced::main]` rewrote.
    let Some(module) = ENTRY_MODULE.get() else {
        return path;
    };
    let Some(rest) = (path.strip_prefix(module)).and_then(|rest| rest.strip_prefix("::main::main"))
    else {
        return path;
    };
    let rest = (rest.strip_prefix("::main"))
        .filter(|rest| rest.is_empty() || rest.starts_with("::"))
        .unwrap_or(rest);
    match rest {
        "" => &path[..module.len() + "::main".len()],
        nested if nested.starts_with("::") => {
            Box::leak(format!("{module}::main{nested}").into_boxed_str())
        }
        _ => path,
    }
}

/// One annotated function: its metadata and its cached tracer.
#[doc(hidden)]
#[derive(Debug)]
pub struct Callsite {
    meta: &'static SpanMeta,
    tracers: TracerCache,
    /// The outcome counters of the function's span name, found on first use.
    counts: OnceLock<&'static CallCounts>,
    /// The first span name of another that it used, and its counters: an HTTP
    /// boundary's `{method} {route}` (one method, for most routes).
    other_counts: OnceLock<(Box<str>, &'static CallCounts)>,
    /// Its `otel_traced.function.duration` series, when measured.
    series: SiteSeries,
    /// Whether its spans are named at run time, from requests (the tower
    /// layers'), without bound; an annotated call site's names are its own or made
    /// from it (`{method} {route}`), `in_span`'s the program's `&'static str`s.
    named_at_run_time: bool,
}

/// Whether [`Callsite::open`] makes an explicit parent's baggage current while
/// the arguments are recorded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attach {
    /// A `parent = ..`: its baggage made current there.
    Explicit,
    /// A server's or consumer's parent, the context of the request or message,
    /// attached whole by its caller already (`start_under`).
    Attached,
}

/// Where a span's parent comes from (`parent = ..` takes a `&Context`, a `Context`
/// or a `SpanContext`).
#[doc(hidden)]
#[derive(Debug)]
pub enum Parent<'a> {
    /// The current context: the default.
    Current,
    /// An explicit parent context.
    Context(Cow<'a, Context>),
}

/// How the openers take what records a span's arguments: one type for every call
/// site, so that each annotated function does not get a copy of them of its own
/// (a dozen kilobytes of code each, generic over the expansion's closure). Called
/// once, when the span records.
pub(crate) type Record<'r> = dyn FnMut(&mut Attributes<'_>) + 'r;

/// `record` as a [`Record`]: run the first time only.
#[inline]
pub(crate) fn record_once(
    record: impl FnOnce(&mut Attributes<'_>),
) -> impl FnMut(&mut Attributes<'_>) {
    let mut record = Some(record);
    move |attributes| {
        if let Some(record) = record.take() {
            record(attributes);
        }
    }
}

/// What kind of call a span covers, which decides what ending early means.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    /// A synchronous call: it always runs to its end (or unwinds).
    Sync,
    /// The future of an `async fn`: dropped before it completes, its span is
    /// marked `otel_traced.cancelled`.
    Future,
    /// The future of a gRPC call, which dropped before it completes ends CANCELLED
    /// too, as gRPC tells both sides of a call given up (an error on the client
    /// only), in its span and its duration's series.
    GrpcCall(crate::rpc::Side),
    /// No call of its own: a context carried into a task or a future
    /// (`otel_traced::spawn`, `baggage::with_async`). A panic of the body is the
    /// body's calls', recorded by them and by the call it unwinds into, not again
    /// here.
    Carrier,
}

/// What `parent = ..` accepts (the expansion borrows the expression, so a
/// parameter used as the parent stays usable in the body).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`parent = ..` takes a `Context` or a `SpanContext` (or a reference to one), not `{Self}`",
    label = "not a parent context"
)]
pub trait ParentTarget {
    fn as_parent(&self) -> Parent<'_>;
}

impl ParentTarget for Context {
    fn as_parent(&self) -> Parent<'_> {
        Parent::Context(Cow::Borrowed(self))
    }
}

impl ParentTarget for SpanContext {
    /// This span context as the parent, in the current context: the span
    /// continues another trace, so, as for `root`, nothing about the current one
    /// carries over (a caller's `sample = never` is for its own descendants, not
    /// for a message's trace), but its other values do (baggage, an
    /// application's own). An invalid one (read from a message that carried none)
    /// is no parent: the span starts a new trace, as `root` does. As a parent it
    /// would count as one not sampled, and a parent-based sampler would drop the
    /// whole call. On a thread whose context is gone (`thread_exit.rs`), without
    /// the current one: nothing opens there.
    fn as_parent(&self) -> Parent<'_> {
        let current = crate::thread_exit::map_current(Context::clone).unwrap_or_default();
        let context = without_trace_hint(current).with_remote_span_context(self.clone());
        Parent::Context(Cow::Owned(context))
    }
}

impl<T: ParentTarget + ?Sized> ParentTarget for &T {
    fn as_parent(&self) -> Parent<'_> {
        (**self).as_parent()
    }
}

/// The parent given with `parent = ..`.
#[doc(hidden)]
#[inline]
pub fn parent<T: ParentTarget + ?Sized>(target: &T) -> Parent<'_> {
    target.as_parent()
}

/// What varies per call when a boundary's span is built (`rpc/open.rs`): its
/// name, its links, the attributes it gives from the start, and the call's tally
/// (its counters, its timing if measured). A function's opener passes these
/// straight to [`Callsite::proposal`] instead.
pub(crate) struct SpanStart {
    pub name: Cow<'static, str>,
    pub links: Vec<Link>,
    pub attributes: Vec<KeyValue>,
    /// `None` when nothing counts or measures calls.
    pub tally: Option<Tally>,
    /// Starts a new trace: a `root` call's (a `root` server's parent is its new
    /// trace already, or the layer it is served behind).
    pub root: bool,
}

/// What `link = ..` accepts (borrowed, as `parent = ..`).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`link = ..` takes a `SpanContext` or a `Context` (or a reference to one), not `{Self}`",
    label = "not something to link to"
)]
pub trait LinkTarget {
    fn linked_span_context(&self) -> SpanContext;
}

impl LinkTarget for SpanContext {
    fn linked_span_context(&self) -> SpanContext {
        self.clone()
    }
}

impl LinkTarget for Context {
    fn linked_span_context(&self) -> SpanContext {
        self.span().span_context().clone()
    }
}

impl<T: LinkTarget + ?Sized> LinkTarget for &T {
    fn linked_span_context(&self) -> SpanContext {
        (**self).linked_span_context()
    }
}

/// One target of `link = ..`.
#[doc(hidden)]
#[inline]
pub fn link<T: LinkTarget + ?Sized>(target: &T) -> SpanContext {
    target.linked_span_context()
}

/// The links given with `link = ..`; invalid span contexts (nothing to link to)
/// are left out. The expressions run only where the current context can be
/// reached: they are the user's, which would not run without the annotation (a
/// call from a thread-local's destructor, while its thread exits, opens nothing).
#[doc(hidden)]
pub fn links<const N: usize>(targets: impl FnOnce() -> [SpanContext; N]) -> Vec<Link> {
    if !crate::thread_exit::context_reachable() {
        return Vec::new();
    }
    targets()
        .into_iter()
        .filter(SpanContext::is_valid)
        .map(Link::with_context)
        .collect()
}

const CODE_ATTRIBUTES: usize = 3;

impl Callsite {
    #[doc(hidden)]
    pub const fn new(meta: &'static SpanMeta) -> Self {
        Callsite {
            meta,
            tracers: TracerCache::new(),
            counts: OnceLock::new(),
            other_counts: OnceLock::new(),
            series: SiteSeries::new(),
            named_at_run_time: false,
        }
    }

    /// A call site whose spans are named at run time (see `named_at_run_time`).
    #[cfg(feature = "http")]
    pub(crate) const fn named_at_run_time(meta: &'static SpanMeta) -> Self {
        Callsite {
            meta,
            tracers: TracerCache::new(),
            counts: OnceLock::new(),
            other_counts: OnceLock::new(),
            series: SiteSeries::new(),
            named_at_run_time: true,
        }
    }

    /// The outcome counters of this call site's operation.
    #[inline]
    pub(crate) fn counts(&self) -> &'static CallCounts {
        self.counts
            .get_or_init(|| crate::calls::counts_for_site(self.meta.name))
    }

    /// The counters of the operation named `name` (DESIGN §11: by span name): this
    /// call site's own when that is its span name, else those of the first other
    /// name it used, else looked up (the registry's lock and a hash), for a
    /// boundary whose span name holds the HTTP method or is known only per request
    /// (the tower layers).
    pub(crate) fn counts_named(&self, name: &str) -> &'static CallCounts {
        if name == self.meta.name {
            return self.counts();
        }
        if let Some((other, counts)) = self.other_counts.get()
            && **other == *name
        {
            return counts;
        }
        let counts = if self.named_at_run_time {
            crate::calls::counts_for(name)
        } else {
            crate::calls::counts_for_site(name)
        };
        // (Checked first: `set` would be given a copy of the name to drop.)
        if self.other_counts.get().is_none() {
            let _ = self.other_counts.set((name.into(), counts));
        }
        counts
    }

    /// Opens the span of one call. `links` runs only when a span may be recorded
    /// (the sampler sees the links); `record` only when the span is recording, so
    /// attribute expressions are neither evaluated nor formatted otherwise.
    #[inline]
    pub fn start(
        &'static self,
        parent: Parent<'_>,
        call: CallKind,
        links: impl FnOnce() -> Vec<Link>,
        record: impl FnOnce(&mut Attributes<'_>),
    ) -> ActiveSpan {
        self.start_named(self.meta.name, parent, call, links, record)
    }

    /// Whether the annotation says `root`.
    pub(crate) fn is_root(&self) -> bool {
        self.meta.root
    }

    /// [`Callsite::start`] with a span name chosen at run time (`in_span`).
    #[inline]
    pub(crate) fn start_named(
        &'static self,
        name: &'static str,
        parent: Parent<'_>,
        call: CallKind,
        links: impl FnOnce() -> Vec<Link>,
        record: impl FnOnce(&mut Attributes<'_>),
    ) -> ActiveSpan {
        if !crate::route::is_enabled() {
            return ActiveSpan::disabled();
        }
        self.start_function(name, parent, call, links(), &mut record_once(record))
    }

    /// Out of line: the expansion keeps only the check of [`Callsite::start_named`],
    /// so a call with nothing installed stays a small function. Not generic: one
    /// copy for every annotated function ([`Record`]).
    #[inline(never)]
    fn start_function(
        &'static self,
        name: &'static str,
        parent: Parent<'_>,
        call: CallKind,
        links: Vec<Link>,
        record: &mut Record<'_>,
    ) -> ActiveSpan {
        if !crate::thread_exit::context_reachable() {
            return ActiveSpan::disabled();
        }
        // `in_span` names its spans at run time: each name is an operation, and
        // none is an annotated function, whose duration the metrics record.
        let annotated = std::ptr::eq(name, self.meta.name);
        let counts = || {
            if annotated {
                self.counts()
            } else {
                crate::calls::counts_for_static(name)
            }
        };
        let timing = if annotated {
            crate::metrics::time_function(self.meta, &self.series)
        } else {
            None
        };
        // The tally first: the vectors made after it go straight into the proposal
        // rather than through a copy read back at once (a stall, seen with `perf`).
        let tally = Tally::for_call(counts, timing);
        let proposal = self.proposal(Cow::Borrowed(name), links, Vec::new());
        let root = self.meta.root;
        self.open(
            proposal,
            tally,
            parent,
            root,
            call,
            Attach::Explicit,
            record,
        )
    }

    /// Opens the span of a boundary call that may be recorded: out of line and
    /// not generic, so that each annotated boundary (generic over its closures and
    /// carrier, in `rpc/open.rs`) does not get a copy of the opening path of its
    /// own.
    #[inline(never)]
    pub(crate) fn start_enabled(
        &'static self,
        start: SpanStart,
        parent: Parent<'_>,
        call: CallKind,
        attach: Attach,
        record: &mut Record<'_>,
    ) -> ActiveSpan {
        let SpanStart {
            name,
            links,
            attributes,
            tally,
            root,
        } = start;
        let proposal = self.proposal(name, links, attributes);
        self.open(proposal, tally, parent, root, call, attach, record)
    }

    /// Opens the span `proposal` describes, for a call that keeps `tally` (whose
    /// counters the sampler sees): built once where it is returned (a value set
    /// after would take a copy of the whole `ActiveSpan`).
    #[inline(always)]
    #[allow(
        clippy::too_many_arguments,
        reason = "each a part of the call the span opens for; bundled, they would be moved again"
    )]
    fn open(
        &'static self,
        proposal: Proposed,
        mut tally: Option<Tally>,
        parent: Parent<'_>,
        root: bool,
        call: CallKind,
        attach: Attach,
        record: &mut Record<'_>,
    ) -> ActiveSpan {
        let counts = tally.as_ref().and_then(Tally::counts);
        let explicit = matches!(parent, Parent::Context(_));
        // Two reference counts at most: cheaper than building the span inside
        // `Context::map_current` and moving it out.
        let mut parent = match parent {
            Parent::Current => Context::current(),
            Parent::Context(explicit) => {
                crate::route::CaptureRoute::carried_into(explicit.into_owned())
            }
        };
        // A call starting a new trace is decided without its caller's span; its
        // body runs in its caller's context (`parent` still), with the new
        // trace's span and hint in place of the caller's.
        let new_trace;
        let decided_under = if root || holds_invalid_span(&parent) {
            new_trace = start_new_trace(&mut parent, self.meta.sample);
            &new_trace
        } else {
            if let Some(hint) = self.meta.sample {
                // The sampler reads the hint here; the span's context inherits it.
                parent = parent.with_value(hint);
            }
            &parent
        };
        // A call a test's capture takes (as the tracers decide below) is measured
        // in no installed metrics, as its span goes to no installed pipeline.
        if let Some(tally) = &mut tally
            && CaptureRoute::takes(decided_under)
        {
            tally.forget_timing();
        }
        // Worked on in place: the SDK span is large, and each move copies it.
        let open = || self.tracers.open(|| self.scope(), proposal, decided_under);
        let mut opened = match counts {
            Some(counts) => crate::calls::while_opening(counts, open),
            None => open(),
        };
        let Some(span) = opened.as_mut() else {
            start_clock(&mut tally);
            return ActiveSpan::without_span(None, call, tally);
        };
        if !span.is_recording() {
            start_clock(&mut tally);
            return unrecorded(span, parent, explicit, call, tally);
        }
        // User code (argument and `attrs(..)` expressions) runs only now, with no
        // borrow of the current context held, with an explicit parent's baggage if
        // there is one: `baggage(..)` reads the baggage the body will run with.
        // (Its baggage alone: a traced call in an expression is still the
        // caller's span's child, decided without the new span's hint.)
        crate::panic::contained(|| {
            let _baggage = (explicit && attach == Attach::Explicit).then(|| {
                let baggage = crate::baggage::copied(parent.baggage(), |_| true);
                Context::map_current(|current| current.with_baggage(baggage)).attach()
            });
            record(&mut Attributes::opening(span));
        });
        // Measured from here, as a call sampled out is from its decision: it
        // neither builds a span nor describes its arguments.
        start_clock(&mut tally);
        match opened {
            Some(span) => ActiveSpan::new(span.into_context(&parent), call, tally),
            None => ActiveSpan::without_span(None, call, tally),
        }
    }

    fn scope(&self) -> InstrumentationScope {
        InstrumentationScope::builder(self.meta.scope_name)
            .with_version(self.meta.scope_version)
            .with_schema_url(crate::SCHEMA_URL)
            .build()
    }

    /// The span as its sampler sees it, with the code attributes and a
    /// boundary's (`attributes`). Always inlined, and built straight from its
    /// parts: out of line, or from a struct of them, its parts went through memory
    /// field by field and were read back whole, which stalls the processor on
    /// store forwarding (about 8 ns a span sampled out, seen with `perf`).
    #[inline(always)]
    fn proposal(
        &self,
        name: Cow<'static, str>,
        links: Vec<Link>,
        attributes: Vec<KeyValue>,
    ) -> Proposed {
        let meta = self.meta;
        let code = if meta.code { CODE_ATTRIBUTES } else { 0 };
        let capacity = code + attributes.len() + meta.max_attributes;
        let attributes = if meta.code && !attributes.is_empty() {
            // The boundary's own first: the conventions require them, the code
            // attributes are recommended, and a low attribute count limit keeps the
            // first ones.
            let mut with_code = Vec::with_capacity(capacity);
            with_code.extend(attributes);
            with_code.extend(meta.code_attributes());
            with_code
        } else {
            attributes
        };
        Proposed {
            meta,
            name,
            links,
            attributes,
            capacity,
        }
    }
}

impl SpanMeta {
    /// `code.function.name`, `code.file.path`, `code.line.number`.
    fn code_attributes(&self) -> [KeyValue; CODE_ATTRIBUTES] {
        [
            KeyValue::new(
                Key::from_static_str("code.function.name"),
                self.function.get(),
            ),
            KeyValue::new(Key::from_static_str("code.file.path"), self.file),
            KeyValue::new(
                Key::from_static_str("code.line.number"),
                i64::from(self.line),
            ),
        ]
    }
}

/// A span of a call site as its sampler sees it (`sampling/early.rs`). Nothing is
/// allocated for the attributes of a function's span before the sampler kept it:
/// its code attributes wait on the stack. The span's vector is then allocated once
/// at its final size: freed on the export thread, a vector of a size the allocator
/// keeps in lock-free bins (glibc: up to 128 bytes, two attributes) does not
/// contend with the threads making spans, as a grown one does.
struct Proposed {
    meta: &'static SpanMeta,
    name: Cow<'static, str>,
    links: Vec<Link>,
    /// A boundary's attributes, then the code attributes; empty for a function.
    attributes: Vec<KeyValue>,
    /// How many attributes the span holds at most.
    capacity: usize,
}

impl Proposed {
    /// Whether the code attributes are still to be added (a function's span).
    fn code_waits(&self) -> bool {
        self.meta.code && self.attributes.is_empty()
    }
}

impl Proposal for Proposed {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &SpanKind {
        &self.meta.kind
    }

    fn links(&self) -> &[Link] {
        &self.links
    }

    // Inlined into the sampling decision, which it is most of: out of line, as the
    // compiler chose as the crate grew, it cost every sampled-out call about 40
    // instructions.
    #[inline(always)]
    fn with_attributes<R>(&self, decide: impl FnOnce(&[KeyValue]) -> R) -> R {
        if self.code_waits() {
            // Static strings and an integer: nothing to free, and their drop glue
            // (a hundred instructions) would run for nothing.
            decide(&*ManuallyDrop::new(self.meta.code_attributes()))
        } else {
            decide(&self.attributes)
        }
    }

    fn into_builder(self) -> SpanBuilder {
        let code_waits = self.code_waits();
        let Proposed {
            meta,
            name,
            links,
            mut attributes,
            capacity,
        } = self;
        // An empty vector is replaced rather than reserved into: reserving goes
        // through the vector's growth path, a few dozen instructions more a span.
        if attributes.is_empty() {
            attributes = Vec::with_capacity(capacity);
        } else {
            attributes.reserve_exact(capacity.saturating_sub(attributes.len()));
        }
        if code_waits {
            attributes.extend(meta.code_attributes());
        }
        let mut builder = SpanBuilder::from_name(name).with_kind(meta.kind.clone());
        if !links.is_empty() {
            builder.links = Some(links);
        }
        // Set directly rather than through `with_attributes`, which collects and
        // so would not promise to keep the reserved capacity.
        builder.attributes = Some(attributes);
        builder
    }
}

/// Starts the clock of `tally`'s duration, if it measures one. (In place: a tally
/// moved through a function of its own is copied twice, some 35 instructions a
/// call on every path, callgrind says.)
#[inline(always)]
fn start_clock(tally: &mut Option<Tally>) {
    if let Some(tally) = tally {
        tally.start_clock();
    }
}

/// What the body of a span that was sampled out runs under. When its parent is a
/// local span that was not sampled either, in the same trace and trace state,
/// nothing needs creating: what runs below sees that parent and decides the same
/// way (a sync body runs under it where it is; the parent is carried, made
/// current, when it was given explicitly or the body is a future, polled later
/// wherever its caller polls it). Otherwise a context
/// with the new span context but not the span (nothing records into it, and
/// nothing is left to end): one allocation, where a context holding the SDK's span
/// would box it too.
fn unrecorded(
    span: &mut OpenedSpan,
    parent: Context,
    explicit: bool,
    call: CallKind,
    tally: Option<Tally>,
) -> ActiveSpan {
    let span_context = span.take_span_context();
    let parent_span = parent.span();
    let parent_context = parent_span.span_context();
    // Under a parent that records without being sampled (a sampler's RecordOnly),
    // the body must not run in the parent's context: its `record!` and
    // `set_status` would change the parent.
    let nothing_to_carry = parent_context.is_valid()
        && !parent_context.is_remote()
        && !parent_context.is_sampled()
        && !parent_span.is_recording()
        && !span_context.is_sampled()
        && parent_context.trace_id() == span_context.trace_id()
        && parent_context.trace_state() == span_context.trace_state()
        && !matches!(
            parent.get::<SampleHint>(),
            Some(SampleHint::Always | SampleHint::Never)
        );
    if nothing_to_carry {
        let carried = explicit || call != CallKind::Sync;
        let current = carried.then_some(parent);
        return ActiveSpan::without_span(current, call, tally);
    }
    ActiveSpan::without_span(
        Some(parent.with_remote_span_context(span_context)),
        call,
        tally,
    )
}

/// Whether `context` holds a span that is invalid: a no-op span of the global API
/// (`opentelemetry::global::tracer` with no provider there, middleware continuing
/// no trace). That is no parent: the SDK's parent-based sampler would take it for
/// one not sampled and drop the whole call under it, where the specification's
/// (and Java's) treat it as none; the call starts a root, keeping the baggage.
#[inline(always)]
pub(crate) fn holds_invalid_span(context: &Context) -> bool {
    context.has_active_span() && !context.span().span_context().is_valid()
}

/// The parent context of a `root` span: no span, so a new trace starts, but the
/// entries that are not about the trace (baggage, the capture route) carry over.
pub(crate) fn root_context(current: &Context) -> Context {
    let baggage = current.baggage();
    let root = boundary_base(current);
    if baggage.is_empty() {
        return root;
    }
    root.with_baggage(crate::baggage::copied(baggage, |_| true))
}

/// The context a call starting a new trace is decided under (no span, the
/// caller's baggage, the call's own hint); `caller` becomes the context its body
/// runs in: the caller's, with the call's hint in place of the caller's.
#[cold]
fn start_new_trace(caller: &mut Context, hint: Option<SampleHint>) -> Context {
    let root = root_context(caller);
    match hint {
        Some(hint) => {
            *caller = caller.with_value(hint);
            root.with_value(hint)
        }
        None => {
            *caller = without_trace_hint(std::mem::take(caller));
            root
        }
    }
}

/// `caller` without a sampling hint of its own: the context a call starting a
/// new trace runs in (a hint is about the caller's trace; the values an
/// application or a propagator keeps in the context carry over).
fn without_trace_hint(caller: Context) -> Context {
    if caller.get::<SampleHint>().is_some() {
        caller.with_value(SampleHint::Sampler)
    } else {
        caller
    }
}

/// An empty context but for the capture route of `current` and its suppression of
/// telemetry: what a new trace or a context extracted from a request starts from,
/// so that tests capture it, and so that code run by the export itself (an
/// exporter's own traced helper) stays untraced rather than feeding the export.
pub(crate) fn boundary_base(current: &Context) -> Context {
    let base = match current.get::<CaptureRoute>() {
        Some(route) => Context::new().with_value(route.clone()),
        None => Context::new(),
    };
    if current.is_telemetry_suppressed() {
        base.with_telemetry_suppressed()
    } else {
        base
    }
}

#[cfg(test)]
mod tests {
    use super::{enclosing_path, entry_in};

    #[test]
    fn what_otel_traced_main_nests_in_main_is_mains() {
        entry_in("app");
        for (nested, path) in [
            ("app::main::main::item", "app::main"),
            ("app::main::main::{{closure}}::item", "app::main"),
            ("app::main::main::helper::item", "app::main::helper"),
            ("app::main::main::main::{{closure}}::item", "app::main"),
            ("app::main::main::main::helper::item", "app::main::helper"),
            ("app::main::main::mainly::item", "app::main::mainly"),
            ("app::main::mainly::item", "app::main::mainly"),
            ("app::main::item", "app::main"),
            ("other::main::main::item", "other::main::main"),
        ] {
            assert_eq!(enclosing_path(nested), path);
        }
    }
}
