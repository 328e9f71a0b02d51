//! Helpers shared by the integration tests: reading attributes off captured spans,
//! an in-process OTLP receiver, and the generated `shop.v1` gRPC service.

pub mod load;
pub mod receiver;
pub mod shop_proto;

use otel_traced::opentelemetry::Value;
use otel_traced::sdk::trace::SpanData;

/// The value recorded under `key`, if any.
pub fn attribute<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

/// The keys of every attribute, in recording order, without the `code.*` ones.
pub fn own_keys(span: &SpanData) -> Vec<&str> {
    span.attributes
        .iter()
        .map(|kv| kv.key.as_str())
        .filter(|key| !key.starts_with("code."))
        .collect()
}

/// Asserts that `child` is a direct child of `parent` in the same trace.
#[track_caller]
pub fn assert_child_of(child: &SpanData, parent: &SpanData) {
    assert_eq!(
        child.span_context.trace_id(),
        parent.span_context.trace_id(),
        "`{}` is not in the trace of `{}`",
        child.name,
        parent.name
    );
    assert_eq!(
        child.parent_span_id,
        parent.span_context.span_id(),
        "`{}` is not a child of `{}`",
        child.name,
        parent.name
    );
}

/// A string value, for comparing with `attribute`.
pub fn string(text: &str) -> Value {
    Value::String(text.to_owned().into())
}
