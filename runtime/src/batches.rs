//! Export requests kept under what a collector takes in one message.
//!
//! A collector's OTLP gRPC receiver refuses a request over 4 MiB (its default
//! `max_recv_msg_size_mib`), and the refusal is not retried: one span carrying a
//! request body or a document as an attribute (nothing cuts strings unless
//! `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT` says so) took the other spans of its batch
//! down with it. A batch whose spans weigh more than [`BUDGET`] goes out in
//! several requests instead, so that only a span too large by itself is lost.

use opentelemetry::{Array, KeyValue, Value};
use opentelemetry_sdk::trace::SpanData;

/// What one request may weigh, estimated: under the 4 MiB default, with room for
/// the resource, the scope and the estimate's error.
pub(crate) const BUDGET: usize = 3 << 20;

/// `batch` as one request, or cut where its spans' weight passes [`budget`]; in
/// order, every span in exactly one part.
pub(crate) fn split(batch: Vec<SpanData>, budget: usize) -> Vec<Vec<SpanData>> {
    let weights: Vec<usize> = batch.iter().map(weight).collect();
    if weights.iter().sum::<usize>() <= budget {
        return vec![batch];
    }
    let mut parts = Vec::new();
    let mut part = Vec::new();
    let mut part_weight = 0;
    for (span, weight) in batch.into_iter().zip(weights) {
        if !part.is_empty() && part_weight + weight > budget {
            parts.push(std::mem::take(&mut part));
            part_weight = 0;
        }
        part_weight += weight;
        part.push(span);
    }
    parts.push(part);
    parts
}

/// About what `span` weighs encoded: its strings, and a few bytes for each field
/// and number (an upper bound for the numbers, close for the strings).
fn weight(span: &SpanData) -> usize {
    const SPAN: usize = 96; // ids, times, kind, status code, flags
    const ENTRY: usize = 24; // an event's or a link's own fields
    SPAN + span.name.len()
        + attributes(&span.attributes)
        + span
            .events
            .iter()
            .map(|event| ENTRY + event.name.len() + attributes(&event.attributes))
            .sum::<usize>()
        + span
            .links
            .iter()
            .map(|link| {
                ENTRY
                    + link.span_context.trace_state().header().len()
                    + attributes(&link.attributes)
            })
            .sum::<usize>()
        + match &span.status {
            opentelemetry::trace::Status::Error { description } => description.len(),
            _ => 0,
        }
}

fn attributes(attributes: &[KeyValue]) -> usize {
    const FIELD: usize = 12;
    attributes
        .iter()
        .map(|attribute| FIELD + attribute.key.as_str().len() + value(&attribute.value))
        .sum()
}

fn value(value: &Value) -> usize {
    const NUMBER: usize = 11;
    match value {
        Value::String(text) => text.as_str().len(),
        Value::Array(Array::String(texts)) => {
            texts.iter().map(|text| 2 + text.as_str().len()).sum()
        }
        Value::Array(Array::Bool(values)) => 2 * values.len(),
        Value::Array(Array::I64(values)) => NUMBER * values.len(),
        Value::Array(Array::F64(values)) => NUMBER * values.len(),
        _ => NUMBER,
    }
}

#[cfg(test)]
mod tests {
    use super::split;
    use opentelemetry::KeyValue;
    use opentelemetry::trace::{SpanContext, SpanKind, Status};
    use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
    use std::borrow::Cow;
    use std::time::SystemTime;

    fn span(name: &'static str, text: usize) -> SpanData {
        SpanData {
            span_context: SpanContext::empty_context(),
            parent_span_id: opentelemetry::trace::SpanId::INVALID,
            parent_span_is_remote: false,
            span_kind: SpanKind::Internal,
            name: Cow::Borrowed(name),
            start_time: SystemTime::UNIX_EPOCH,
            end_time: SystemTime::UNIX_EPOCH,
            attributes: vec![KeyValue::new("body", "x".repeat(text))],
            dropped_attributes_count: 0,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status: Status::Unset,
            instrumentation_scope: opentelemetry::InstrumentationScope::default(),
        }
    }

    fn names(parts: &[Vec<SpanData>]) -> Vec<Vec<&str>> {
        parts
            .iter()
            .map(|part| part.iter().map(|span| &*span.name).collect())
            .collect()
    }

    #[test]
    fn a_light_batch_is_one_request() {
        let parts = split(vec![span("a", 10), span("b", 10)], 1_000);
        assert_eq!(names(&parts), [["a", "b"]]);
    }

    #[test]
    fn a_heavy_batch_is_cut_in_order_and_a_span_over_the_budget_goes_alone() {
        let batch = vec![
            span("a", 300),
            span("b", 300),
            span("c", 300),
            span("huge", 5_000),
            span("d", 10),
        ];
        let parts = split(batch, 1_000);
        assert_eq!(
            names(&parts),
            [vec!["a", "b"], vec!["c"], vec!["huge"], vec!["d"]]
        );
    }
}
