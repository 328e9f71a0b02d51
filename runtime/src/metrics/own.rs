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

/// The signal a pipeline carries, as the metrics' names, units and descriptions
/// say it.
#[derive(Debug)]
pub(crate) struct Signal {
    /// The word in the metrics' names.
    word: &'static str,
    unit: &'static str,
    /// The items, as the descriptions say them.
    items: &'static str,
    /// The processor's `otel.component.type`.
    processor_type: &'static str,
}

pub(crate) const SPANS: Signal = Signal {
    word: "span",
    unit: "{span}",
    items: "spans",
    processor_type: "batching_span_processor",
};

pub(crate) const LOG_RECORDS: Signal = Signal {
    word: "log",
    unit: "{log_record}",
    items: "log records",
    processor_type: "batching_log_processor",
};

/// Registers the metrics of the pipeline of `signal` that `counters` count, on
/// `meter`; none where no pipeline was built.
pub(crate) fn observe(meter: &Meter, signal: &Signal, counters: &Arc<Counters>) {
    let Some(exporter_type) = counters.exporter_type() else {
        return;
    };
    let Signal {
        word,
        unit,
        items,
        processor_type,
    } = *signal;
    let processor = component(processor_type);
    let exporter = component(exporter_type);

    let observed = Arc::clone(counters);
    outcome_counter(
        meter,
        format!("otel.sdk.processor.{word}.processed"),
        unit,
        format!(
            "The number of {items} for which the processing has finished, either successful or failed."
        ),
        (&processor, "queue_full"),
        move || observed.processed(),
    );

    let observed = Arc::clone(counters);
    level_counter(
        meter,
        format!("otel.sdk.processor.{word}.queue.size"),
        unit,
        format!(
            "The number of {items} in the queue of a given instance of an SDK {word} processor."
        ),
        processor.clone(),
        move || observed.queued(),
    );
    if let Some(capacity) = counters.capacity() {
        level_counter(
            meter,
            format!("otel.sdk.processor.{word}.queue.capacity"),
            unit,
            format!(
                "The maximum number of {items} the queue of a given instance of an SDK {word} processor can hold."
            ),
            processor,
            move || capacity as u64,
        );
    }

    let observed = Arc::clone(counters);
    // The exporter's error is not kept: `_OTHER`, as the conventions say where
    // none of theirs is known.
    outcome_counter(
        meter,
        format!("otel.sdk.exporter.{word}.exported"),
        unit,
        format!(
            "The number of {items} for which the export has finished, either successful or failed."
        ),
        (&exporter, "_OTHER"),
        move || observed.export_outcomes(),
    );
}

/// A counter of items whose processing or export finished, named `name`: `read`
/// gives how many did well and how many failed, the failures observed with
/// `error.type`, both with the component's attributes.
fn outcome_counter(
    meter: &Meter,
    name: String,
    unit: &'static str,
    description: String,
    (component, error_type): (&[KeyValue], &'static str),
    read: impl Fn() -> (u64, u64) + Send + Sync + 'static,
) {
    let succeeded = component.to_vec();
    let mut failed = component.to_vec();
    failed.push(KeyValue::new("error.type", error_type));
    meter
        .u64_observable_counter(name)
        .with_unit(unit)
        .with_description(description)
        .with_callback(move |observer| {
            let (done, lost) = read();
            observer.observe(done, &succeeded);
            observer.observe(lost, &failed);
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

/// An up-down counter named `name` of how many items `read` says there are,
/// with the component's `attributes`.
fn level_counter(
    meter: &Meter,
    name: String,
    unit: &'static str,
    description: String,
    attributes: Vec<KeyValue>,
    read: impl Fn() -> u64 + Send + Sync + 'static,
) {
    meter
        .i64_observable_up_down_counter(name)
        .with_unit(unit)
        .with_description(description)
        .with_callback(move |observer| {
            observer.observe(i64::try_from(read()).unwrap_or(i64::MAX), &attributes);
        })
        .build();
}
