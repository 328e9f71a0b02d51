//! The SDK's own metrics of the export pipelines, as the semantic conventions name
//! them (`otel.sdk.*`, in development there): for spans and for log records, what
//! the batch processor handed to its exporter or dropped from its full queue, how
//! full that queue is, and what the exporter exported or lost. Telemetry lost is
//! otherwise said only on stderr and by the guard; with these a service's own
//! dashboards and alerts see it. Read from the pipeline's counters when the
//! metrics are collected: nothing per span.

use crate::processor::Counters;
use opentelemetry::KeyValue;
use opentelemetry::metrics::Meter;
use std::sync::Arc;

/// The signal a pipeline carries, as the metrics' names and units say it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Signal {
    Spans,
    LogRecords,
}

impl Signal {
    /// The word in the metrics' names.
    fn word(self) -> &'static str {
        match self {
            Signal::Spans => "span",
            Signal::LogRecords => "log",
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Signal::Spans => "{span}",
            Signal::LogRecords => "{log_record}",
        }
    }

    /// The items, as the descriptions say them.
    fn items(self) -> &'static str {
        match self {
            Signal::Spans => "spans",
            Signal::LogRecords => "log records",
        }
    }

    /// The processor's `otel.component.type`.
    fn processor_type(self) -> &'static str {
        match self {
            Signal::Spans => "batching_span_processor",
            Signal::LogRecords => "batching_log_processor",
        }
    }
}

/// Registers the metrics of the pipeline of `signal` that `counters` count, on
/// `meter`; none where no pipeline was built.
pub(crate) fn observe(meter: &Meter, signal: Signal, counters: &Arc<Counters>) {
    let Some(exporter_type) = counters.exporter_type() else {
        return;
    };
    let (word, unit, items) = (signal.word(), signal.unit(), signal.items());
    let processor = component(signal.processor_type());
    let exporter = component(exporter_type);

    let observed = Arc::clone(counters);
    let (handed_on, full) = (processor.clone(), failed(&processor, "queue_full"));
    meter
        .u64_observable_counter(format!("otel.sdk.processor.{word}.processed"))
        .with_unit(unit)
        .with_description(format!(
            "The number of {items} for which the processing has finished, either successful or failed."
        ))
        .with_callback(move |observer| {
            let (given, overflowed) = observed.processed();
            observer.observe(given, &handed_on);
            observer.observe(overflowed, &full);
        })
        .build();

    let observed = Arc::clone(counters);
    let in_queue = processor.clone();
    meter
        .i64_observable_up_down_counter(format!("otel.sdk.processor.{word}.queue.size"))
        .with_unit(unit)
        .with_description(format!(
            "The number of {items} in the queue of a given instance of an SDK {word} processor."
        ))
        .with_callback(move |observer| {
            observer.observe(saturating_i64(observed.queued()), &in_queue);
        })
        .build();

    if let Some(capacity) = counters.capacity() {
        meter
            .i64_observable_up_down_counter(format!("otel.sdk.processor.{word}.queue.capacity"))
            .with_unit(unit)
            .with_description(format!(
                "The maximum number of {items} the queue of a given instance of an SDK {word} processor can hold."
            ))
            .with_callback(move |observer| {
                observer.observe(saturating_i64(capacity as u64), &processor);
            })
            .build();
    }

    let observed = Arc::clone(counters);
    // The exporter's error is not kept: `_OTHER`, as the conventions say where
    // none of theirs is known.
    let lost = failed(&exporter, "_OTHER");
    meter
        .u64_observable_counter(format!("otel.sdk.exporter.{word}.exported"))
        .with_unit(unit)
        .with_description(format!(
            "The number of {items} for which the export has finished, either successful or failed."
        ))
        .with_callback(move |observer| {
            let (exported, failures) = observed.export_outcomes();
            observer.observe(exported, &exporter);
            observer.observe(failures, &lost);
        })
        .build();
}

/// A component's `otel.component.type` and `otel.component.name` (its type and
/// instance number: one of each per installation).
fn component(component_type: &'static str) -> Vec<KeyValue> {
    vec![
        KeyValue::new("otel.component.type", component_type),
        KeyValue::new("otel.component.name", format!("{component_type}/0")),
    ]
}

/// `component`'s attributes with `error.type`.
fn failed(component: &[KeyValue], error_type: &'static str) -> Vec<KeyValue> {
    let mut attributes = component.to_vec();
    attributes.push(KeyValue::new("error.type", error_type));
    attributes
}

fn saturating_i64(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}
