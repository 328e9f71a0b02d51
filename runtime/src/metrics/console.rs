//! The console's metrics: a summary of every histogram and message count when the
//! guard shuts down (the reader's interval is set so long that only the last
//! export prints).

use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

/// Prints one line per series: its metric, attributes, count, mean and maximum.
#[derive(Debug, Default)]
pub(crate) struct ConsoleMetrics;

impl PushMetricExporter for ConsoleMetrics {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let summary = summary(metrics);
        if !summary.is_empty() {
            // A closed or full stdout loses the summary, not the application.
            let _ = std::io::stdout().lock().write_all(summary.as_bytes());
        }
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

/// The summary text, empty when nothing was measured.
fn summary(metrics: &ResourceMetrics) -> String {
    let mut lines = String::new();
    for scope in metrics.scope_metrics() {
        for metric in scope.metrics() {
            match metric.data() {
                AggregatedMetrics::F64(MetricData::Histogram(histogram)) => {
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
                        let _ = writeln!(
                            lines,
                            "  {} {{{}}}: {calls}, mean {}, max {}",
                            metric.name(),
                            attributes(point.attributes()),
                            seconds(mean),
                            seconds(point.max().unwrap_or(mean)),
                        );
                    }
                }
                // The messaging conventions' message counts.
                AggregatedMetrics::U64(MetricData::Sum(sum)) => {
                    for point in sum.data_points() {
                        let messages = match point.value() {
                            1 => "1 message".to_owned(),
                            count => format!("{count} messages"),
                        };
                        let _ = writeln!(
                            lines,
                            "  {} {{{}}}: {messages}",
                            metric.name(),
                            attributes(point.attributes()),
                        );
                    }
                }
                _ => {}
            }
        }
    }
    if lines.is_empty() {
        return lines;
    }
    format!("metrics of this run:\n{lines}")
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

/// A duration in seconds, in the unit that reads best.
fn seconds(seconds: f64) -> String {
    if seconds >= 1.0 {
        format!("{seconds:.2} s")
    } else if seconds >= 1e-3 {
        format!("{:.2} ms", seconds * 1e3)
    } else {
        format!("{:.1} µs", seconds * 1e6)
    }
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
        let orders = [KeyValue::new("messaging.destination.name", "orders")];
        duration.record(0.002, &orders);
        duration.record(0.004, &orders);
        sent.add(1, &[KeyValue::new("messaging.destination.name", "audit")]);
        sent.add(5, &orders);
        provider.shutdown().expect("shuts down");
        let summary = summaries.0.lock().expect("not poisoned").clone();
        let mut lines: Vec<&str> = summary.lines().collect();
        lines.sort_unstable();
        assert_eq!(
            lines,
            [
                "  messaging.client.sent.messages {messaging.destination.name=audit}: 1 message",
                "  messaging.client.sent.messages {messaging.destination.name=orders}: 5 messages",
                "  messaging.process.duration {messaging.destination.name=orders}: 2 calls, mean 3.00 ms, max 4.00 ms",
                "metrics of this run:",
            ],
            "{summary}"
        );
    }
}
