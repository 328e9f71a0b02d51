//! The reason of a metrics export that failed, kept for the guard: the SDK's
//! periodic reader answers a flush or a shutdown whose export failed with only
//! "Failed to shutdown" (or to flush), which tells the user nothing.

use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The last export's failure, shared by the exporter that notes it
/// ([`KeepsFailure`]) and the pipeline that reports it.
#[derive(Clone, Debug, Default)]
pub(crate) struct LastFailure(Arc<Mutex<Option<String>>>);

impl LastFailure {
    /// Notes an export's outcome: its failure, or none (also while one runs, so
    /// that a shutdown timing out on it is not named by an older failure).
    fn note(&self, result: Option<&OTelSdkResult>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) =
            result.and_then(|result| result.as_ref().err().map(reason));
    }

    /// Forgets the last failure, as a flush or a shutdown starts: an error of one
    /// that exports nothing (nothing measured, a reader gone) is not an older
    /// export's.
    pub(crate) fn forget(&self) {
        self.note(None);
    }

    /// `result` of a flush or a shutdown, its failure named by the last export's
    /// where that one failed (a failure of the exporter's own shutdown, after an
    /// export that went through, stays the SDK's).
    pub(crate) fn explain(&self, result: OTelSdkResult) -> OTelSdkResult {
        result.map_err(|error| {
            match self
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
            {
                Some(reason) => OTelSdkError::InternalFailure(reason),
                None => error,
            }
        })
    }
}

/// What an error says, without the "Operation failed" its display adds, which
/// the error made of it adds again.
fn reason(error: &OTelSdkError) -> String {
    match error {
        OTelSdkError::InternalFailure(reason) => reason.clone(),
        other => other.to_string(),
    }
}

/// An exporter noting each export's outcome in a [`LastFailure`].
#[derive(Debug)]
pub(crate) struct KeepsFailure<E> {
    exporter: E,
    last: LastFailure,
}

impl<E> KeepsFailure<E> {
    pub(crate) fn new(exporter: E, last: &LastFailure) -> Self {
        KeepsFailure {
            exporter,
            last: last.clone(),
        }
    }
}

impl<E: PushMetricExporter> PushMetricExporter for KeepsFailure<E> {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        self.last.note(None);
        let result = self.exporter.export(metrics).await;
        self.last.note(Some(&result));
        result
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.exporter.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.exporter.shutdown_with_timeout(timeout)
    }

    fn temporality(&self) -> Temporality {
        self.exporter.temporality()
    }
}

#[cfg(test)]
mod tests {
    use super::LastFailure;
    use opentelemetry_sdk::error::OTelSdkError;

    #[test]
    fn a_failed_flush_or_shutdown_is_named_by_the_last_exports_failure() {
        let last = LastFailure::default();
        let opaque = || Err(OTelSdkError::InternalFailure("Failed to shutdown".into()));
        let explained = |result| format!("{:?}", last.explain(result));
        let failed = Err(OTelSdkError::InternalFailure("status code: 404".into()));
        let failure = format!("{failed:?}");
        assert_eq!(
            explained(opaque()),
            format!("{:?}", opaque()),
            "none failed"
        );
        last.note(Some(&failed));
        assert_eq!(explained(opaque()), failure);
        assert_eq!(explained(Ok(())), "Ok(())");
        last.note(None);
        assert_eq!(
            explained(opaque()),
            format!("{:?}", opaque()),
            "an export under way when the shutdown gave up"
        );
        last.note(Some(&Ok(())));
        assert_eq!(
            explained(opaque()),
            format!("{:?}", opaque()),
            "one went through"
        );
    }
}
