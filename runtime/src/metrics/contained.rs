//! The application's own metric exporter (`Config::metric_exporter`), its panics
//! made failed exports, as the span and log pipelines make theirs: the SDK's
//! periodic reader calls it on a thread of its own and catches nothing, so one
//! panic ended that thread, and every later collection was lost without a word.

use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use std::time::Duration;

/// `E`, whose export's panic is a failed export.
#[derive(Debug)]
pub(crate) struct Contained<E>(pub(crate) E);

impl<E: PushMetricExporter> PushMetricExporter for Contained<E> {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        crate::panic::contained_export(|| self.0.export(metrics)).await
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }

    // Its own, if it has one: the reader calls this.
    fn shutdown(&self) -> OTelSdkResult {
        self.0.shutdown()
    }

    fn temporality(&self) -> Temporality {
        self.0.temporality()
    }
}
