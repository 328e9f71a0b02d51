//! The console's metrics: a summary of every histogram and message count when the
//! guard shuts down (the reader's interval is set so long that only the last
//! export prints).

use crate::console::ConsoleOutput;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use std::io::Write as _;
use std::time::Duration;

/// Prints one line per series: its metric, attributes, count, mean and maximum,
/// where the console prints.
#[derive(Debug)]
pub(crate) struct ConsoleMetrics(pub ConsoleOutput);

impl PushMetricExporter for ConsoleMetrics {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let summary = summary(metrics);
        if summary.is_empty() {
            return Ok(());
        }
        // A closed output (a pipe whose reader is gone) loses the summary, not the
        // application: the shutdown's error says so.
        let mut out = self.0.writer();
        out.write_all(summary.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|error| {
                OTelSdkError::InternalFailure(format!(
                    "writing the metrics summary to {} failed: {error}",
                    self.0.name()
                ))
            })
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }

    fn temporality(&self) -> Temporality {
        Temporality::Cumulative
    }
}

/// The summary text, empty when nothing was measured. Lines are sorted: the SDK
/// keeps series in no fixed order, and sorted, one metric's series stand together
/// in the same order every run.
fn summary(metrics: &ResourceMetrics) -> String {
    let mut lines = Vec::new();
    for scope in metrics.scope_metrics() {
        for metric in scope.metrics() {
            match metric.data() {
                AggregatedMetrics::F64(MetricData::Histogram(histogram)) => {
                    // Durations in seconds, or in milliseconds (`rpc/dup`'s).
                    let to_seconds = if metric.unit() == "ms" { 0.001 } else { 1.0 };
                    for point in histogram.data_points() {
                        if point.count() == 0 {
                            continue;
                        }
                        let calls = match point.count() {
                            1 => "1 call".to_owned(),
                            count => format!("{count} calls"),
                        };
                        #[allow(clippy::cast_precision_loss, reason = "a mean for reading")]
                        let mean = point.sum() / point.count() as f64;
                        lines.push(format!(
                            "  {} {{{}}}: {calls}, mean {}, max {}\n",
                            metric.name(),
                            attributes(point.attributes()),
                            seconds(mean * to_seconds),
                            seconds(point.max().unwrap_or(mean) * to_seconds),
                        ));
                    }
                }
                // The messaging conventions' message counts.
                AggregatedMetrics::U64(MetricData::Sum(sum)) => {
                    for point in sum.data_points() {
                        let messages = match point.value() {
                            1 => "1 message".to_owned(),
                            count => format!("{count} messages"),
                        };
                        lines.push(format!(
                            "  {} {{{}}}: {messages}\n",
                            metric.name(),
                            attributes(point.attributes()),
                        ));
                    }
                }
                _ => {}
            }
        }
    }
    if lines.is_empty() {
        return String::new();
    }
    lines.sort_unstable();
    format!("metrics of this run:\n{}", lines.concat())
}

/// A series' attributes as `key=value`, sorted: the SDK keeps them in no fixed
/// order, and sorted, series line up.
fn attributes<'a>(attributes: impl Iterator<Item = &'a opentelemetry::KeyValue>) -> String {
    let mut attributes: Vec<String> = attributes
        .map(|attribute| {
            format!(
                "{}={}",
                crate::render::printable(attribute.key.as_str()),
                crate::render::printable(&crate::render::cut(&attribute.value.as_str()))
            )
        })
        .collect();
    attributes.sort_unstable();
    attributes.join(" ")
}

/// A duration in seconds as the waterfall writes one (its unit chosen on the
/// rounded figure); a figure no `Duration` holds (negative, from a user's own
/// recording under our metric's name) as it is.
fn seconds(seconds: f64) -> String {
    Duration::try_from_secs_f64(seconds)
        .map_or_else(|_| format!("{seconds} s"), crate::render::format_duration)
}

#[cfg(test)]
mod tests {
    use super::summary;
    use opentelemetry::KeyValue;
    use opentelemetry::metrics::MeterProvider as _;
    use opentelemetry_sdk::error::OTelSdkResult;
    use opentelemetry_sdk::metrics::data::ResourceMetrics;
    use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
    use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider, Temporality};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    /// Keeps the summary of the last export.
    #[derive(Debug, Default, Clone)]
    struct Summaries(Arc<Mutex<String>>);

    impl PushMetricExporter for Summaries {
        async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
            *self.0.lock().expect("not poisoned") = summary(metrics);
            Ok(())
        }

        fn force_flush(&self) -> OTelSdkResult {
            Ok(())
        }

        fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
            Ok(())
        }

        fn temporality(&self) -> Temporality {
            Temporality::Cumulative
        }
    }

    #[test]
    fn durations_and_message_counts_are_summarised() {
        let summaries = Summaries::default();
        let provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(summaries.clone()).build())
            .build();
        let meter = provider.meter("test");
        let duration = meter.f64_histogram("messaging.process.duration").build();
        let sent = meter.u64_counter("messaging.client.sent.messages").build();
        let legacy = meter
            .f64_histogram("rpc.server.duration")
            .with_unit("ms")
            .build();
        legacy.record(2.5, &[]);
        let orders = [KeyValue::new("messaging.destination.name", "orders")];
        duration.record(0.002, &orders);
        duration.record(0.004, &orders);
        // Read as 1000.00 ms when the unit was chosen before rounding.
        duration.record(0.999_999_6, &orders);
        sent.add(1, &[KeyValue::new("messaging.destination.name", "audit")]);
        sent.add(5, &orders);
        provider.shutdown().expect("shuts down");
        let summary = summaries.0.lock().expect("not poisoned").clone();
        let lines: Vec<&str> = summary.lines().collect();
        assert_eq!(
            lines,
            [
                "metrics of this run:",
                "  messaging.client.sent.messages {messaging.destination.name=audit}: 1 message",
                "  messaging.client.sent.messages {messaging.destination.name=orders}: 5 messages",
                "  messaging.process.duration {messaging.destination.name=orders}: 3 calls, mean 335.33 ms, max 1.00 s",
                "  rpc.server.duration {}: 1 call, mean 2.50 ms, max 2.50 ms",
            ],
            "{summary}"
        );
    }
}
