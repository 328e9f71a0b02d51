//! Export requests kept under what a collector takes in one message.
//!
//! A collector's OTLP gRPC receiver refuses a request over 4 MiB (its default
//! `max_recv_msg_size_mib`), and the refusal is not retried: one span carrying a
//! request body or a document as an attribute (nothing cuts strings unless
//! `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT` says so) took the other spans of its batch
//! down with it. A batch whose spans weigh more than [`BUDGET`] goes out in
//! several requests instead, so that only a span too large by itself is lost. Log
//! records likewise (a stack trace, a logged body; nothing cuts them).

use opentelemetry::logs::AnyValue;
use opentelemetry::{Array, KeyValue, Value};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::logs::SdkLogRecord;
use opentelemetry_sdk::trace::SpanData;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What one request may weigh, estimated: under the 4 MiB default, with room for
/// the resource, the scope and the estimate's error.
const BUDGET: usize = 3 << 20;

/// What one request of a pipeline may weigh: [`BUDGET`], lowered once a request
/// of several items was refused as too large. A proxy before the collector may
/// take less than 4 MiB (an ingress's 1 MiB): every batch over its limit would
/// be refused whole, after the first, halved until its parts go through. Never
/// raised again: the limit is the path's.
#[derive(Debug)]
pub(crate) struct Budget(AtomicUsize);

/// The least a refusal lowers a [`Budget`] to: no request size limit is lower,
/// and a collector throttling may answer as one refusing a request too large
/// (gRPC's RESOURCE_EXHAUSTED).
const LEAST_BUDGET: usize = 64 << 10;

impl Default for Budget {
    fn default() -> Self {
        Budget(AtomicUsize::new(BUDGET))
    }
}

impl Budget {
    pub(crate) fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    /// Lowers the budget to half a request of several items that weighed
    /// `refused` and was refused as too large.
    fn lower_below(&self, refused: usize) {
        self.0
            .fetch_min((refused / 2).max(LEAST_BUDGET), Ordering::Relaxed);
    }
}

/// `batch` as one request, or cut where its items' `weight` passes `budget`; in
/// order, every item in exactly one part, each part with its weight.
pub(crate) fn split<T>(
    batch: Vec<T>,
    budget: usize,
    weight: impl Fn(&T) -> usize,
) -> Vec<(Vec<T>, usize)> {
    let weights: Vec<usize> = batch.iter().map(weight).collect();
    let total = weights.iter().sum::<usize>();
    if total <= budget {
        return vec![(batch, total)];
    }
    let mut parts = Vec::new();
    let mut part = Vec::new();
    let mut part_weight = 0;
    for (item, weight) in batch.into_iter().zip(weights) {
        if !part.is_empty() && part_weight + weight > budget {
            parts.push((std::mem::take(&mut part), part_weight));
            part_weight = 0;
        }
        part_weight += weight;
        part.push(item);
    }
    parts.push((part, part_weight));
    parts
}

/// Exports `parts` in order, counting in `counters` the items of each part
/// exported, and of each failed or not tried; the first failure is the result.
/// A part of several items refused for its size lowers `budget` for the
/// batches after it. After a part that failed for another reason
/// than its size or one panic of the exporter (the collector down), the rest is
/// not tried: each would wait out its own timeout. (A second panic is taken for
/// that: an exporter's `unwrap` of a failed request panics on every part.)
pub(crate) async fn export_parts<T, F: Future<Output = OTelSdkResult>>(
    parts: Vec<(Vec<T>, usize)>,
    mut export: impl FnMut(Vec<T>) -> F,
    counters: &crate::processor::Counters,
    budget: &Budget,
) -> OTelSdkResult {
    let mut result = Ok(());
    let mut panicked = false;
    let mut parts = parts.into_iter();
    for (part, weight) in parts.by_ref() {
        let items = part.len() as u64;
        match export(part).await {
            Ok(()) => counters.settled(items),
            Err(error) => {
                counters.failed(items);
                let panic = crate::panic::is_caught_panic(&error);
                if items > 1 && refused_for_its_size(&error) {
                    budget.lower_below(weight);
                }
                let carry_on = refused_as_too_large(&error) || (panic && !panicked);
                panicked |= panic;
                if result.is_ok() {
                    result = Err(error);
                }
                if !carry_on {
                    break;
                }
            }
        }
    }
    counters.failed(parts.map(|(part, _)| part.len() as u64).sum());
    result
}

/// Whether an export was refused for its size and nothing else: HTTP's 413,
/// gRPC's OUT_OF_RANGE, the HTTP exporter's own limit; not gRPC's
/// RESOURCE_EXHAUSTED, also a collector's answer when it throttles.
pub(crate) fn refused_for_its_size(error: &OTelSdkError) -> bool {
    let said = error.to_string();
    ["OutOfRange", "status code: 413", EXPORTERS_OWN_LIMIT]
        .iter()
        .any(|refusal| said.contains(refusal))
}

/// opentelemetry-otlp 0.33's words for an HTTP body over its own limit (64 MiB).
pub(crate) const EXPORTERS_OWN_LIMIT: &str = "bytes, exceeding the configured limit of";

/// Whether an export failed because its request was too large for the collector
/// (gRPC's RESOURCE_EXHAUSTED or OUT_OF_RANGE, HTTP's 413) or for the HTTP
/// exporter's own limit (64 MiB, checked before sending), so that the next
/// request may still go through; any other failure (the collector down) would
/// fail the next the same way.
/// (RESOURCE_EXHAUSTED is also a collector's answer when it is short of memory or
/// throttles, and opentelemetry-otlp keeps no message to tell them apart: the
/// next request may go through then too.)
pub(crate) fn refused_as_too_large(error: &OTelSdkError) -> bool {
    refused_for_its_size(error) || error.to_string().contains("ResourceExhausted")
}

/// At least what `span` weighs encoded in protobuf: its strings, and for each
/// field its tag and length prefix, each number at its widest (an upper bound
/// everywhere but in the strings, where it is exact).
pub(crate) fn weight(span: &SpanData) -> usize {
    const SPAN: usize = 96; // ids, times, kind, status code, flags, its own prefix
    const EVENT: usize = 24; // time, name and attribute prefixes, dropped count
    const LINK: usize = 56; // trace and span ids, flags, prefixes, dropped count
    SPAN + span.name.len()
        + span.span_context.trace_state().header().len()
        + attributes(&span.attributes)
        + span
            .events
            .iter()
            .map(|event| EVENT + event.name.len() + attributes(&event.attributes))
            .sum::<usize>()
        + span
            .links
            .iter()
            .map(|link| {
                LINK + link.span_context.trace_state().header().len() + attributes(&link.attributes)
            })
            .sum::<usize>()
        + match &span.status {
            opentelemetry::trace::Status::Error { description } => 8 + description.len(),
            _ => 0,
        }
}

/// A key-value pair's prefixes and tags: the pair's, the key's, the value's and
/// its variant's, each length at most 5 bytes.
const PAIR: usize = 20;
/// An array element's own message around its value: tag and length, then the
/// value's tag (and a string's length).
const ELEMENT: usize = 8;

fn attributes(attributes: &[KeyValue]) -> usize {
    attributes
        .iter()
        .map(|attribute| PAIR + attribute.key.as_str().len() + value(&attribute.value))
        .sum()
}

/// At least what `record` weighs encoded in protobuf, as [`weight`] estimates a
/// span's: its strings and bytes exact, every prefix and number at its widest.
pub(crate) fn log_weight(record: &SdkLogRecord) -> usize {
    // Times, severity, flags, trace and span ids, their tags, its own prefix.
    const RECORD: usize = 72;
    RECORD
        + record.event_name().map_or(0, str::len)
        + record.severity_text().map_or(0, str::len)
        + record.body().map_or(0, |body| ELEMENT + any_value(body))
        + record
            .attributes_iter()
            .map(|(key, value)| PAIR + key.as_str().len() + any_value(value))
            .sum::<usize>()
}

/// A log value's weight, nested lists and maps with their own messages' prefixes.
fn any_value(value: &AnyValue) -> usize {
    const NUMBER: usize = 10;
    /// A list's or map's message and its prefix inside the value around it.
    const NESTED: usize = 12;
    match value {
        AnyValue::String(text) => text.as_str().len(),
        AnyValue::Bytes(bytes) => bytes.len(),
        AnyValue::ListAny(items) => {
            NESTED
                + items
                    .iter()
                    .map(|item| ELEMENT + any_value(item))
                    .sum::<usize>()
        }
        AnyValue::Map(entries) => {
            NESTED
                + entries
                    .iter()
                    .map(|(key, value)| PAIR + key.as_str().len() + any_value(value))
                    .sum::<usize>()
        }
        _ => NUMBER,
    }
}

fn value(value: &Value) -> usize {
    const NUMBER: usize = 10; // a varint at its widest; a double takes 8
    match value {
        Value::String(text) => text.as_str().len(),
        Value::Array(Array::String(texts)) => {
            texts.iter().map(|text| ELEMENT + text.as_str().len()).sum()
        }
        Value::Array(Array::Bool(values)) => (ELEMENT + 1) * values.len(),
        Value::Array(Array::I64(values)) => (ELEMENT + NUMBER) * values.len(),
        Value::Array(Array::F64(values)) => (ELEMENT + NUMBER) * values.len(),
        _ => NUMBER,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::split;
    use opentelemetry::KeyValue;
    use opentelemetry::trace::{SpanContext, SpanKind, Status};
    use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
    use std::borrow::Cow;
    use std::time::SystemTime;

    /// A sampled span named `name` recording a string of `text` bytes.
    pub(crate) fn span(name: &'static str, text: usize) -> SpanData {
        use opentelemetry::trace::{SpanId, TraceFlags, TraceId, TraceState};
        SpanData {
            span_context: SpanContext::new(
                TraceId::from(1),
                SpanId::from(1),
                TraceFlags::SAMPLED,
                false,
                TraceState::NONE,
            ),
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

    fn names(parts: &[(Vec<SpanData>, usize)]) -> Vec<Vec<&str>> {
        parts
            .iter()
            .map(|(part, _)| part.iter().map(|span| &*span.name).collect())
            .collect()
    }

    /// Spans of every kind of content, at sizes where a byte per item shows.
    fn varied() -> Vec<SpanData> {
        use opentelemetry::trace::{Event, Link, SpanId, TraceFlags, TraceId, TraceState};
        use opentelemetry::{Array, StringValue, Value};
        let with = |attributes: Vec<KeyValue>| SpanData {
            attributes,
            ..span("varied", 0)
        };
        let many = |value: Value| with(vec![KeyValue::new("values", value)]);
        let context = SpanContext::new(
            TraceId::from(u128::MAX),
            SpanId::from(u64::MAX),
            TraceFlags::SAMPLED,
            true,
            TraceState::from_key_value([("vendor", "a-long-enough-state")]).unwrap(),
        );
        let pairs = |count: usize| {
            (0..count)
                .map(|index| KeyValue::new(format!("k{index}"), -1_i64))
                .collect::<Vec<_>>()
        };
        let mut linked = span("linked", 0);
        linked.links.links = (0..500)
            .map(|_| Link::new(context.clone(), pairs(2), 0))
            .collect();
        let mut evented = span("evented", 0);
        evented.events.events = (0..500)
            .map(|index| Event::new("e", SystemTime::UNIX_EPOCH, pairs(index % 3), 0))
            .collect();
        evented.status = Status::error("x".repeat(300));
        let stated = SpanData {
            span_context: SpanContext::new(
                TraceId::from(u128::MAX),
                SpanId::from(u64::MAX),
                TraceFlags::SAMPLED,
                false,
                TraceState::from_key_value(
                    (0..32).map(|index| (format!("vendor{index}"), "v".repeat(256))),
                )
                .unwrap(),
            ),
            ..span("stated", 0)
        };
        vec![
            many(Value::Array(Array::Bool(vec![true; 100_000]))),
            many(Value::Array(Array::I64(vec![i64::MIN; 100_000]))),
            many(Value::Array(Array::F64(vec![-1.5; 100_000]))),
            many(Value::Array(Array::String(vec![
                StringValue::from("");
                100_000
            ]))),
            many(Value::Array(Array::String(vec![
                StringValue::from(
                    "x".repeat(300)
                );
                1_000
            ]))),
            with(pairs(10_000)),
            with(vec![KeyValue::new("body", "x".repeat(5 << 20))]),
            linked,
            evented,
            stated,
        ]
    }

    #[test]
    fn the_estimate_is_never_under_the_encoded_size() {
        use prost::Message as _;
        for span in varied() {
            let estimated = super::weight(&span);
            let encoded = opentelemetry_proto::tonic::trace::v1::Span::from(span.clone()).encoded_len()
                // Its own tag and length in the request.
                + 6;
            assert!(
                estimated >= encoded,
                "{} with {} attributes, {} links, {} events: {estimated} < {encoded}",
                span.name,
                span.attributes.len(),
                span.links.len(),
                span.events.len()
            );
            assert!(
                estimated <= 3 * encoded,
                "not too far over either: {estimated} for {encoded}"
            );
        }
    }

    #[test]
    fn a_log_records_estimate_is_never_under_its_encoded_size() {
        use opentelemetry::logs::{AnyValue, LogRecord as _};
        use opentelemetry::trace::{SpanId, TraceFlags, TraceId};
        use prost::Message as _;
        let nested = |depth: usize| {
            (0..depth).fold(AnyValue::from(-1_i64), |inner, _| {
                AnyValue::ListAny(Box::new(vec![inner.clone(), inner]))
            })
        };
        let map = |entries: usize| {
            AnyValue::Map(Box::new(
                (0..entries)
                    .map(|index| (format!("key{index}").into(), AnyValue::from(1.5)))
                    .collect(),
            ))
        };
        let bodies = [
            AnyValue::from("x".repeat(5 << 20)),
            AnyValue::from(String::new()),
            AnyValue::Bytes(Box::new(vec![0xff; 100_000])),
            AnyValue::ListAny(Box::new(vec![AnyValue::from(""); 100_000])),
            nested(12),
            map(10_000),
            AnyValue::ListAny(Box::new(vec![map(3); 1_000])),
        ];
        for body in bodies {
            let mut record = crate::logs::tests::record(0);
            record.set_body(body);
            record.set_event_name("exception");
            record.set_severity_text("ERROR");
            record.set_severity_number(opentelemetry::logs::Severity::Error);
            record.set_timestamp(std::time::SystemTime::now());
            record.set_trace_context(
                TraceId::from(u128::MAX),
                SpanId::from(u64::MAX),
                Some(TraceFlags::SAMPLED),
            );
            record.add_attributes((0..100).map(|index| (format!("k{index}"), nested(2))));
            let estimated = super::log_weight(&record);
            let encoded =
                opentelemetry_proto::tonic::logs::v1::LogRecord::from(&record).encoded_len() + 6;
            assert!(estimated >= encoded, "{estimated} < {encoded}");
            assert!(
                estimated <= 3 * encoded,
                "not too far over either: {estimated} for {encoded}"
            );
        }
    }

    #[test]
    fn a_budget_is_lowered_to_half_a_refused_request_and_no_lower_than_its_least() {
        let budget = super::Budget::default();
        budget.lower_below(1 << 20);
        assert_eq!(budget.get(), 512 << 10);
        budget.lower_below(2 << 20);
        assert_eq!(budget.get(), 512 << 10, "never raised");
        budget.lower_below(1_000);
        assert_eq!(budget.get(), super::LEAST_BUDGET);
    }

    #[test]
    fn a_throttling_collectors_answer_is_no_refusal_for_size() {
        use opentelemetry_sdk::error::OTelSdkError;
        let refused = |said: &str| {
            super::refused_for_its_size(&OTelSdkError::InternalFailure(said.to_owned()))
        };
        assert!(refused("HTTP export failed with status code: 413"));
        assert!(refused(
            "TonicTracesClient export failed with gRPC code: OutOfRange"
        ));
        assert!(!refused(
            "TonicTracesClient export failed with gRPC code: ResourceExhausted"
        ));
    }

    #[test]
    fn a_light_batch_is_one_request() {
        let parts = split(vec![span("a", 10), span("b", 10)], 1_000, super::weight);
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
        let parts = split(batch, 1_000, super::weight);
        assert_eq!(
            names(&parts),
            [vec!["a", "b"], vec!["c"], vec!["huge"], vec!["d"]]
        );
    }
}
