//! `sample = always | never`: per-function hints over the configured sampler,
//! followed by descendants, under parent-based and non-parent-based samplers.

use otel_traced::opentelemetry::Context;
use otel_traced::opentelemetry::trace::TraceContextExt;
use otel_traced::sdk::trace::Sampler;
use otel_traced::testing::Capture;
use otel_traced::traced;

#[traced(sample = always)]
fn payment(amount: u64) -> u64 {
    ledger(amount)
}

#[traced]
fn ledger(amount: u64) -> u64 {
    amount
}

#[traced(sample = never)]
fn health_check() -> bool {
    probe()
}

#[traced]
fn probe() -> bool {
    Context::current().span().span_context().is_sampled()
}

#[traced]
fn request() {
    payment(5);
    health_check();
}

fn names(sampler: Sampler, call: fn()) -> Vec<String> {
    let captured = Capture::new().sampler(sampler).run(call);
    captured
        .spans()
        .iter()
        .map(|s| s.name.to_string())
        .collect()
}

#[test]
fn always_is_recorded_under_always_off_with_its_descendants() {
    assert_eq!(
        names(Sampler::AlwaysOff, || {
            payment(1);
        }),
        ["ledger", "payment"]
    );
    assert_eq!(
        names(Sampler::TraceIdRatioBased(0.0), || {
            payment(1);
        }),
        ["ledger", "payment"],
        "a non-parent-based sampler: the descendant follows through the inherited hint"
    );
}

#[test]
fn never_drops_a_span_and_its_descendants_under_always_on() {
    let captured = Capture::new().sampler(Sampler::AlwaysOn).run(health_check);
    assert!(!*captured.output(), "the descendant is not sampled either");
    assert!(captured.spans().is_empty());
}

#[test]
fn hints_hold_inside_a_parent_based_sampler() {
    // The parent is dropped by the ratio; the forced child is kept, the other hint
    // drops its subtree; nothing else is recorded.
    let sampler = Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(0.0)));
    assert_eq!(names(sampler, request), ["ledger", "payment"]);
    let sampler = Sampler::ParentBased(Box::new(Sampler::AlwaysOn));
    assert_eq!(names(sampler, request), ["ledger", "payment", "request"]);
}

#[test]
fn a_forced_span_under_an_unsampled_parent_keeps_the_parents_trace() {
    let captured = Capture::new().sampler(Sampler::AlwaysOff).run(request);
    let payment = captured.find("payment").expect("forced");
    assert!(payment.span_context.is_sampled());
    assert_ne!(
        payment.parent_span_id,
        otel_traced::opentelemetry::trace::SpanId::INVALID,
        "it names its (unexported) parent"
    );
}

#[traced]
fn located(amount: u64) -> u64 {
    amount
}

#[test]
fn a_span_recorded_under_an_unsampled_local_parent_has_its_code_attributes_first() {
    use otel_traced::opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
    // Under such a parent the code attributes are left out of what the sampler
    // sees (a parent-based one drops the span anyway); a sampler that records it
    // all the same still gets them, in their usual place.
    let captured = Capture::new().sampler(Sampler::AlwaysOn).run(|| {
        let parent = SpanContext::new(
            TraceId::from(7_u128),
            SpanId::from(7_u64),
            TraceFlags::default(),
            false,
            TraceState::NONE,
        );
        let _parent = Context::current().with_remote_span_context(parent).attach();
        located(3)
    });
    let span = captured.find("located").expect("recorded by AlwaysOn");
    let keys: Vec<&str> = span.attributes.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "code.function.name",
            "code.file.path",
            "code.line.number",
            "amount"
        ]
    );
    assert_eq!(span.parent_span_id, SpanId::from(7_u64));
}

#[test]
fn under_an_unsampled_local_parent_nothing_is_recorded_and_the_trace_goes_on() {
    use otel_traced::opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
    let sampler = Sampler::ParentBased(Box::new(Sampler::AlwaysOn));
    let captured = Capture::new().sampler(sampler).run(|| {
        let parent = SpanContext::new(
            TraceId::from(9_u128),
            SpanId::from(9_u64),
            TraceFlags::default(),
            false,
            TraceState::NONE,
        );
        let _parent = Context::current().with_remote_span_context(parent).attach();
        (located(1), probe_trace())
    });
    assert!(captured.spans().is_empty());
    let (_, (trace_id, sampled)) = captured.output();
    assert_eq!(
        *trace_id,
        TraceId::from(9_u128),
        "the body runs in the parent's trace"
    );
    assert!(!sampled);
}

#[traced]
fn probe_trace() -> (otel_traced::opentelemetry::trace::TraceId, bool) {
    let current = Context::current();
    let span = current.span();
    (
        span.span_context().trace_id(),
        span.span_context().is_sampled(),
    )
}
