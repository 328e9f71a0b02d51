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
