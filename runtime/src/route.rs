//! Where a new span goes: to the provider `init()` installed, to a test capture, or
//! nowhere. See `docs/architecture.md` for why it is built this way.
//!
//! One word of state, [`ENABLED`], answers "could any span be recorded at all?" with
//! a single relaxed atomic load: bit 0 is set while a provider is installed, bit 1
//! while a guard dropped unused waits to be told of ([`DROPPED_UNUSED_BIT`]), and
//! every live capture adds [`CAPTURE_UNIT`]. When it reads zero, an annotated
//! function runs its body and nothing else.

use crate::sampling::HintedSampler;
use crate::sampling::SampleHint;
use crate::sampling::early::{self, Proposal};
use crate::span::OpenedSpan;
use opentelemetry::trace::SpanBuilder;
use opentelemetry::trace::{
    Span as _, SpanContext, TraceContextExt, TraceFlags, TraceId, TraceState, Tracer as _,
    TracerProvider as _,
};
use opentelemetry::{Context, InstrumentationScope};
use opentelemetry_sdk::trace::{IdGenerator as _, RandomIdGenerator, SdkTracer, SdkTracerProvider};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError, RwLock, Weak};

const INSTALLED_BIT: usize = 1;
/// Set when a guard was dropped before any span opened under its installation
/// (`let _ = init()?;` drops it at the end of the statement), until the first
/// span that goes nowhere since then says so: the mistake is told once, where it
/// shows, and costs the calls with nothing installed nothing.
const DROPPED_UNUSED_BIT: usize = 2;
const CAPTURE_UNIT: usize = 4;

/// Bit 0: a provider is installed. Bit 1: [`DROPPED_UNUSED_BIT`]. Bits 2..: the
/// number of live captures.
static ENABLED: AtomicUsize = AtomicUsize::new(0);

/// Bumped on every install and uninstall, so per-call-site tracer caches can tell
/// that the provider they cached is no longer the installed one.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// The generation of the process's first installation ([`install`]).
const FIRST_INSTALLATION: u64 = 1;

/// The last generation a call site built its tracer under, or a capture's span
/// opened under: written where a call site's first span under an installation
/// opens (a cold path) and where a capture's span opens, read when it is
/// uninstalled, for whether any span opened while it lived.
static OPENED_UNDER: AtomicU64 = AtomicU64::new(0);

/// Where spans not routed to a capture go, tagged with the generation it was
/// installed under.
static INSTALLED: RwLock<Option<(u64, Destination)>> = RwLock::new(None);

/// What `init()` or `use_global_provider()` installed.
#[derive(Debug)]
pub(crate) enum Destination {
    /// Our own provider, built from the configuration, and its sampler, which
    /// decides spans before the provider builds them.
    Ours(SdkTracerProvider, HintedSampler),
    /// Whatever `opentelemetry::global` holds, which the application set up.
    Global,
}

/// Root traces started inside a capture, so that a span continuing one of them from
/// a bare `SpanContext` (a server reading `traceparent`, an explicit `parent =`) is
/// routed to the same capture although its context does not carry the route.
static CAPTURED_TRACES: LazyLock<Mutex<HashMap<TraceId, Weak<CaptureSink>>>> =
    LazyLock::new(Mutex::default);

thread_local! {
    /// Set on our export threads; see [`mark_export_thread`].
    static EXPORT_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Marks the current thread as one of our export threads. What the network
/// clients emit on it (`tracing` spans and events of hyper, h2 and tonic, `log`
/// records of rustls) is never recorded: exporting it would make more to export,
/// for ever. A flag of the thread rather than the SDK's suppressed context: that
/// context did not hold on these threads in our tests, where the contexts that
/// `tracing` spans attach and detach across polls of interleaved tasks replace it
/// (`tests/tests/logs_export.rs` counts what arrives).
#[cfg(feature = "otlp")]
pub(crate) fn mark_export_thread() {
    EXPORT_THREAD.with(|exporting| exporting.set(true));
}

/// Whether this is one of our export threads.
pub(crate) fn on_export_thread() -> bool {
    EXPORT_THREAD.with(std::cell::Cell::get)
}

/// Could any span be recorded? One relaxed load: the whole cost of an annotated
/// function while nothing is installed.
#[inline(always)]
pub fn is_enabled() -> bool {
    ENABLED.load(Ordering::Relaxed) != 0
}

/// Runs `f` unless something is installed, holding the installation's lock so
/// that nothing is installed while it runs; whether it ran.
pub(crate) fn unless_installed(f: impl FnOnce()) -> bool {
    let installed = INSTALLED.read().unwrap_or_else(PoisonError::into_inner);
    let ran = installed.is_none();
    if ran {
        f();
    }
    ran
}

/// Whether a provider is installed (a `Guard` lives).
pub(crate) fn is_installed() -> bool {
    ENABLED.load(Ordering::Acquire) & INSTALLED_BIT != 0
}

fn captures_active() -> bool {
    ENABLED.load(Ordering::Relaxed) >= CAPTURE_UNIT
}

/// Makes `destination` where every span not routed to a capture goes. Fails,
/// returning it, when something is installed already.
pub(crate) fn install(destination: Destination) -> Result<(), Destination> {
    // Before the lock: the hook is chained under the panic hook's own lock, which
    // a thread panicking holds while its hook runs, and a hook opening a span
    // reads what is installed (an install holding this lock meanwhile would wait
    // for that thread, and it for this one).
    crate::panic::install_location_hook();
    let mut installed = INSTALLED.write().unwrap_or_else(PoisonError::into_inner);
    if installed.is_some() {
        return Err(destination);
    }
    let generation = GENERATION.fetch_add(1, Ordering::AcqRel) + 1;
    *installed = Some((generation, destination));
    // An earlier guard's mistake is no longer this one's to tell.
    ENABLED.fetch_and(!DROPPED_UNUSED_BIT, Ordering::Relaxed);
    ENABLED.fetch_or(INSTALLED_BIT, Ordering::Release);
    Ok(())
}

/// How the guard of what is uninstalled ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GuardEnd {
    /// Dropped: unused till then, it was likely bound to `_`.
    Dropped,
    /// Shut down by a call, on purpose.
    ShutDown,
}

/// Removes what is installed. Spans started from now on go nowhere; spans already
/// running keep their tracer and reach the old provider only if it is still running
/// when they end. A guard `Dropped` before any span opened under its installation
/// has the first span that goes nowhere since say so ([`DROPPED_UNUSED_BIT`]).
pub(crate) fn uninstall(end: GuardEnd) {
    let mut installed = INSTALLED.write().unwrap_or_else(PoisonError::into_inner);
    let uninstalled = installed.take();
    if let Some((generation, _)) = &uninstalled {
        GENERATION.fetch_add(1, Ordering::AcqRel);
        // Under the write lock: a span opening under the installation wrote its
        // generation under the read lock.
        let unused = OPENED_UNDER.load(Ordering::Relaxed) != *generation;
        let told = if end == GuardEnd::Dropped && unused {
            DROPPED_UNUSED_BIT
        } else {
            0
        };
        ENABLED.fetch_and(!INSTALLED_BIT, Ordering::Release);
        ENABLED.fetch_or(told, Ordering::Release);
    }
    // The later installations' tracers held by call sites (none is used again:
    // the generation moved on), dropped with the provider, if they were its
    // last holders, once no lock is held.
    let held: Vec<(u64, CachedTracer)> = lock(&LATER_SLOTS)
        .iter()
        .filter_map(|slot| slot.write().unwrap_or_else(PoisonError::into_inner).take())
        .collect();
    drop(installed);
    drop((uninstalled, held));
}

/// A call site's tracer for the installed provider, rebuilt when the provider changes.
///
/// A tracer holds an `Arc` of its instrumentation scope, so building one per span
/// would allocate; the cache builds it once per call site and provider generation.
/// With the global provider there is nothing to cache: each span asks
/// `opentelemetry::global` for its tracer.
///
/// The tracer of the process's first installation is kept where one load reads
/// it: a process installs once, and a read lock costs two atomic read-modify-writes
/// per span (about 14 ns on the two-core machine of DESIGN §7). The tracers of later
/// installations (tests, a re-initialised process) are kept behind a lock, and
/// dropped when their installation is uninstalled, so that its provider's memory
/// is freed with its guard; the first one stays in place, unused, keeping its provider's memory
/// (not its threads: it was shut down when it was uninstalled). Nothing can free it
/// safely without making every read pay for knowing when the last one ended;
/// `Guard` documents the cost.
#[derive(Debug)]
pub(crate) struct TracerCache {
    first: OnceLock<(u64, CachedTracer)>,
    /// A later installation's tracer, in a slot [`LATER_SLOTS`] lists so that
    /// uninstalling empties it: a call site not called again would keep that
    /// provider (its queue: megabytes) for the process's life.
    later: OnceLock<Arc<LaterSlot>>,
}

type LaterSlot = RwLock<Option<(u64, CachedTracer)>>;

/// Every call site's [`TracerCache::later`] slot, once it held a tracer: as many
/// as call sites, at most.
static LATER_SLOTS: Mutex<Vec<Arc<LaterSlot>>> = Mutex::new(Vec::new());

#[derive(Clone, Debug)]
enum CachedTracer {
    Ours(SdkTracer, HintedSampler),
    Global,
}

impl TracerCache {
    pub(crate) const fn new() -> Self {
        TracerCache {
            first: OnceLock::new(),
            later: OnceLock::new(),
        }
    }

    /// Opens a span where `parent` leads: into the capture it belongs to, else
    /// with this call site's tracer for what is installed; `None` when neither.
    #[inline(always)]
    pub(crate) fn open(
        &self,
        scope: impl Fn() -> InstrumentationScope,
        proposal: impl Proposal,
        parent: &Context,
    ) -> Option<OpenedSpan> {
        let Some(route) = CaptureRoute::for_parent(parent) else {
            return self.build(scope, proposal, parent);
        };
        // A span while something is installed, if anything is: its guard was used.
        OPENED_UNDER.store(GENERATION.load(Ordering::Relaxed), Ordering::Relaxed);
        let tracer = route.sink.provider.tracer_with_scope(scope());
        let span = early::open(&tracer, &route.sink.sampler, proposal, parent);
        if let Some(span) = &span
            && !parent.span().span_context().is_valid()
        {
            route.register_root(span.span_context());
        }
        span
    }

    /// Opens a span with this call site's tracer for what is installed, or returns
    /// `None` when nothing is.
    #[inline]
    fn build(
        &self,
        scope: impl FnOnce() -> InstrumentationScope,
        proposal: impl Proposal,
        parent: &Context,
    ) -> Option<OpenedSpan> {
        let generation = GENERATION.load(Ordering::Acquire);
        match self.first.get() {
            Some((first_generation, tracer)) if *first_generation == generation => {
                open(tracer, scope, proposal, parent)
            }
            _ => self.build_otherwise(generation, scope, proposal, parent),
        }
    }

    /// [`TracerCache::build`] with a later installation's tracer, or after the
    /// provider changed: out of line, so that the common path inlines one opening.
    #[cold]
    #[inline(never)]
    fn build_otherwise(
        &self,
        generation: u64,
        scope: impl FnOnce() -> InstrumentationScope,
        proposal: impl Proposal,
        parent: &Context,
    ) -> Option<OpenedSpan> {
        // No lock is held while the span opens: the sampler and the SDK's build run
        // there, and may open spans themselves (a `tracing` span, through this same
        // cache), which would wait on a lock held above them for ever.
        let later = self.later.get().and_then(|slot| {
            let later = slot.read().unwrap_or_else(PoisonError::into_inner);
            later
                .as_ref()
                .filter(|(later_generation, _)| *later_generation == generation)
                .map(|(_, tracer)| tracer.clone())
        });
        if let Some(tracer) = later {
            return open(&tracer, scope, proposal, parent);
        }
        let scope = scope();
        let tracer = {
            // Held while `later` is written: an older installation's tracer cannot
            // overwrite a newer one's there.
            let installed = INSTALLED.read().unwrap_or_else(PoisonError::into_inner);
            let Some((installed_generation, destination)) = installed.as_ref() else {
                drop(installed);
                tell_of_a_span_after_an_unused_guard();
                return None;
            };
            OPENED_UNDER.store(*installed_generation, Ordering::Relaxed);
            let tracer = match destination {
                Destination::Ours(provider, sampler) => {
                    CachedTracer::Ours(provider.tracer_with_scope(scope.clone()), sampler.clone())
                }
                Destination::Global => CachedTracer::Global,
            };
            let entry = (*installed_generation, tracer);
            // The first installation's only: another would stay in place, its
            // provider's memory with it, for the process's life.
            if *installed_generation == FIRST_INSTALLATION && self.first.get().is_none() {
                // Another thread may have filled it meanwhile: its tracer serves
                // this span.
                let (_, tracer) = self.first.get_or_init(|| entry);
                drop(installed);
                return open(tracer, || scope, proposal, parent);
            }
            let tracer = entry.1.clone();
            let slot = self.later.get_or_init(|| {
                let slot = Arc::new(RwLock::new(None));
                lock(&LATER_SLOTS).push(Arc::clone(&slot));
                slot
            });
            let replaced = slot
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .replace(entry);
            drop(installed);
            drop(replaced);
            tracer
        };
        open(&tracer, || scope, proposal, parent)
    }
}

/// Says, once, that a span began with nothing installed after a guard was dropped
/// unused ([`DROPPED_UNUSED_BIT`]): the spans of the whole program go nowhere.
#[cold]
fn tell_of_a_span_after_an_unused_guard() {
    if ENABLED.load(Ordering::Relaxed) & DROPPED_UNUSED_BIT != 0
        && ENABLED.fetch_and(!DROPPED_UNUSED_BIT, Ordering::Relaxed) & DROPPED_UNUSED_BIT != 0
    {
        crate::tell(format_args!(
            "a span began after otel-traced's guard was dropped, none having begun \
             while it lived: nothing is recorded. A guard bound to `_` \
             (`let _ = otel_traced::init()?;`) is dropped at once: bind it to a name \
             that lives while the program runs (`let _guard = ...`)"
        ));
    }
}

/// The span `tracer` opens: always `Some`, in the shape the route returns, so that
/// the span is written once into the caller's slot (see `early::open`).
#[inline]
fn open(
    tracer: &CachedTracer,
    scope: impl FnOnce() -> InstrumentationScope,
    proposal: impl Proposal,
    parent: &Context,
) -> Option<OpenedSpan> {
    match tracer {
        CachedTracer::Ours(tracer, sampler) => early::open(tracer, sampler, proposal, parent),
        CachedTracer::Global if parent.get::<SampleHint>() == Some(&SampleHint::Never) => {
            Some(never_sampled(parent))
        }
        CachedTracer::Global => Some(OpenedSpan::Global(
            opentelemetry::global::tracer_provider()
                .tracer_with_scope(scope())
                .build_with_context(opening_within_length_limit(proposal.into_builder()), parent),
        )),
    }
}

/// A span's opening attributes cut to the value length limit for the
/// application's own provider, which our pipelines' cut does not reach (the code
/// location, what a request brought).
fn opening_within_length_limit(mut builder: SpanBuilder) -> SpanBuilder {
    if let Some(attributes) = &mut builder.attributes {
        crate::value::attributes_within_length_limit(attributes);
    }
    builder
}

/// `sample = never` on the application's own provider, whose sampler cannot see
/// the hint: the span is dropped here, as our sampler would drop it, with new ids
/// in the parent's trace (or a new one) and not sampled, so what runs below
/// inherits the decision. (`sample = always` cannot be forced on a foreign
/// provider: its sampler decides.)
fn never_sampled(parent: &Context) -> OpenedSpan {
    let ids = RandomIdGenerator::default();
    let parent = parent.span();
    let parent = parent.span_context();
    let (trace_id, flags, trace_state) = if parent.is_valid() {
        (
            parent.trace_id(),
            crate::propagation::unsampled_child_flags(parent.trace_flags()),
            parent.trace_state().clone(),
        )
    } else {
        (ids.new_trace_id(), TraceFlags::default(), TraceState::NONE)
    };
    OpenedSpan::Unsampled(SpanContext::new(
        trace_id,
        ids.new_span_id(),
        flags,
        false,
        trace_state,
    ))
}

#[cfg(feature = "testing")]
thread_local! {
    /// See [`CaptureRoute::running_here`].
    static RUNNING_HERE: std::cell::RefCell<Option<CaptureRoute>> =
        const { std::cell::RefCell::new(None) };
}

/// Puts back the capture that ran on this thread before, when dropped (also
/// where the call panics): see [`CaptureRoute::running_here`].
#[cfg(feature = "testing")]
pub(crate) struct RunningHere(Option<Option<CaptureRoute>>);

#[cfg(feature = "testing")]
impl Drop for RunningHere {
    fn drop(&mut self) {
        if let Some(before) = self.0.take() {
            let _ = RUNNING_HERE.try_with(|here| here.replace(before));
        }
    }
}

/// What a capture collects: its own provider (with its sampler and a processor that
/// pushes ended spans into `spans`) and the root traces it started.
#[derive(Debug)]
pub(crate) struct CaptureSink {
    provider: SdkTracerProvider,
    sampler: HintedSampler,
    traces: Mutex<Vec<TraceId>>,
    /// Set when the capture ends: contexts that still carry the route (a task
    /// that outlived the call) then send their spans elsewhere.
    closed: AtomicBool,
    /// What the capture's contexts hold while they live ([`CaptureRoute::carried`]),
    /// for a request's context joining the capture by its trace to hold too.
    #[cfg(feature = "testing")]
    carried: std::sync::OnceLock<Weak<Carried>>,
}

/// The context entry that sends spans to a capture; every context derived from the
/// capture's own carries it, across threads and tasks, and so do the contexts of
/// new traces and extracted requests started under one (`callsite::boundary_base`).
#[derive(Clone, Debug)]
pub(crate) struct CaptureRoute {
    sink: Arc<CaptureSink>,
    /// Held by the routes in contexts, not by the capture's own: while one lives,
    /// work the captured call handed on may still start spans (`testing.rs`).
    /// Held, not read: its count is what tells.
    _carried: Option<Arc<Carried>>,
}

/// See [`CaptureRoute::carried`]; tells the capture when the last of its kind goes.
pub(crate) struct Carried {
    gone: Box<dyn Fn() + Send + Sync>,
}

impl Drop for Carried {
    fn drop(&mut self) {
        (self.gone)();
    }
}

impl std::fmt::Debug for Carried {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Carried")
    }
}

impl CaptureRoute {
    /// Registers a new capture; it stays active until [`CaptureRoute::close`].
    #[cfg(feature = "testing")]
    pub(crate) fn open(provider: SdkTracerProvider, sampler: HintedSampler) -> Self {
        crate::panic::install_location_hook();
        ENABLED.fetch_add(CAPTURE_UNIT, Ordering::AcqRel);
        CaptureRoute {
            sink: Arc::new(CaptureSink {
                provider,
                sampler,
                traces: Mutex::default(),
                closed: AtomicBool::new(false),
                carried: std::sync::OnceLock::new(),
            }),
            _carried: None,
        }
    }

    /// The route the capture's context carries, and what stays alive while a
    /// context made from it (or a route copied from one) lives; `gone` is called
    /// when the last one is dropped.
    #[cfg(feature = "testing")]
    pub(crate) fn carried(
        &self,
        gone: impl Fn() + Send + Sync + 'static,
    ) -> (CaptureRoute, Weak<Carried>) {
        let carried = Arc::new(Carried {
            gone: Box::new(gone),
        });
        let alive = Arc::downgrade(&carried);
        let _ = self.sink.carried.set(alive.clone());
        let route = CaptureRoute {
            sink: Arc::clone(&self.sink),
            _carried: Some(carried),
        };
        (route, alive)
    }

    /// Ends the capture: its traces are forgotten and spans of them started later go
    /// wherever they would have gone without it.
    #[cfg(feature = "testing")]
    pub(crate) fn close(&self) {
        // Under the registry's lock, as `register_root` checks: a root started on
        // another thread meanwhile is either forgotten here or not registered.
        let mut registry = lock(&CAPTURED_TRACES);
        self.sink.closed.store(true, Ordering::Release);
        let traces = std::mem::take(&mut *lock(&self.sink.traces));
        for trace_id in traces {
            registry.remove(&trace_id);
        }
        drop(registry);
        ENABLED.fetch_sub(CAPTURE_UNIT, Ordering::AcqRel);
    }

    /// `extracted` (a request's or a message's context) with the route of the
    /// capture that started its trace, holding that capture open as the capture's
    /// own contexts do: what its server hands on (a task it spawns, its spans
    /// opening after the server's end) is then waited for and captured, as what a
    /// captured call hands on is. A server started outside the capture otherwise
    /// finds it by the trace alone, span by span.
    #[cfg(feature = "testing")]
    pub(crate) fn joined(extracted: Context) -> Context {
        if !captures_active() {
            return extracted;
        }
        match Self::holding_open(&extracted) {
            Some(route) => extracted.with_value(route),
            None => extracted,
        }
    }

    /// `explicit`, a context given as a span's parent (`parent = ..`), with a
    /// route when it carries none: that of the capture that started its trace,
    /// held open as [`CaptureRoute::joined`] holds it (a server continuing a
    /// captured call from headers it read by hand hands work on as one reading
    /// them through `#[traced_rpc]`), else that of the capture current here. The
    /// span goes to that capture ([`CaptureRoute::for_parent`]), and so must what
    /// its body opens, under a context made of this one (a parent written by hand
    /// in a test, whose trace no capture started, would lose them).
    #[cfg(feature = "testing")]
    pub(crate) fn carried_into(explicit: Context) -> Context {
        if !captures_active() || Self::open_in(&explicit).is_some() {
            return explicit;
        }
        let route = Self::holding_open(&explicit)
            .or_else(|| crate::thread_exit::map_current(Self::open_in).flatten());
        match route {
            Some(route) => explicit.with_value(route),
            None => explicit,
        }
    }

    /// The route of the open capture that started the trace of `context`'s span,
    /// holding that capture open while a context of it lives.
    #[cfg(feature = "testing")]
    fn holding_open(context: &Context) -> Option<CaptureRoute> {
        let trace_id = context.span().span_context().trace_id();
        let sink = lock(&CAPTURED_TRACES)
            .get(&trace_id)
            .and_then(Weak::upgrade)
            .filter(|sink| !sink.closed.load(Ordering::Acquire))?;
        let carried = sink.carried.get().and_then(Weak::upgrade);
        Some(CaptureRoute {
            sink,
            _carried: carried,
        })
    }

    /// Without captures, `explicit` as it is.
    #[cfg(not(feature = "testing"))]
    #[inline]
    pub(crate) fn carried_into(explicit: Context) -> Context {
        explicit
    }

    /// Without captures, `extracted` as it is.
    #[cfg(not(feature = "testing"))]
    #[inline]
    pub(crate) fn joined(extracted: Context) -> Context {
        extracted
    }

    /// The capture that a span with this parent belongs to, if any: the capture
    /// that started the parent's trace, else the open route the parent context
    /// carries, else the current context's (a parent given explicitly, such as a
    /// context extracted from a test's hand-written headers, carries none), else
    /// the capture whose call runs on this thread ([`CaptureRoute::running_here`]). The
    /// trace's own capture comes first: a server task started inside one test's
    /// capture (its accept loop carries that route) serves the requests of other
    /// tests, whose traces are theirs.
    pub(crate) fn for_parent(parent: &Context) -> Option<CaptureRoute> {
        if !captures_active() {
            return None;
        }
        let span_context = parent.span().span_context().clone();
        let started = span_context
            .is_valid()
            .then(|| {
                lock(&CAPTURED_TRACES)
                    .get(&span_context.trace_id())
                    .and_then(Weak::upgrade)
                    .map(|sink| CaptureRoute {
                        sink,
                        _carried: None,
                    })
                    .filter(|route| !route.is_closed())
            })
            .flatten();
        let found = started
            .or_else(|| Self::open_in(parent))
            .or_else(|| crate::thread_exit::map_current(Self::open_in).flatten());
        #[cfg(feature = "testing")]
        let found = found.or_else(Self::the_one_running_here);
        found
    }

    /// Makes the capture whose route `context` carries the one running on this
    /// thread until the guard returned drops, for [`CaptureRoute::for_parent`] to
    /// find where neither the parent nor the current context carries it: a call
    /// that builds its context from `Context::new()` (a job detached on purpose, a
    /// test's fixture) still starts its traces inside the capture.
    #[cfg(feature = "testing")]
    pub(crate) fn running_here(context: &Context) -> RunningHere {
        // Not holding the capture open: its call's end settles it, as before.
        let route = Self::open_in(context).map(|route| CaptureRoute {
            sink: route.sink,
            _carried: None,
        });
        RunningHere(RUNNING_HERE.try_with(|here| here.replace(route)).ok())
    }

    /// The capture whose call runs on this thread, if it is still open.
    #[cfg(feature = "testing")]
    fn the_one_running_here() -> Option<CaptureRoute> {
        (RUNNING_HERE.try_with(|here| here.borrow().clone()).ok())
            .flatten()
            .filter(|route| !route.is_closed())
    }

    /// Whether a span decided under `parent` goes to a running capture (as
    /// [`TracerCache::open`] routes it): what its call measures then stays out of
    /// the metrics the process installed, as its span and exceptions do.
    #[inline]
    pub(crate) fn takes(parent: &Context) -> bool {
        captures_active() && Self::found_for(parent)
    }

    /// Out of line: only tests run captures.
    #[cold]
    #[inline(never)]
    fn found_for(parent: &Context) -> bool {
        Self::for_parent(parent).is_some()
    }

    /// Whether the current context is a running capture's (what its calls record
    /// stays in it, apart from the pipelines the process installed).
    pub(crate) fn holds_current() -> bool {
        captures_active()
            && crate::thread_exit::map_current(|current| Self::for_parent(current).is_some())
                .unwrap_or(false)
    }

    /// The route `context` carries, unless its capture is closed.
    fn open_in(context: &Context) -> Option<CaptureRoute> {
        context
            .get::<CaptureRoute>()
            .filter(|route| !route.is_closed())
            .cloned()
    }

    fn is_closed(&self) -> bool {
        self.sink.closed.load(Ordering::Acquire)
    }

    /// Whether both routes lead to one capture.
    #[cfg(test)]
    pub(crate) fn is(&self, other: &CaptureRoute) -> bool {
        Arc::ptr_eq(&self.sink, &other.sink)
    }

    /// Remembers a trace this capture started, so spans continuing it from a bare
    /// span context find their way back here.
    pub(crate) fn register_root(&self, root: &SpanContext) {
        if !root.is_valid() {
            return;
        }
        let mut registry = lock(&CAPTURED_TRACES);
        if self.is_closed() {
            return;
        }
        lock(&self.sink.traces).push(root.trace_id());
        registry.insert(root.trace_id(), Arc::downgrade(&self.sink));
    }
}

/// Whether a capture's trace `trace_id` is in the registry, closed or not.
#[cfg(all(test, feature = "testing"))]
pub(crate) fn registered(trace_id: TraceId) -> bool {
    lock(&CAPTURED_TRACES).contains_key(&trace_id)
}

/// Locks a mutex whose data stays consistent even if a holder panicked (every
/// critical section here is a single push, insert or take).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::{Destination, TracerCache, install, uninstall};
    use opentelemetry::trace::SpanBuilder;
    use opentelemetry::{Context, InstrumentationScope};
    use opentelemetry_sdk::error::OTelSdkResult;
    use opentelemetry_sdk::trace::{Sampler, SpanData, SpanProcessor};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// A processor saying when it is dropped: with its provider, once nothing
    /// holds that any more.
    #[derive(Debug)]
    struct Dropped(Arc<AtomicBool>);

    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Release);
        }
    }

    impl SpanProcessor for Dropped {
        fn on_start(&self, _: &mut opentelemetry_sdk::trace::Span, _: &Context) {}
        fn on_end(&self, _: SpanData) {}
        fn force_flush(&self) -> OTelSdkResult {
            Ok(())
        }
        fn shutdown_with_timeout(&self, _: std::time::Duration) -> OTelSdkResult {
            Ok(())
        }
    }

    /// Installs a provider whose processor says when it is dropped, opens a
    /// span at `site` under it, uninstalls it: whether the provider was freed.
    fn freed_after_a_span_at(site: &TracerCache) -> bool {
        let dropped = Arc::new(AtomicBool::new(false));
        let (builder, sampler) = crate::sampling::provider_builder(Box::new(Sampler::AlwaysOn));
        let provider = builder
            .with_span_processor(Dropped(Arc::clone(&dropped)))
            .build();
        install(Destination::Ours(provider, sampler)).expect("nothing installed");
        let span = site.open(
            || InstrumentationScope::builder("route-test").build(),
            SpanBuilder::from_name("at the site"),
            &Context::new(),
        );
        drop(span.expect("opened at the site"));
        uninstall(super::GuardEnd::ShutDown);
        dropped.load(Ordering::Acquire)
    }

    /// Taken by this crate's tests that install, or ask whether anything is.
    pub(crate) static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());

    #[test]
    fn a_later_installations_provider_is_freed_though_a_call_site_held_its_tracer() {
        let _installing = super::lock(&INSTALLING);
        let site = TracerCache::new();
        // The first installation's stays where one load reads it, for good.
        assert!(!freed_after_a_span_at(&site));
        assert!(freed_after_a_span_at(&site), "held by the site until now");
    }
}
