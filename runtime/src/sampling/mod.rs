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
}

/// The configured sampler, with the hints of annotated functions applied first.
/// Clones share the sampler: the provider holds one, and spans are decided ahead
/// of it ([`early`]) with another, so that a stateful sampler sees every span once.
#[derive(Clone, Debug)]
pub(crate) struct HintedSampler(Arc<dyn ShouldSample>);

/// A provider builder deciding with `sampler` and its hints, and the sampler to
/// decide ahead of it with ([`early::open`]).
pub(crate) fn provider_builder(
    sampler: Box<dyn ShouldSample>,
) -> (TracerProviderBuilder, HintedSampler) {
    let hinted = HintedSampler(Arc::from(sampler));
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
    /// The hint of the parent context if it carries one, else the configured
    /// sampler's decision.
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
            Some(SampleHint::Always) => SamplingDecision::RecordAndSample,
            Some(SampleHint::Never) => SamplingDecision::Drop,
            None => {
                return self.0.should_sample(
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
