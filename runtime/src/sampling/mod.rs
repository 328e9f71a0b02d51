//! Per-function sampling hints: `#[traced(sample = always)]` for key business paths
//! that must be seen whatever the sampler says, `sample = never` for noise.
//!
//! The hint travels in the parent context handed to the sampler (so it leaves no
//! attribute behind), and [`HintedSampler`] wraps whatever sampler is configured
//! (every `OTEL_TRACES_SAMPLER`, parent-based ones included) and honours it before
//! asking the wrapped one. The span's own context inherits the hint, so its
//! descendants follow it, also under a sampler that is not parent-based.
//!
//! A forced span under an unsampled parent is sampled and exported, but its parent
//! is not: a backend shows it as the root of what it received, with a parent id it
//! never got.

pub(crate) mod adaptive;
pub(crate) mod early;

use opentelemetry::trace::{Link, SpanKind, TraceContextExt as _, TraceId, TraceState};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{
    SamplingDecision, SamplingResult, ShouldSample, TracerProviderBuilder,
};
use std::sync::Arc;

/// A function's sampling hint.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleHint {
    /// Record and sample, whatever the sampler would decide.
    Always,
    /// Drop, whatever the sampler would decide.
    Never,
    /// The configured sampler decides: what the body of a call starting a new
    /// trace carries in place of its caller's hint, which is about the caller's
    /// trace (the rest of the caller's context carries over).
    Sampler,
}

/// The configured sampler, with the hints of annotated functions applied first.
/// Clones share the sampler: the provider holds one, and spans are decided ahead
/// of it ([`early`]) with another, so that a stateful sampler sees every span once.
#[derive(Clone, Debug)]
pub(crate) struct HintedSampler {
    sampler: Arc<dyn ShouldSample>,
    records: Records,
}

/// Which spans the configured sampler is known to record without being asked.
/// Deciding ahead of the SDK ([`early`]) saves most of a dropped span's cost but
/// adds to a recorded one's (the decision is handed over); where the span is
/// known to be recorded, the SDK decides alone, as without us. A wrong guess
/// costs speed, never a decision: the SDK then asks the sampler itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Records {
    /// `always_on`.
    Every,
    /// Parent-based: every child of a sampled parent; every root too when the
    /// root sampler is `always_on` (`parentbased_always_on`, the default).
    ChildrenOfSampled { roots: bool },
    /// Anything else: to be asked.
    Unknown,
}

impl Records {
    /// The SDK's samplers do not expose what a parent-based one wraps, but their
    /// `Debug` names it.
    fn of(sampler: &dyn ShouldSample) -> Self {
        let name = format!("{sampler:?}");
        if name == "AlwaysOn" {
            return Records::Every;
        }
        match name.strip_prefix("ParentBased(") {
            Some(root) => Records::ChildrenOfSampled {
                roots: root == "AlwaysOn)",
            },
            None => Records::Unknown,
        }
    }
}

/// A provider builder deciding with `sampler` and its hints, and the sampler to
/// decide ahead of it with ([`early::open`]).
pub(crate) fn provider_builder(
    sampler: Box<dyn ShouldSample>,
) -> (TracerProviderBuilder, HintedSampler) {
    let hinted = HintedSampler {
        records: Records::of(sampler.as_ref()),
        sampler: Arc::from(sampler),
    };
    let builder = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_sampler(hinted.clone())
        .with_id_generator(early::DecidedIds::default());
    (builder, hinted)
}

/// What the provider asks: the decision made ahead for the span it is building,
/// if [`early::open`] made one, else a decision now.
impl ShouldSample for HintedSampler {
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        span_kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        match early::take_decided() {
            Some(decided) => decided,
            None => self.decide(parent_context, trace_id, name, span_kind, attributes, links),
        }
    }
}

impl HintedSampler {
    /// Whether a span under `parent` is known to be recorded (but for a hint, which
    /// the provider's own decision honours all the same).
    #[inline]
    pub(crate) fn records_surely(&self, parent: &Context) -> bool {
        match self.records {
            Records::Every => true,
            Records::ChildrenOfSampled { roots } => {
                let parent = parent.span();
                let parent = parent.span_context();
                if parent.is_valid() {
                    parent.is_sampled()
                } else {
                    roots
                }
            }
            Records::Unknown => false,
        }
    }

    /// The hint of the parent context if it carries one, else the configured
    /// sampler's decision. Inlined where every span is decided (out of line, its
    /// result is copied out: 28 instructions a recorded span, callgrind says).
    #[inline]
    pub(crate) fn decide(
        &self,
        parent_context: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        span_kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        let hint = parent_context.and_then(|context| context.get::<SampleHint>());
        let decision = match hint {
            Some(SampleHint::Always) => {
                note_if_unexported(parent_context);
                SamplingDecision::RecordAndSample
            }
            Some(SampleHint::Never) => SamplingDecision::Drop,
            Some(SampleHint::Sampler) | None => {
                return self.sampler.should_sample(
                    parent_context,
                    trace_id,
                    name,
                    span_kind,
                    attributes,
                    links,
                );
            }
        };
        let trace_state = parent_context
            .map(|context| context.span().span_context().trace_state().clone())
            .unwrap_or(TraceState::NONE);
        SamplingResult {
            decision,
            attributes: Vec::new(),
            trace_state,
        }
    }
}

/// Tells the console that a span forced under `parent` has a parent that is never
/// exported (a local one not sampled), so that it prints as its own tree. Out of
/// line: inlined, it kept `decide` from being inlined where every span is decided
/// (30 instructions a recorded span, callgrind says).
#[cold]
#[inline(never)]
fn note_if_unexported(parent: Option<&Context>) {
    let Some(parent) = parent else { return };
    let parent = parent.span();
    let parent = parent.span_context();
    if parent.is_valid() && !parent.is_remote() && !parent.is_sampled() {
        crate::console::note_unexported_parent(parent);
    }
}

#[cfg(test)]
mod tests {
    use super::{Records, SampleHint, provider_builder};
    use crate::span::OpenedSpan;
    use opentelemetry::Context;
    use opentelemetry::trace::{
        SpanContext, SpanId, SpanKind, TraceContextExt as _, TraceFlags, TraceId, TraceState,
    };
    use opentelemetry_sdk::trace::Sampler;

    #[test]
    fn a_span_forced_under_a_local_parent_sampled_out_tells_the_console() {
        crate::console::ConsoleExporter::with_writer(std::io::sink());
        let (_, sampler) = provider_builder(Box::new(Sampler::AlwaysOff));
        let parent = |span_id: u64, flags: TraceFlags| {
            let span_context = SpanContext::new(
                TraceId::from(11),
                SpanId::from(span_id),
                flags,
                false,
                TraceState::NONE,
            );
            Context::new()
                .with_span(OpenedSpan::Unsampled(span_context))
                .with_value(SampleHint::Always)
        };
        let decide = |parent: &Context| {
            sampler.decide(
                Some(parent),
                TraceId::from(11),
                "charge_card",
                &SpanKind::Internal,
                &[],
                &[],
            )
        };
        let child_of = |parent: u64| crate::render::tests::span(11, 0xc1, parent, "charge_card");
        let _ = decide(&parent(0xb1, TraceFlags::default()));
        assert!(crate::console::has_unexported_parent(&child_of(0xb1)));
        let _ = decide(&parent(0xb2, TraceFlags::SAMPLED));
        assert!(
            !crate::console::has_unexported_parent(&child_of(0xb2)),
            "a sampled parent is exported"
        );
    }

    #[test]
    fn the_samplers_known_to_record_are_recognised_and_no_other() {
        let records = |sampler: Sampler| Records::of(&sampler);
        assert_eq!(records(Sampler::AlwaysOn), Records::Every);
        assert_eq!(
            records(Sampler::ParentBased(Box::new(Sampler::AlwaysOn))),
            Records::ChildrenOfSampled { roots: true }
        );
        for parent_based in [
            Sampler::ParentBased(Box::new(Sampler::AlwaysOff)),
            Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(0.5))),
            crate::AdaptiveSampler::new(0.5).into(),
        ] {
            assert_eq!(
                records(parent_based),
                Records::ChildrenOfSampled { roots: false }
            );
        }
        for unknown in [Sampler::AlwaysOff, Sampler::TraceIdRatioBased(1.0)] {
            assert_eq!(records(unknown), Records::Unknown);
        }
    }
}
