//! The console's metrics: a summary of every histogram when the guard shuts
//! down (the reader's interval is set so long that only the last export prints).

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
            let AggregatedMetrics::F64(MetricData::Histogram(histogram)) = metric.data() else {
                continue;
            };
            for point in histogram.data_points() {
                if point.count() == 0 {
                    continue;
                }
                let mut attributes: Vec<String> = point
                    .attributes()
                    .map(|attribute| format!("{}={}", attribute.key, attribute.value))
                    .collect();
                // The SDK keeps attributes in no fixed order: sorted, series line up.
                attributes.sort_unstable();
                let attributes = attributes.join(" ");
                let calls = match point.count() {
                    1 => "1 call".to_owned(),
                    count => format!("{count} calls"),
                };
                #[allow(clippy::cast_precision_loss, reason = "a mean for reading")]
                let mean = point.sum() / point.count() as f64;
                let _ = writeln!(
                    lines,
                    "  {} {{{attributes}}}: {calls}, mean {}, max {}",
                    metric.name(),
                    seconds(mean),
                    seconds(point.max().unwrap_or(mean)),
                );
            }
        }
    }
    if lines.is_empty() {
        return lines;
    }
    format!("metrics of this run:\n{lines}")
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
