//! The console exporter: the default destination, one readable tree per trace.
//!
//! Spans end children first, so the exporter holds the spans of each trace until its
//! local root (a span with no parent, a remote one, or a local one never exported:
//! `sample = always` under a span sampled out) ends, then prints that root's
//! tree at once: a trace may reach the process twice at once (a retry beside the
//! first try), and the other call's spans wait for their own root (a trace
//! holding more than [`MAX_SPLIT_SPANS`] prints whole, as it is).
//! A server span whose remote parent is a client span of this same process (a
//! gateway calling a service in one binary, as the tour does) is not a local root:
//! it waits for its caller, so one request prints as one tree. It runs behind the
//! SDK's batch processor, on the processor's own thread (see `init.rs`), and on a
//! thread of its own (below): printing never slows the annotated code.
//!
//! A trace whose root does not come is printed as it is after a while, by a thread
//! of the exporter's own that looks once a second: the batch processor calls the
//! exporter only with spans, and a quiet program would otherwise show it only at
//! exit. Spans whose parent was printed already (a task spawned with the
//! request's context) follow shortly, together, as the rest of that trace.

use crate::batches::weight;
use crate::render::{Style, format_duration, render_trees};
use crate::route::lock;
use opentelemetry::trace::{SpanContext, SpanId, TraceId};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanExporter};
use std::collections::HashSet;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io::{IsTerminal as _, Write};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once, OnceLock, TryLockError};
use std::time::{Duration, Instant};

/// Traces held at most while waiting for their roots; past that the oldest is
/// printed as it is, so roots that never end cannot grow memory without bound.
const MAX_PENDING_TRACES: usize = 1024;

/// Spans held at most, all pending traces together: one trace whose root never
/// ends (a worker loop with a span per job) is printed in parts rather than held.
const MAX_PENDING_SPANS: usize = 65_536;

/// What the spans held weigh at most (as an export request would, estimated by
/// [`weight`]), all pending traces together: a trace whose spans carry large
/// values (a request body recorded whole) is printed in parts rather than held.
const MAX_PENDING_WEIGHT: usize = 64 << 20;

/// How long a trace waits for its local root before it is printed as it is: the
/// root may never end in this process (a long-lived span, one whose parent was not
/// sampled), and a quiet program would otherwise show the trace only at exit.
const MAX_WAIT: Duration = Duration::from_secs(30);

/// How long spans whose parent was printed already wait for more such spans of
/// their trace: those that end together print together. (Counted from the last of
/// them, not of the trace: another caller's calls, in flight in the same trace,
/// would hold them until [`MAX_WAIT`].)
const LATE_WAIT: Duration = Duration::from_secs(1);

/// How often the exporter's thread looks for traces to print.
const WATCH_INTERVAL: Duration = Duration::from_secs(1);

/// Printed traces remembered at most, for the spans that come after them.
const MAX_PRINTED_TRACES: usize = 1024;

/// Span ids of printed traces remembered at most, all traces together; the traces
/// printed longest ago are forgotten first (their late spans then wait
/// [`MAX_WAIT`]), and a trace holding more than half of them (an endless one,
/// printed in parts) is not remembered, so that it cannot push out all others.
const MAX_PRINTED_SPANS: usize = 65_536;

/// Spans of a trace held at most for a local root to take only its own tree out
/// of them: a busy trace (many calls at once, late spans piling up) is printed
/// whole past that, so each root costs at most a walk over this many spans.
const MAX_SPLIT_SPANS: usize = 256;

/// Spans remembered at most as sent by this process, and as unexported
/// parents; the oldest are forgotten first (their server spans, or forced
/// children, then print as trees of their own or after [`MAX_WAIT`]).
const MAX_NOTED_SPANS: usize = 4096;

/// How many console exporters' printers live: while one does, span ids are worth
/// noting (each outgoing request takes [`SENT`]'s lock); once none does (a
/// process that printed, then installed OTLP), not.
static NOTING: AtomicUsize = AtomicUsize::new(0);

/// The spans this process injected into outgoing requests.
static SENT: Mutex<NotedSpans> = Mutex::new(NotedSpans::new());

/// Local spans that were not sampled, noted as a span recorded under one opened
/// (`sample = always`): that span's parent never comes, so it is its trace's
/// local root here.
static UNEXPORTED_PARENTS: Mutex<NotedSpans> = Mutex::new(NotedSpans::new());

/// Spans noted where they open, for the exporter to read; bounded, the oldest
/// forgotten first. A span is known by its trace's id and its own: a peer may
/// give the span id it was sent to requests of other traces.
#[derive(Debug)]
struct NotedSpans {
    /// Each span noted, with the number of its noting.
    ids: Option<HashMap<SpanKey, u64>>,
    /// The notings, oldest first, also of spans forgotten since: a printed trace
    /// forgets its spans in the time of its own size, not of all those noted
    /// (this set's lock is the one an outgoing request takes), and the ones left
    /// here are dropped as they come to the front, or all at once when they are
    /// most of it.
    order: VecDeque<(SpanKey, u64)>,
    notings: u64,
}

/// A span's trace id and span id.
type SpanKey = (TraceId, SpanId);

impl NotedSpans {
    const fn new() -> Self {
        NotedSpans {
            ids: None,
            order: VecDeque::new(),
            notings: 0,
        }
    }

    fn note(&mut self, span: &SpanContext) {
        let key = (span.trace_id(), span.span_id());
        let ids = self.ids.get_or_insert_with(HashMap::new);
        if ids.contains_key(&key) {
            return;
        }
        self.notings += 1;
        ids.insert(key, self.notings);
        self.order.push_back((key, self.notings));
        if self.order.len() > 2 * MAX_NOTED_SPANS {
            // Mostly forgotten ones: at least as many notings to come before
            // this runs again as it keeps.
            self.order
                .retain(|(key, noting)| ids.get(key) == Some(noting));
        }
        while ids.len() > MAX_NOTED_SPANS {
            let Some((oldest, noting)) = self.order.pop_front() else {
                break;
            };
            if ids.get(&oldest) == Some(&noting) {
                ids.remove(&oldest);
            }
        }
    }

    fn holds(&self, key: SpanKey) -> bool {
        self.ids.as_ref().is_some_and(|ids| ids.contains_key(&key))
    }

    /// Forgets the ids of `spans`.
    fn forget(&mut self, spans: &[SpanData]) {
        if let Some(ids) = &mut self.ids {
            for span in spans {
                ids.remove(&(span.span_context.trace_id(), span.span_context.span_id()));
            }
        }
    }
}

/// Notes that the span of `span_context` was injected into an outgoing request
/// (by our propagators, whoever calls them), when a console exporter may print
/// its callee's span. Only a sampled span: one
/// that is not never reaches the console to be forgotten, and would only push
/// the spans that do out of the bounded set.
pub(crate) fn note_sent(span_context: &SpanContext) {
    // Not a caller's span passed on (extracted, then injected again): it never
    // ends here, and its callee here is a local root.
    if NOTING.load(Ordering::Relaxed) > 0 && span_context.is_sampled() && !span_context.is_remote()
    {
        lock(&SENT).note(span_context);
    }
}

/// Whether the parent of `span` was sent from here.
fn was_sent_here(span: &SpanData) -> bool {
    lock(&SENT).holds(parent_key(span))
}

fn parent_key(span: &SpanData) -> SpanKey {
    (span.span_context.trace_id(), span.parent_span_id)
}

/// Forgets the sent span ids of a printed trace.
fn forget_sent(spans: &[SpanData]) {
    lock(&SENT).forget(spans);
}

/// Notes that a span is recorded under `parent`, a local span that was not
/// sampled, when a console exporter may print it: it then prints as soon as it
/// ends, rather than waiting [`MAX_WAIT`] for a parent that never comes.
pub(crate) fn note_unexported_parent(parent: &SpanContext) {
    if NOTING.load(Ordering::Relaxed) > 0 {
        lock(&UNEXPORTED_PARENTS).note(parent);
    }
}

/// Whether the parent of `span` is a local span that was not sampled.
pub(crate) fn has_unexported_parent(span: &SpanData) -> bool {
    lock(&UNEXPORTED_PARENTS).holds(parent_key(span))
}

/// Prints each trace as an indented tree with durations and status.
///
/// `init()` installs it when no other exporter is configured; use it directly to
/// print elsewhere than standard output (in colour on a terminal, as on stdout):
///
/// ```
/// use otel_traced::{ConsoleExporter, ConsoleOutput};
///
/// let exporter = ConsoleExporter::on(ConsoleOutput::Stderr);
/// ```
pub struct ConsoleExporter {
    printer: Arc<Printer>,
    /// Started with the first export: an exporter never used starts no thread.
    watching: Once,
}

/// What the exporter and its thread share.
struct Printer {
    pending: Mutex<PendingTraces>,
    out: Mutex<Box<dyn Write + Send>>,
    colour: AtomicBool,
    /// Whether the watcher thread runs.
    watched: AtomicBool,
    /// A flush's printing of the held spans ([`HeldSpans::start_flush`]).
    flushing: crate::background::OneAtATime,
    /// Whether the last write failed (and that was said).
    write_failed: AtomicBool,
    /// Where the spans of a failed write are counted lost, once installed: they
    /// were counted exported when the console took them.
    losses: OnceLock<Arc<crate::processor::Counters>>,
    /// Spans whose export returned (and so counted exported) not yet written or
    /// counted lost: held for more of their trace, or in a write that blocks.
    /// Below zero for a moment while an export's own spans are written before
    /// their export returns.
    owed: AtomicI64,
}

impl Drop for Printer {
    /// The last console gone, nothing reads the noted spans any more: forgotten,
    /// and no more noted.
    fn drop(&mut self) {
        if NOTING.fetch_sub(1, Ordering::Relaxed) == 1 {
            *lock(&SENT) = NotedSpans::new();
            *lock(&UNEXPORTED_PARENTS) = NotedSpans::new();
        }
    }
}

impl fmt::Debug for ConsoleExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsoleExporter").finish_non_exhaustive()
    }
}

/// What a console exporter holds, for a flush: the SDK's batch processor flushes
/// its queue into the exporter, but never the exporter itself.
#[derive(Clone)]
pub(crate) struct HeldSpans(Arc<Printer>);

impl fmt::Debug for HeldSpans {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeldSpans").finish_non_exhaustive()
    }
}

impl HeldSpans {
    /// Prints the spans held only for more of their trace to come (their parent
    /// printed already: a task spawned with the request's context); a trace whose
    /// root is still running stays held until it ends.
    fn print_late(&self) {
        self.0.take_and_print(PendingTraces::all_late);
    }

    /// Starts printing, on a thread of its own, what [`HeldSpans::print_late`]
    /// prints, when a flush has the console to wait for: spans held for it, or a
    /// print under way (the watcher's, an export's), which a flush waits for as it
    /// always did. The console's writer may block (standard output locked by the
    /// application, a pipe no longer read): while the printing of an earlier flush
    /// is under way, this one waits for that one.
    pub(crate) fn start_flush(&self) -> Option<crate::background::Pending> {
        let printing = matches!(self.0.out.try_lock(), Err(TryLockError::WouldBlock));
        if !printing && !lock(&self.0.pending).has_late() {
            return None;
        }
        let held = self.clone();
        Some(self.0.flushing.start("otel-traced-late-spans", move || {
            held.print_late();
            Ok(())
        }))
    }

    /// Spans counted exported when the console took them and never written: at a
    /// shutdown whose time ran out, those held or in a write that blocks.
    pub(crate) fn unprinted(&self) -> u64 {
        u64::try_from(self.0.owed.load(Ordering::Acquire)).unwrap_or(0)
    }
}

impl Default for ConsoleExporter {
    fn default() -> Self {
        ConsoleExporter::new()
    }
}

#[derive(Debug, Default)]
struct PendingTraces {
    spans: HashMap<TraceId, Held>,
    /// The pending traces, oldest first, with when their first span arrived.
    arrival: VecDeque<(TraceId, Instant)>,
    /// The spans held, all traces together.
    held: usize,
    /// What they weigh.
    weight: usize,
    printed: PrintedSpans,
}

/// The spans printed of the traces printed last. A span ending after its trace
/// printed is late when its parent was printed (a task spawned with the request's
/// context), and follows shortly; one whose parent was not belongs to a call still
/// running (a retry beside the first try) and waits for that call's root, rather
/// than print as fragments each with its own timeline.
#[derive(Debug, Default)]
struct PrintedSpans {
    ids: HashMap<TraceId, HashSet<SpanId>>,
    /// The traces in `ids`, the one printed longest ago first.
    order: VecDeque<TraceId>,
    /// The ids in `ids`, all traces together.
    remembered: usize,
}

impl PrintedSpans {
    fn note(&mut self, trace_id: TraceId, spans: &[SpanData]) {
        // Printed last now: last to be forgotten. (Looked for only when printed
        // before: most traces print once, and the order holds a thousand.)
        if self.ids.contains_key(&trace_id) {
            self.order.retain(|printed| *printed != trace_id);
        }
        let ids = self.ids.entry(trace_id).or_default();
        for span in spans {
            if ids.insert(span.span_context.span_id()) {
                self.remembered += 1;
            }
        }
        if ids.len() > MAX_PRINTED_SPANS / 2 {
            self.remembered -= ids.len();
            self.ids.remove(&trace_id);
        } else {
            self.order.push_back(trace_id);
        }
        while self.order.len() > MAX_PRINTED_TRACES || self.remembered > MAX_PRINTED_SPANS {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if let Some(ids) = self.ids.remove(&oldest) {
                self.remembered -= ids.len();
            }
        }
    }

    fn has_trace(&self, trace_id: TraceId) -> bool {
        self.ids.contains_key(&trace_id)
    }

    fn has_span(&self, trace_id: TraceId, span_id: SpanId) -> bool {
        self.ids
            .get(&trace_id)
            .is_some_and(|ids| ids.contains(&span_id))
    }
}

/// The spans of a pending trace, and when they arrived.
#[derive(Debug)]
struct Held {
    spans: Vec<SpanData>,
    /// When each of `spans` arrived, in the same order (and so in time order).
    arrived: Vec<Instant>,
    /// What `spans` weigh.
    weight: usize,
}

impl PendingTraces {
    /// Adds a span that ended (it arrived `now`); returns the traces that are
    /// complete (their local root ended) or that must be printed as they are: held
    /// longer than [`MAX_WAIT`], or past [`MAX_PENDING_TRACES`],
    /// [`MAX_PENDING_SPANS`] or [`MAX_PENDING_WEIGHT`].
    fn add(&mut self, mut span: SpanData, now: Instant) -> Vec<Vec<SpanData>> {
        // What the tree never shows is not held while the trace waits: events
        // (exception messages, `tracing` events with their fields) and the links'
        // attributes, up to 128 of each per span.
        span.events = SpanEvents::default();
        for link in &mut span.links.links {
            link.attributes = Vec::new();
        }
        let trace_id = span.span_context.trace_id();
        let is_local_root = span.parent_span_id == SpanId::INVALID
            || if span.parent_span_is_remote {
                !was_sent_here(&span)
            } else {
                has_unexported_parent(&span)
            };
        let held = self.spans.entry(trace_id).or_insert_with(|| {
            self.arrival.push_back((trace_id, now));
            Held {
                spans: Vec::new(),
                arrived: Vec::new(),
                weight: 0,
            }
        });
        let span_id = span.span_context.span_id();
        let span_weight = weight(&span);
        held.spans.push(span);
        held.arrived.push(now);
        held.weight += span_weight;
        self.held += 1;
        self.weight += span_weight;
        let mut ready = Vec::new();
        if is_local_root {
            ready.extend(self.take_tree(trace_id, span_id));
        }
        while let Some(&(oldest, arrived)) = self.arrival.front() {
            let overdue = now.saturating_duration_since(arrived) > MAX_WAIT;
            let due = if overdue || self.spans.len() > MAX_PENDING_TRACES {
                oldest
            } else if self.held > MAX_PENDING_SPANS {
                // The trace holding the most spans goes first: an endless one,
                // rather than the requests in flight beside it.
                self.largest(|held| held.spans.len()).unwrap_or(oldest)
            } else if self.weight > MAX_PENDING_WEIGHT {
                self.largest(|held| held.weight).unwrap_or(oldest)
            } else {
                break;
            };
            ready.extend(self.remove(due));
        }
        ready
    }

    /// The pending trace holding the most, as `size` measures.
    fn largest(&self, size: impl Fn(&Held) -> usize) -> Option<TraceId> {
        self.spans
            .iter()
            .max_by_key(|(_, held)| size(held))
            .map(|(trace_id, _)| *trace_id)
    }

    /// Takes out what is due `now` without a span arriving: traces held longer
    /// than [`MAX_WAIT`], whole, and the late spans of printed traces (with the
    /// spans under them) once no more came for [`LATE_WAIT`].
    fn overdue(&mut self, now: Instant) -> Vec<Vec<SpanData>> {
        let due: Vec<(TraceId, bool)> = self
            .arrival
            .iter()
            .filter_map(|&(trace_id, first)| {
                let held = self.spans.get(&trace_id)?;
                if now.saturating_duration_since(first) > MAX_WAIT {
                    Some((trace_id, true))
                } else {
                    let quiet = self.printed.has_trace(trace_id)
                        && self
                            .last_late(trace_id, held)
                            .is_some_and(|last| now.saturating_duration_since(last) > LATE_WAIT);
                    quiet.then_some((trace_id, false))
                }
            })
            .collect();
        due.into_iter()
            .filter_map(|(trace_id, whole)| {
                if whole {
                    self.remove(trace_id)
                } else {
                    self.take_late(trace_id)
                }
            })
            .collect()
    }

    /// Takes out the tree of local root `root` to be printed, the rest of its trace
    /// left pending (the spans of another call of the trace still running); the
    /// whole trace when it holds more than [`MAX_SPLIT_SPANS`].
    fn take_tree(&mut self, trace_id: TraceId, root: SpanId) -> Option<Vec<SpanData>> {
        if self.spans.get(&trace_id)?.spans.len() > MAX_SPLIT_SPANS {
            return self.remove(trace_id);
        }
        self.take_trees(trace_id, |span| span.span_context.span_id() == root)
    }

    /// Whether a span is held whose parent was printed (what [`all_late`] takes).
    ///
    /// [`all_late`]: PendingTraces::all_late
    fn has_late(&self) -> bool {
        self.spans
            .iter()
            .any(|(&trace_id, held)| held.spans.iter().any(|span| self.is_late(trace_id, span)))
    }

    /// When the last of the late spans of `trace_id` and the spans under them
    /// arrived (a task spawned by a late one may end after it), if it holds one.
    fn last_late(&self, trace_id: TraceId, held: &Held) -> Option<Instant> {
        let is_late = |span: &SpanData| self.is_late(trace_id, span);
        if !held.spans.iter().any(is_late) {
            return None;
        }
        let in_late_trees = in_trees(&held.spans, is_late);
        (held.arrived.iter().zip(in_late_trees))
            .filter_map(|(&arrived, in_tree)| in_tree.then_some(arrived))
            .max()
    }

    /// Whether `span` of `trace_id` is late: its parent printed already.
    fn is_late(&self, trace_id: TraceId, span: &SpanData) -> bool {
        self.printed.has_span(trace_id, span.parent_span_id)
    }

    /// Takes out the held spans of every trace whose parents were printed, each
    /// with the spans under it.
    fn all_late(&mut self) -> Vec<Vec<SpanData>> {
        let printed: Vec<TraceId> = self
            .spans
            .keys()
            .copied()
            .filter(|&trace_id| self.printed.has_trace(trace_id))
            .collect();
        printed
            .into_iter()
            .filter_map(|trace_id| self.take_late(trace_id))
            .collect()
    }

    /// Takes out the held spans of `trace_id` whose parents were printed, each
    /// with the spans under it.
    fn take_late(&mut self, trace_id: TraceId) -> Option<Vec<SpanData>> {
        let held = &self.spans.get(&trace_id)?.spans;
        let late: HashSet<SpanId> = held
            .iter()
            .filter(|span| self.is_late(trace_id, span))
            .map(|span| span.span_context.span_id())
            .collect();
        if late.is_empty() {
            return None;
        }
        self.take_trees(trace_id, |span| late.contains(&span.span_context.span_id()))
    }

    /// Takes out the held spans of `trace_id` that `is_root` picks, with every
    /// span under them, to be printed; `None` when it picks none.
    fn take_trees(
        &mut self,
        trace_id: TraceId,
        is_root: impl Fn(&SpanData) -> bool,
    ) -> Option<Vec<SpanData>> {
        let held = self.spans.get_mut(&trace_id)?;
        let in_trees = in_trees(&held.spans, is_root);
        if !in_trees.contains(&true) {
            return None;
        }
        if !in_trees.contains(&false) {
            return self.remove(trace_id);
        }
        let (trees, rest) = split(std::mem::take(&mut held.spans), &in_trees);
        let (_, arrived) = split(std::mem::take(&mut held.arrived), &in_trees);
        let trees_weight = trees.iter().map(weight).sum::<usize>();
        held.spans = rest;
        held.weight -= trees_weight;
        // What stays waits from when it came, not from when the spans printed now
        // began to come.
        held.arrived = arrived;
        forget_arrival(&mut self.arrival, trace_id);
        // What stays holds a span (a trace whose spans are all taken is removed).
        if let Some(&first) = held.arrived.first() {
            let at = self
                .arrival
                .partition_point(|&(_, arrived)| arrived <= first);
            self.arrival.insert(at, (trace_id, first));
        }
        self.held -= trees.len();
        self.weight -= trees_weight;
        self.note_printed(trace_id, &trees);
        Some(trees)
    }

    /// Takes a trace out to be printed.
    fn remove(&mut self, trace_id: TraceId) -> Option<Vec<SpanData>> {
        forget_arrival(&mut self.arrival, trace_id);
        let Held { spans, weight, .. } = self.spans.remove(&trace_id)?;
        self.held -= spans.len();
        self.weight -= weight;
        self.note_printed(trace_id, &spans);
        Some(spans)
    }

    /// Notes `spans` of `trace_id` printed. They are no longer callers to wait
    /// for: a callee's span that ends after them (in the same batch too) is a root.
    fn note_printed(&mut self, trace_id: TraceId, spans: &[SpanData]) {
        forget_sent(spans);
        self.printed.note(trace_id, spans);
    }

    fn drain(&mut self) -> Vec<Vec<SpanData>> {
        let order = std::mem::take(&mut self.arrival);
        self.held = 0;
        self.weight = 0;
        order
            .into_iter()
            .filter_map(|(id, _)| self.spans.remove(&id))
            .map(|held| held.spans)
            .inspect(|spans| forget_sent(spans))
            .collect()
    }
}

/// Takes `trace_id` out of `arrival`, where it is once: looked for from the
/// oldest, as traces mostly print in the order they came.
fn forget_arrival(arrival: &mut VecDeque<(TraceId, Instant)>, trace_id: TraceId) {
    if let Some(at) = arrival.iter().position(|(pending, _)| *pending == trace_id) {
        arrival.remove(at);
    }
}

/// Which of `spans` are in the trees of the spans `is_root` picks (each and every
/// span under it): one walk down from the roots.
fn in_trees(spans: &[SpanData], is_root: impl Fn(&SpanData) -> bool) -> Vec<bool> {
    let mut children: HashMap<SpanId, Vec<usize>> = HashMap::new();
    for (index, span) in spans.iter().enumerate() {
        children.entry(span.parent_span_id).or_default().push(index);
    }
    let mut in_tree = vec![false; spans.len()];
    let mut to_visit: Vec<usize> = (0..spans.len())
        .filter(|&index| is_root(&spans[index]))
        .collect();
    while let Some(index) = to_visit.pop() {
        if std::mem::replace(&mut in_tree[index], true) {
            continue;
        }
        if let Some(under) = children.get(&spans[index].span_context.span_id()) {
            to_visit.extend(under);
        }
    }
    in_tree
}

/// `items` split into those `chosen` marks and the rest, each in the order given.
fn split<T>(items: Vec<T>, chosen: &[bool]) -> (Vec<T>, Vec<T>) {
    let (taken, rest): (Vec<_>, Vec<_>) = items
        .into_iter()
        .zip(chosen)
        .partition(|(_, chosen)| **chosen);
    (
        taken.into_iter().map(|(item, _)| item).collect(),
        rest.into_iter().map(|(item, _)| item).collect(),
    )
}

/// Where the console prints: its waterfall and the metrics summary at exit. A tool
/// whose standard output is its data (`mytool | jq`) prints them on standard error.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConsoleOutput {
    /// Standard output, the default.
    #[default]
    Stdout,
    /// Standard error.
    Stderr,
}

impl ConsoleOutput {
    /// A writer to this output, taking the stream's lock for each write as
    /// `println!` does, so that lines of the application's stay whole.
    pub(crate) fn writer(self) -> Box<dyn Write + Send> {
        match self {
            ConsoleOutput::Stdout => Box::new(std::io::stdout()),
            ConsoleOutput::Stderr => Box::new(std::io::stderr()),
        }
    }

    fn is_terminal(self) -> bool {
        match self {
            ConsoleOutput::Stdout => std::io::stdout().is_terminal(),
            ConsoleOutput::Stderr => std::io::stderr().is_terminal(),
        }
    }

    /// The stream's name, for what is said of a failed write of the metrics summary.
    #[cfg(feature = "metrics")]
    pub(crate) fn name(self) -> &'static str {
        match self {
            ConsoleOutput::Stdout => "stdout",
            ConsoleOutput::Stderr => "stderr",
        }
    }
}

impl ConsoleExporter {
    /// A console exporter writing to standard output, in colour when that is a
    /// terminal (not `TERM=dumb`, no `CLICOLOR=0`; on Windows, one that shows
    /// escape codes: Windows Terminal's, not the console host's) or
    /// `CLICOLOR_FORCE` is set (not empty nor `0`), and `NO_COLOR` is not (or is
    /// empty).
    pub fn new() -> Self {
        ConsoleExporter::on(ConsoleOutput::Stdout)
    }

    /// A console exporter writing to `output`, in colour as [`ConsoleExporter::new`]
    /// decides it for that stream.
    pub fn on(output: ConsoleOutput) -> Self {
        let colour = wants_colour(output.is_terminal(), |name| std::env::var_os(name));
        ConsoleExporter::with_boxed_writer(output.writer()).with_colour(colour)
    }

    /// What this exporter holds, for a flush; the spans of its failed writes are
    /// counted lost in `counters`.
    pub(crate) fn held_spans(&self, counters: &Arc<crate::processor::Counters>) -> HeldSpans {
        let _ = self.printer.losses.set(Arc::clone(counters));
        HeldSpans(Arc::clone(&self.printer))
    }

    /// A console exporter writing to `out`, without colour.
    pub fn with_writer(out: impl Write + Send + 'static) -> Self {
        ConsoleExporter::with_boxed_writer(Box::new(out))
    }

    fn with_boxed_writer(out: Box<dyn Write + Send>) -> Self {
        NOTING.fetch_add(1, Ordering::Relaxed);
        ConsoleExporter {
            printer: Arc::new(Printer {
                pending: Mutex::default(),
                out: Mutex::new(out),
                colour: AtomicBool::new(false),
                watched: AtomicBool::new(false),
                flushing: crate::background::OneAtATime::default(),
                write_failed: AtomicBool::new(false),
                losses: OnceLock::new(),
                owed: AtomicI64::new(0),
            }),
            watching: Once::new(),
        }
    }

    /// Turns ANSI colours on or off.
    pub fn with_colour(self, colour: bool) -> Self {
        self.printer.colour.store(colour, Ordering::Relaxed);
        self
    }

    /// Starts the thread that prints what is due without a span arriving, once.
    /// It ends when the exporter and the guard's [`HeldSpans`] are dropped.
    /// Without it (no thread could be
    /// started), such traces wait for the next span or the shutdown.
    fn watch(&self) {
        self.watching.call_once(|| {
            let printer = Arc::downgrade(&self.printer);
            // Set before the thread starts: a thread that ended already (a writer
            // that panicked) has cleared it again, not the other way round.
            self.printer.watched.store(true, Ordering::Relaxed);
            let started = std::thread::Builder::new()
                .name("otel-traced-console".to_owned())
                .spawn(move || {
                    // However the thread ends (a panic in a writer), exports look
                    // for what is due in its place from then on.
                    let _unwatched = Unwatched(printer.clone());
                    loop {
                        std::thread::sleep(WATCH_INTERVAL);
                        let Some(printer) = printer.upgrade() else {
                            return;
                        };
                        printer.take_and_print(|pending| pending.overdue(Instant::now()));
                    }
                });
            if started.is_err() {
                self.printer.watched.store(false, Ordering::Relaxed);
            }
        });
    }
}

/// Clears the printer's `watched` flag when its watcher thread ends.
struct Unwatched(std::sync::Weak<Printer>);

impl Drop for Unwatched {
    fn drop(&mut self) {
        if let Some(printer) = self.0.upgrade() {
            printer.watched.store(false, Ordering::Relaxed);
        }
    }
}

impl Printer {
    /// Takes traces out with `take` and prints them, holding the output from
    /// before the taking to after the writing: a shutdown that drains the rest
    /// while the watcher prints what it took waits for it, so the process cannot
    /// exit with traces taken out and not yet printed.
    fn take_and_print(&self, take: impl FnOnce(&mut PendingTraces) -> Vec<Vec<SpanData>>) {
        let mut out = lock(&self.out);
        let traces = take(&mut lock(&self.pending));
        if !traces.is_empty() {
            let spans = span_count(&traces);
            self.write(&mut **out, &self.render(traces), spans);
        }
    }

    /// Writes `text`, the trees of `spans` spans. A closed or broken output (a pipe
    /// whose reader is gone) must not take the exporter down: the traces are lost
    /// and counted so, the application goes on, and that is said on stderr.
    fn write(&self, out: &mut dyn Write, text: &str, spans: usize) {
        let written = out.write_all(text.as_bytes()).and_then(|()| out.flush());
        self.owed.fetch_sub(count_i64(spans), Ordering::AcqRel);
        if written.is_err()
            && let Some(counters) = self.losses.get()
        {
            counters.unwritten(spans as u64);
        }
        // On the export thread: said aside, as a stderr nobody reads would hold
        // every export after this one.
        if let Some(said) = self.failure_to_say(written) {
            crate::notice::aside(said);
        }
    }

    /// What a write's `result` makes worth saying: its failure, once until a write
    /// succeeds again.
    fn failure_to_say(&self, result: std::io::Result<()>) -> Option<String> {
        match result {
            Ok(()) => {
                self.write_failed.store(false, Ordering::Relaxed);
                None
            }
            Err(error) => (!self.write_failed.swap(true, Ordering::Relaxed)).then(|| {
                format!("writing traces to the console failed: {error}; traces are lost until a write succeeds (said once per failure)")
            }),
        }
    }

    fn render(&self, traces: Vec<Vec<SpanData>>) -> String {
        let mut text = String::new();
        for spans in traces {
            text.push_str(&trace_header(&spans));
            text.push_str(&render_trees(
                &spans,
                Style::Waterfall {
                    colour: self.colour.load(Ordering::Relaxed),
                },
            ));
        }
        text
    }
}

/// `count` as the signed count [`Printer::owed`] keeps (saturated: no process
/// holds that many spans).
fn count_i64(count: usize) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// How many spans `traces` hold.
fn span_count(traces: &[Vec<SpanData>]) -> usize {
    traces.iter().map(Vec::len).sum()
}

/// Colour only on a terminal that shows it (`TERM=dumb` does not: an editor's
/// shell, some CI logs; nor does Windows' console host, below) unless
/// `CLICOLOR=0`, or wherever `CLICOLOR_FORCE` asks for it (a CI log that renders
/// colour), and never when `NO_COLOR` is set to anything but the empty string
/// (<https://no-color.org>, <https://bixense.com/clicolors>); `var` reads the
/// environment.
pub(crate) fn wants_colour(
    is_terminal: bool,
    var: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> bool {
    colour_on(cfg!(windows), is_terminal, var)
}

/// [`wants_colour`], on Windows or not. There the console host (`conhost`, what
/// `cmd` and PowerShell open in outside Windows Terminal) shows escape codes as
/// text until a program turns its VT mode on, which we do not (the mode is the
/// console's, shared with the rest of the program's output): colour only where a
/// terminal that shows them says it runs (Windows Terminal, VS Code's, ConEmu,
/// ANSICON, or one that sets `TERM`: mintty, MSYS2's, Git Bash's).
fn colour_on(
    on_windows: bool,
    is_terminal: bool,
    var: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> bool {
    let set = |name: &str| var(name).filter(|value| !value.is_empty());
    if set("NO_COLOR").is_some() {
        return false;
    }
    if set("CLICOLOR_FORCE").is_some_and(|value| value != "0") {
        return true;
    }
    let shows_escapes = !on_windows
        || ["WT_SESSION", "TERM_PROGRAM", "ANSICON", "TERM"]
            .iter()
            .any(|name| set(name).is_some())
        || set("ConEmuANSI").is_some_and(|value| value == "ON");
    is_terminal
        && shows_escapes
        && var("TERM").is_none_or(|term| term != "dumb")
        && set("CLICOLOR").is_none_or(|value| value != "0")
}

/// `trace <id>  <total duration>`: what a reader needs to find the trace elsewhere.
fn trace_header(spans: &[SpanData]) -> String {
    let trace_id = spans
        .first()
        .map(|span| span.span_context.trace_id())
        .unwrap_or(TraceId::INVALID);
    let start = spans.iter().map(|s| s.start_time).min();
    let end = spans.iter().map(|s| s.end_time).max();
    let total = match (start, end) {
        (Some(start), Some(end)) => end.duration_since(start).unwrap_or_default(),
        _ => Duration::ZERO,
    };
    format!("\ntrace {trace_id}  {}\n", format_duration(total))
}

impl SpanExporter for ConsoleExporter {
    fn export(
        &self,
        batch: Vec<SpanData>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        self.watch();
        let watched = self.printer.watched.load(Ordering::Relaxed);
        let spans = count_i64(batch.len());
        // Taken holding the output, as the watcher and a flush take: a late span
        // they print must not come out before the tree of its parent taken here.
        self.printer.take_and_print(|pending| {
            let now = Instant::now();
            let mut ready: Vec<Vec<SpanData>> = batch
                .into_iter()
                .flat_map(|span| pending.add(span, now))
                .collect();
            // What is due without a span, here where no thread could be started
            // to look for it: it is not held until the shutdown.
            if !watched {
                ready.extend(pending.overdue(now));
            }
            ready
        });
        // Counted exported from now on, written or not.
        self.printer.owed.fetch_add(spans, Ordering::AcqRel);
        std::future::ready(Ok(()))
    }

    /// Prints the traces whose roots had not ended, so nothing accepted is lost.
    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        self.printer.take_and_print(PendingTraces::drain);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{
        ConsoleExporter, LATE_WAIT, MAX_NOTED_SPANS, MAX_PENDING_SPANS, MAX_SPLIT_SPANS, MAX_WAIT,
        NOTING, NotedSpans, PendingTraces, colour_on, lock, note_sent, note_unexported_parent,
        was_sent_here,
    };
    use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
    use opentelemetry_sdk::trace::SpanData;
    use std::collections::HashMap;
    use std::future::Future as _;
    use std::sync::atomic::Ordering;
    use std::sync::{Arc, Mutex};
    use std::task::Poll;
    use std::time::{Duration, Instant};

    /// A span of trace `trace` whose parent (never exported) is not a root here.
    fn orphan(trace: u8, id: u64) -> SpanData {
        crate::render::tests::span(u128::from(trace), id + 1, u64::MAX, "job")
    }

    #[test]
    fn a_failing_output_is_said_once_until_a_write_succeeds() {
        let exporter = ConsoleExporter::with_writer(std::io::sink());
        let broken = || Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        let said = exporter.printer.failure_to_say(broken()).expect("said");
        assert!(
            said.starts_with("writing traces to the console failed: broken pipe; "),
            "{said}"
        );
        assert_eq!(exporter.printer.failure_to_say(broken()), None, "said once");
        assert_eq!(exporter.printer.failure_to_say(Ok(())), None);
        assert!(exporter.printer.failure_to_say(broken()).is_some(), "again");
    }

    #[test]
    fn a_trace_whose_root_never_comes_is_printed_after_a_while() {
        let mut pending = PendingTraces::default();
        let start = Instant::now();
        assert!(pending.add(orphan(1, 1), start).is_empty());
        assert!(pending.add(orphan(2, 1), start + MAX_WAIT / 2).is_empty());
        let ready = pending.add(orphan(2, 2), start + MAX_WAIT + Duration::from_secs(1));
        assert_eq!(ready.len(), 1, "only the overdue trace");
        assert_eq!(ready[0][0].span_context.trace_id(), TraceId::from(1));
        assert_eq!(pending.drain().into_iter().flatten().count(), 2);
    }

    #[test]
    fn what_stays_of_a_trace_after_one_root_printed_waits_from_its_own_arrival() {
        let mut pending = PendingTraces::default();
        let start = Instant::now();
        let span = crate::render::tests::span;
        let secs = Duration::from_secs;
        // Call A of trace 12 from the start; calls B and C later, A's root last.
        assert!(
            pending
                .add(span(12, 0xa2, 0xa1, "a query"), start)
                .is_empty()
        );
        let b_child = start + MAX_WAIT - secs(6);
        assert!(
            pending
                .add(span(12, 0xb2, 0xb1, "b query"), b_child)
                .is_empty()
        );
        let c_child = start + MAX_WAIT - secs(5);
        assert!(
            pending
                .add(span(12, 0xc2, 0xc1, "c query"), c_child)
                .is_empty()
        );
        let a_root = start + MAX_WAIT - secs(4);
        let ready = pending.add(span(12, 0xa1, 0, "a"), a_root);
        assert_eq!(ids(&ready[0]), [0xa1, 0xa2]);
        assert!(
            pending.overdue(start + MAX_WAIT + secs(1)).is_empty(),
            "B's child has waited 7 s, not 31"
        );
        assert!(pending.overdue(b_child + MAX_WAIT - secs(1)).is_empty());
        let ready = pending.overdue(b_child + MAX_WAIT + secs(1));
        assert_eq!(ready.len(), 1, "from B's child's arrival, not A's root's");
        assert_eq!(ids(&ready[0]), [0xb2, 0xc2]);
    }

    #[test]
    fn a_waiting_trace_holds_no_events_nor_link_attributes() {
        let mut pending = PendingTraces::default();
        let mut span = orphan(3, 1);
        span.events.events = vec![opentelemetry::trace::Event::new(
            "exception",
            std::time::SystemTime::UNIX_EPOCH,
            vec![opentelemetry::KeyValue::new(
                "exception.message",
                "x".repeat(4096),
            )],
            0,
        )];
        span.links.links = vec![opentelemetry::trace::Link::new(
            SpanContext::empty_context(),
            vec![opentelemetry::KeyValue::new("messaging.message.id", "m1")],
            0,
        )];
        assert!(pending.add(span, Instant::now()).is_empty());
        let held = pending.drain().into_iter().flatten().next().expect("held");
        assert!(held.events.is_empty());
        assert_eq!(held.links.len(), 1, "links are shown, counted");
        assert!(held.links.links[0].attributes.is_empty());
    }

    #[test]
    fn one_endless_trace_is_printed_in_parts_within_the_span_bound() {
        let mut pending = PendingTraces::default();
        let now = Instant::now();
        let mut printed = 0;
        for id in 0..=MAX_PENDING_SPANS as u64 {
            printed += pending
                .add(orphan(1, id), now)
                .into_iter()
                .map(|trace| trace.len())
                .sum::<usize>();
        }
        assert_eq!(
            printed,
            MAX_PENDING_SPANS + 1,
            "held no more than the bound"
        );
        assert_eq!((pending.held, pending.weight), (0, 0));
    }

    #[test]
    fn a_callee_ending_after_its_callers_trace_in_one_batch_is_printed_at_once() {
        // A gateway's call timed out: its root and client span end, then the
        // server span it called, all in one batch.
        NOTING.fetch_add(1, Ordering::Relaxed);
        let root = crate::render::tests::span(7, 1, 0, "gateway");
        let client = crate::render::tests::span(7, 2, 1, "call");
        let mut server = crate::render::tests::span(7, 3, 2, "serve");
        server.parent_span_is_remote = true;
        note_sent(&client.span_context);
        let mut pending = PendingTraces::default();
        let now = Instant::now();
        assert!(pending.add(client, now).is_empty());
        assert_eq!(pending.add(root, now).len(), 1, "the gateway's trace");
        let ready = pending.add(server, now);
        assert_eq!(ready.len(), 1, "the server's span, a root here now");
        assert_eq!(ready[0][0].name, "serve");
    }

    #[test]
    fn past_the_weight_bound_the_heaviest_trace_is_printed_first() {
        let mut pending = PendingTraces::default();
        let now = Instant::now();
        // Many light requests in flight, then one whose spans carry 1 MiB bodies.
        for trace in 1..=64 {
            assert!(pending.add(orphan(trace, 1), now).is_empty());
        }
        let body = opentelemetry::KeyValue::new("http.request.body", "b".repeat(1 << 20));
        let mut printed = Vec::new();
        for id in 0..64 {
            let mut heavy = orphan(200, id);
            heavy.attributes.push(body.clone());
            printed.extend(pending.add(heavy, now));
        }
        assert_eq!(printed.len(), 1, "the heavy trace");
        assert_eq!(printed[0][0].span_context.trace_id(), TraceId::from(200));
        assert_eq!(pending.held, 64 + 64 - printed[0].len());
        assert!(pending.weight <= super::MAX_PENDING_WEIGHT);
        assert_eq!(pending.drain().len(), 64, "the light ones wait on");
        assert_eq!(pending.weight, 0);
    }

    #[test]
    fn past_the_span_bound_the_largest_trace_is_printed_first() {
        let mut pending = PendingTraces::default();
        let now = Instant::now();
        // A request in flight, then an endless worker trace beside it.
        assert!(pending.add(orphan(9, 1), now).is_empty());
        let mut printed = Vec::new();
        for id in 0..MAX_PENDING_SPANS as u64 {
            printed.extend(pending.add(orphan(10, id), now));
        }
        assert_eq!(printed.len(), 1, "one part of the worker's trace");
        assert_eq!(printed[0][0].span_context.trace_id(), TraceId::from(10));
        assert_eq!(pending.held, 1, "the request is still waiting for its root");
    }

    #[test]
    fn a_trace_due_is_taken_out_without_a_span_arriving() {
        let mut pending = PendingTraces::default();
        let start = Instant::now();
        assert!(pending.add(orphan(3, 1), start).is_empty());
        assert!(pending.overdue(start + MAX_WAIT / 2).is_empty());
        let due = pending.overdue(start + MAX_WAIT + Duration::from_secs(1));
        assert_eq!(due.len(), 1);
        assert_eq!((pending.held, pending.weight), (0, 0));
    }

    #[test]
    fn spans_ending_after_their_trace_was_printed_follow_together() {
        let mut pending = PendingTraces::default();
        let start = Instant::now();
        let root = crate::render::tests::span(4, 1, 0, "request");
        assert_eq!(pending.add(root, start).len(), 1, "printed with its root");
        // A task spawned with the request's context ends later, its child first.
        let task = crate::render::tests::span(4, 2, 1, "task");
        let step = crate::render::tests::span(4, 3, 2, "step");
        let later = start + Duration::from_secs(5);
        assert!(pending.add(step, later).is_empty());
        assert!(pending.add(task, later + LATE_WAIT / 2).is_empty());
        assert!(
            pending.overdue(later + LATE_WAIT).is_empty(),
            "the task came since"
        );
        let due = pending.overdue(later + LATE_WAIT * 2);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].len(), 2, "together");
        // A trace not printed before waits for its root as long as ever.
        assert!(pending.add(orphan(5, 1), later).is_empty());
        assert!(pending.overdue(later + LATE_WAIT * 2).is_empty());
    }

    /// A server span of trace 6 continuing a remote span `caller` that no test
    /// notes as sent here: a local root.
    fn served(id: u64, caller: u64) -> SpanData {
        let mut span = crate::render::tests::span(6, id, caller, "serve");
        span.parent_span_is_remote = true;
        span
    }

    /// The ids of each of `trees`, as [`ids`] gives them.
    fn trees_ids(trees: &[Vec<SpanData>]) -> Vec<Vec<u64>> {
        trees.iter().map(|trace| ids(trace)).collect()
    }

    fn ids(trace: &[SpanData]) -> Vec<u64> {
        let mut ids: Vec<u64> = trace
            .iter()
            .map(|span| u64::from_be_bytes(span.span_context.span_id().to_bytes()))
            .collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn two_local_roots_of_one_trace_print_each_its_own_tree() {
        let mut pending = PendingTraces::default();
        let start = Instant::now();
        // Two calls of one trace served at once (a retry beside the first try),
        // each with a child, one with a grandchild.
        let (first, second) = (served(610, 601), served(620, 602));
        let span = crate::render::tests::span;
        assert!(pending.add(span(6, 622, 621, "row"), start).is_empty());
        assert!(pending.add(span(6, 621, 620, "query"), start).is_empty());
        assert!(pending.add(span(6, 611, 610, "query"), start).is_empty());
        let ready = pending.add(first, start);
        assert_eq!(ready.len(), 1);
        assert_eq!(ids(&ready[0]), [610, 611], "the first call's tree alone");
        let ready = pending.add(second, start + LATE_WAIT / 2);
        assert_eq!(ready.len(), 1);
        assert_eq!(
            ids(&ready[0]),
            [620, 621, 622],
            "the second call's whole tree"
        );
        assert_eq!((pending.held, pending.weight), (0, 0));
        assert!(pending.spans.is_empty() && pending.arrival.is_empty());
        // A second call quiet for longer than late spans wait: its spans are
        // not late (their parent was not printed), and wait for its root.
        assert_eq!(pending.add(served(640, 604), start).len(), 1);
        assert!(pending.add(span(6, 652, 651, "row"), start).is_empty());
        assert!(pending.add(span(6, 651, 650, "query"), start).is_empty());
        assert!(pending.overdue(start + LATE_WAIT * 2).is_empty());
        let ready = pending.add(served(650, 605), start + LATE_WAIT * 3);
        assert_eq!(ready.len(), 1);
        assert_eq!(ids(&ready[0]), [650, 651, 652], "one tree, with its root");
    }

    #[test]
    fn an_endless_trace_printed_in_parts_leaves_the_other_printed_traces_remembered() {
        let mut pending = PendingTraces::default();
        let now = Instant::now();
        let request = crate::render::tests::span(11, 1, 0, "request");
        assert_eq!(pending.add(request, now).len(), 1);
        // A worker's endless trace, printed in parts past the span bound.
        for id in 0..=MAX_PENDING_SPANS as u64 {
            pending.add(orphan(12, id), now);
        }
        assert!(!pending.printed.has_trace(TraceId::from(12)));
        // The request's spawned task follows a second later, as ever.
        let task = crate::render::tests::span(11, 2, 1, "task");
        assert!(pending.add(task, now).is_empty());
        assert_eq!(pending.overdue(now + LATE_WAIT * 2).len(), 1);
    }

    #[test]
    fn late_spans_print_while_other_calls_of_their_trace_go_on() {
        let mut pending = PendingTraces::default();
        let start = Instant::now();
        let span = crate::render::tests::span;
        assert_eq!(pending.add(served(810, 801), start).len(), 1);
        // A task spawned by the printed call ends; another caller's calls in the
        // same trace keep ending, every half of the wait.
        assert!(pending.add(span(6, 811, 810, "task"), start).is_empty());
        for (call, half_waits) in [(820_u64, 1_u32), (830, 2), (840, 3)] {
            let at = start + LATE_WAIT / 2 * half_waits;
            assert!(pending.add(span(6, call + 1, call, "query"), at).is_empty());
        }
        let due = pending.overdue(start + LATE_WAIT * 2);
        assert_eq!(
            trees_ids(&due),
            [[811]],
            "the task, not the calls in flight"
        );
    }

    #[test]
    fn a_late_span_waits_for_a_task_of_its_own_ending_after_it() {
        let mut pending = PendingTraces::default();
        let start = Instant::now();
        let span = crate::render::tests::span;
        assert_eq!(pending.add(served(910, 901), start).len(), 1);
        // A task spawned by the printed call ends, then a task it spawned.
        assert!(pending.add(span(6, 911, 910, "task"), start).is_empty());
        let spawned_later = start + LATE_WAIT * 4 / 5;
        assert!(
            pending
                .add(span(6, 912, 911, "its task"), spawned_later)
                .is_empty()
        );
        assert!(
            pending.overdue(start + LATE_WAIT * 3 / 2).is_empty(),
            "its own task came since"
        );
        let due = pending.overdue(spawned_later + LATE_WAIT * 3 / 2);
        assert_eq!(trees_ids(&due), [[911, 912]], "together");
    }

    #[test]
    fn late_spans_print_apart_from_a_call_still_running() {
        let mut pending = PendingTraces::default();
        let start = Instant::now();
        let span = crate::render::tests::span;
        assert_eq!(pending.add(served(710, 701), start).len(), 1);
        // A task spawned by the printed call ends, and a child of a second call
        // still running.
        assert!(pending.add(span(6, 712, 711, "step"), start).is_empty());
        assert!(pending.add(span(6, 711, 710, "task"), start).is_empty());
        assert!(pending.add(span(6, 721, 720, "query"), start).is_empty());
        let due = pending.overdue(start + LATE_WAIT * 2);
        assert_eq!(trees_ids(&due), [[711, 712]], "the task's tree");
        assert_eq!(pending.held, 1);
        assert!(pending.overdue(start + LATE_WAIT * 4).is_empty());
        let ready = pending.add(served(720, 702), start + LATE_WAIT * 5);
        assert_eq!(ids(&ready[0]), [720, 721]);
        assert_eq!((pending.held, pending.weight), (0, 0));
    }

    #[test]
    fn a_busy_trace_prints_whole_past_the_split_bound() {
        let mut pending = PendingTraces::default();
        let now = Instant::now();
        for id in 0..=MAX_SPLIT_SPANS as u64 {
            assert!(pending.add(orphan(6, 1_000 + id), now).is_empty());
        }
        let ready = pending.add(served(630, 603), now);
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].len(), MAX_SPLIT_SPANS + 2, "as it is, whole");
        assert_eq!((pending.held, pending.weight), (0, 0));
    }

    /// A writer the test reads back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Shared {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            lock(&self.0).extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn printed(&self) -> String {
            String::from_utf8_lossy(&lock(&self.0)).into_owned()
        }
    }

    /// Exports `span`: the console's export is done when it returns.
    fn export_one(exporter: &ConsoleExporter, span: SpanData) {
        use opentelemetry_sdk::trace::SpanExporter as _;
        let mut export = std::pin::pin!(exporter.export(vec![span]));
        let mut task = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(matches!(
            export.as_mut().poll(&mut task),
            Poll::Ready(Ok(()))
        ));
    }

    #[test]
    fn the_exporters_thread_prints_late_spans_without_another_export() {
        let out = Shared::default();
        let exporter = ConsoleExporter::with_writer(out.clone());
        export_one(&exporter, crate::render::tests::span(6, 1, 0, "request"));
        let arrived = Instant::now();
        export_one(&exporter, crate::render::tests::span(6, 2, 1, "late task"));
        let printed_at_once = out.printed().contains("late task");
        assert!(
            !printed_at_once || arrived.elapsed() >= LATE_WAIT,
            "held a moment"
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        while !out.printed().contains("late task") && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(out.printed().contains("late task"), "{}", out.printed());
    }

    #[test]
    fn a_flush_prints_late_spans_at_once_and_leaves_running_traces_held() {
        let out = Shared::default();
        let exporter = ConsoleExporter::with_writer(out.clone());
        export_one(&exporter, crate::render::tests::span(13, 1, 0, "request"));
        export_one(&exporter, crate::render::tests::span(13, 2, 1, "late task"));
        export_one(
            &exporter,
            crate::render::tests::span(14, 2, 1, "still running"),
        );
        exporter.held_spans(&Arc::default()).print_late();
        assert!(out.printed().contains("late task"), "{}", out.printed());
        assert!(
            !out.printed().contains("still running"),
            "{}",
            out.printed()
        );
    }

    #[test]
    fn a_span_forced_under_a_local_parent_never_exported_prints_at_once() {
        NOTING.fetch_add(1, Ordering::Relaxed);
        let mut pending = PendingTraces::default();
        let now = Instant::now();
        let span = crate::render::tests::span;
        assert!(
            pending.add(span(9, 0x9c, 0x9b, "child"), now).is_empty(),
            "a child waits for its parent"
        );
        let dropped = SpanContext::new(
            TraceId::from(9),
            SpanId::from(0x9a),
            TraceFlags::default(),
            false,
            TraceState::NONE,
        );
        note_unexported_parent(&dropped);
        let ready = pending.add(span(9, 0x9d, 0x9a, "charge_card"), now);
        assert_eq!(ready.len(), 1, "printed as its own tree");
        assert_eq!(ids(&ready[0]), [0x9d]);
    }

    #[test]
    fn a_server_span_waits_for_the_trace_of_its_caller_here_and_no_other() {
        // A trace no other test makes: the sent spans are the process's.
        const CALLER: u128 = 0x5e17;
        NOTING.fetch_add(1, Ordering::Relaxed);
        let client = crate::render::tests::span(CALLER, 0x21, 0x20, "call");
        note_sent(&client.span_context);
        let served = |trace: u128| {
            let mut span = crate::render::tests::span(trace, 0x22, 0x21, "serve");
            span.parent_span_is_remote = true;
            span
        };
        let mut pending = PendingTraces::default();
        let now = Instant::now();
        assert!(
            pending.add(served(CALLER), now).is_empty(),
            "waits for its caller's trace"
        );
        // A peer that gave the span id it was sent to a request of another trace.
        assert_eq!(pending.add(served(CALLER + 1), now).len(), 1, "a root here");
        // The caller's trace prints as one tree when its root ends.
        assert!(pending.add(client, now).is_empty());
        let root = crate::render::tests::span(CALLER, 0x20, 0, "gateway");
        let ready = pending.add(root, now);
        assert_eq!(ready.len(), 1);
        let mut names: Vec<_> = ready[0].iter().map(|span| span.name.as_ref()).collect();
        names.sort_unstable();
        assert_eq!(names, ["call", "gateway", "serve"]);
    }

    #[test]
    fn a_sampled_out_span_is_not_noted_as_sent() {
        NOTING.fetch_add(1, Ordering::Relaxed);
        let sampled_out = SpanContext::new(
            TraceId::from(8),
            SpanId::from(0x5a3d_0ff1),
            TraceFlags::default(),
            false,
            TraceState::NONE,
        );
        note_sent(&sampled_out);
        let callee = crate::render::tests::span(8, 0x5e, 0x5a3d_0ff1, "serve");
        assert!(!was_sent_here(&callee));
    }

    #[test]
    fn noted_spans_forget_printed_ones_and_keep_the_newest_within_the_bound() {
        let context = |id: u64| {
            SpanContext::new(
                TraceId::from(9),
                SpanId::from(id),
                TraceFlags::SAMPLED,
                false,
                TraceState::NONE,
            )
        };
        let printed = |id: u64| crate::render::tests::span(9, id, 0, "call");
        let bound = MAX_NOTED_SPANS as u64;
        let mut noted = NotedSpans::new();
        // Noted, printed, noted again (a late injection) after others: the
        // first noting, oldest, goes without the second.
        noted.note(&context(1));
        noted.forget(&[printed(1)]);
        for id in 2..=bound {
            noted.note(&context(id));
        }
        noted.note(&context(1));
        noted.note(&context(bound + 1));
        let held = |noted: &NotedSpans, id: u64| noted.holds((TraceId::from(9), SpanId::from(id)));
        assert!(held(&noted, 1) && !held(&noted, 2) && held(&noted, 3));
        // Printed traces leave their notings behind, which never push out the
        // ones still noted, nor keep the order growing.
        let mut noted = NotedSpans::new();
        for id in 1..(3 * bound) {
            noted.note(&context(id));
            if id % 4 != 0 {
                noted.forget(&[printed(id)]);
            }
        }
        assert!(held(&noted, 4));
        assert!(noted.order.len() <= 2 * MAX_NOTED_SPANS);
        // Past the bound, the oldest still noted go first.
        for id in (3 * bound)..(5 * bound) {
            noted.note(&context(id));
        }
        assert!(!held(&noted, 4) && !held(&noted, 4 * 1000));
        assert!(held(&noted, 5 * bound - 1));
        assert_eq!(noted.ids.as_ref().map(HashMap::len), Some(MAX_NOTED_SPANS));
    }

    #[test]
    fn colour_needs_a_terminal_that_shows_it_and_no_no_color() {
        let vars = |set: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                set.iter()
                    .find(|(set, _)| *set == name)
                    .map(|(_, value)| (*value).into())
            }
        };
        assert!(colour_on(false, true, vars(&[])));
        assert!(colour_on(
            false,
            true,
            vars(&[("NO_COLOR", ""), ("TERM", "xterm")])
        ));
        assert!(!colour_on(false, true, vars(&[("NO_COLOR", "1")])));
        assert!(!colour_on(false, true, vars(&[("TERM", "dumb")])));
        assert!(!colour_on(false, false, vars(&[])));
        assert!(!colour_on(false, true, vars(&[("CLICOLOR", "0")])));
        assert!(colour_on(false, true, vars(&[("CLICOLOR", "1")])));
        assert!(colour_on(false, false, vars(&[("CLICOLOR_FORCE", "1")])));
        assert!(colour_on(
            false,
            true,
            vars(&[("CLICOLOR_FORCE", "1"), ("TERM", "dumb"), ("CLICOLOR", "0")])
        ));
        assert!(!colour_on(false, false, vars(&[("CLICOLOR_FORCE", "0")])));
        assert!(!colour_on(
            false,
            true,
            vars(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")])
        ));
        // Windows: the console host shows escape codes as text.
        assert!(!colour_on(true, true, vars(&[])));
        assert!(colour_on(true, true, vars(&[("WT_SESSION", "6f1c")])));
        assert!(colour_on(true, true, vars(&[("TERM", "xterm-256color")])));
        assert!(colour_on(true, true, vars(&[("ConEmuANSI", "ON")])));
        assert!(!colour_on(true, true, vars(&[("ConEmuANSI", "OFF")])));
        assert!(!colour_on(true, false, vars(&[("WT_SESSION", "6f1c")])));
        assert!(colour_on(true, false, vars(&[("CLICOLOR_FORCE", "1")])));
    }
}
