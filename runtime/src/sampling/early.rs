//! Deciding before the SDK builds a span (DESIGN §7 allows it): the SDK asks its
//! sampler only once it has built a span, ids and tracer references included, so
//! a span that is dropped would cost most of what a recorded one does before
//! anything is known. Our providers keep their sampler beside them; a span opened
//! on one is decided here first.
//!
//! Dropped: we make the span context the SDK would have made (its ids, not
//! sampled, the sampler's trace state) and the SDK is not called at all.
//! Recorded: the SDK builds the span, and must not decide again (a stateful
//! sampler, the adaptive one, would count the call twice, and a new root would get
//! another trace id, so a ratio sampler would keep the square of its ratio). The
//! decision and the trace id it was made on wait in thread-locals that the
//! provider's sampler ([`HintedSampler`]) and id generator ([`DecidedIds`]) take
//! from during that one synchronous build, and that are emptied after it whatever
//! happened.

use super::{HintedSampler, SampleHint};
use crate::span::OpenedSpan;
use opentelemetry::trace::{
    Link, SpanBuilder, SpanContext, SpanId, SpanKind, TraceContextExt as _, TraceFlags, TraceId,
    TraceState, Tracer as _,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{
    IdGenerator, RandomIdGenerator, SamplingDecision, SamplingResult, SdkTracer,
};
use std::cell::Cell;

// Reached with `try_with`: a span opened while the thread's locals are being
// destroyed (from another one's destructor) finds nothing handed over, and the
// SDK decides itself, rather than panicking.
thread_local! {
    /// The decision for the span being built on this thread, if made ahead.
    static DECIDED: Cell<Option<SamplingResult>> = const { Cell::new(None) };
    /// The trace id of the root being built on this thread, if decided ahead.
    static DECIDED_TRACE_ID: Cell<Option<TraceId>> = const { Cell::new(None) };
}

/// The decision made ahead for the span the SDK is building on this thread.
pub(super) fn take_decided() -> Option<SamplingResult> {
    DECIDED.try_with(Cell::take).ok().flatten()
}

/// Our providers' id generator: the SDK's random ids, but the trace id a root was
/// sampled on when it was decided ahead.
#[derive(Debug, Default)]
pub(crate) struct DecidedIds(RandomIdGenerator);

impl IdGenerator for DecidedIds {
    fn new_trace_id(&self) -> TraceId {
        DECIDED_TRACE_ID
            .try_with(Cell::take)
            .ok()
            .flatten()
            .unwrap_or_else(|| self.0.new_trace_id())
    }

    fn new_span_id(&self) -> SpanId {
        self.0.new_span_id()
    }
}

/// A span about to open, as its sampler sees it, and the builder it becomes once
/// kept: an annotated function's is small and allocates nothing for its
/// attributes before that (`Callsite`'s), `tracing`'s arrives as a builder.
pub(crate) trait Proposal {
    fn name(&self) -> &str;
    fn kind(&self) -> &SpanKind;
    fn links(&self) -> &[Link];
    /// Runs `decide` with the attributes known at the start.
    fn with_attributes<R>(&self, decide: impl FnOnce(&[KeyValue]) -> R) -> R;
    fn into_builder(self) -> SpanBuilder;
}

impl Proposal for SpanBuilder {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &SpanKind {
        self.span_kind.as_ref().unwrap_or(&SpanKind::Internal)
    }

    fn links(&self) -> &[Link] {
        self.links.as_deref().unwrap_or_default()
    }

    fn with_attributes<R>(&self, decide: impl FnOnce(&[KeyValue]) -> R) -> R {
        decide(self.attributes.as_deref().unwrap_or_default())
    }

    fn into_builder(self) -> SpanBuilder {
        self
    }
}

/// Opens a span on `tracer`, whose provider samples with `sampler`, deciding first
/// where that can save anything. Inlined, so that a span the SDK builds alone is
/// built where it is used (it is large, and each move copies it); for the same
/// reason it is returned as the route returns it, always `Some`, so that it is
/// written once into the caller's slot instead of being moved into an `Option`
/// there.
#[inline(always)]
pub(crate) fn open(
    tracer: &SdkTracer,
    sampler: &HintedSampler,
    proposal: impl Proposal,
    parent: &Context,
) -> Option<OpenedSpan> {
    // A hint to drop (`sample = never`, the span's own or a caller's) leaves
    // nothing for the SDK to decide: its drop would lose the parent's random flag.
    if (sampler.records_surely(parent) && parent.get::<SampleHint>() != Some(&SampleHint::Never))
        || parent.is_telemetry_suppressed()
    {
        // Nothing to save by deciding first; under a suppressed context the SDK
        // makes an invalid span, without sampling.
        return Some(OpenedSpan::Sdk(
            tracer.build_with_context(proposal.into_builder(), parent),
        ));
    }
    decide_first(tracer, sampler, proposal, parent)
}

/// The span decided here: dropped, or handed to the SDK with its decision.
fn decide_first(
    tracer: &SdkTracer,
    sampler: &HintedSampler,
    proposal: impl Proposal,
    parent: &Context,
) -> Option<OpenedSpan> {
    let ids = RandomIdGenerator::default();
    let inherited = {
        let parent = parent.span();
        let parent = parent.span_context();
        parent
            .is_valid()
            .then(|| (parent.trace_id(), parent.trace_flags()))
    };
    let trace_id = inherited.map_or_else(|| ids.new_trace_id(), |(trace_id, _)| trace_id);
    let result = proposal.with_attributes(|attributes| {
        sampler.decide(
            Some(parent),
            trace_id,
            proposal.name(),
            proposal.kind(),
            attributes,
            proposal.links(),
        )
    });
    if result.decision == SamplingDecision::Drop {
        // An empty trace state (most often the case) is written as the constant
        // rather than moved out of the sampler's result: moving it reads back at
        // once what the sampler has just written in pieces, which stalls the
        // processor on store forwarding (about 4 ns here, seen with `perf`).
        let trace_state = if result.trace_state == TraceState::NONE {
            TraceState::NONE
        } else {
            result.trace_state
        };
        return Some(OpenedSpan::Unsampled(SpanContext::new(
            trace_id,
            ids.new_span_id(),
            inherited.map_or_else(TraceFlags::default, |(_, flags)| {
                crate::propagation::unsampled_child_flags(flags)
            }),
            false,
            trace_state,
        )));
    }
    let builder = proposal.into_builder();
    let _handed = Handoff::new(result, inherited.is_none().then_some(trace_id));
    Some(OpenedSpan::Sdk(tracer.build_with_context(builder, parent)))
}

/// The decision and trace id handed to the SDK's build, taken back when it ends
/// (also by unwinding from a span processor's `on_start`), so that nothing is
/// left for the next span built on this thread.
struct Handoff;

impl Handoff {
    fn new(decided: SamplingResult, root_trace_id: Option<TraceId>) -> Self {
        // The trace id only with its decision: while the thread's locals are
        // destroyed, the decision's may be gone (the trace id's, never), and the
        // SDK then decides again, on a trace id of its own.
        if DECIDED.try_with(|cell| cell.set(Some(decided))).is_ok() {
            let _ = DECIDED_TRACE_ID.try_with(|cell| cell.set(root_trace_id));
        }
        Handoff
    }
}

impl Drop for Handoff {
    fn drop(&mut self) {
        let _ = DECIDED.try_with(Cell::take);
        let _ = DECIDED_TRACE_ID.try_with(Cell::take);
    }
}
