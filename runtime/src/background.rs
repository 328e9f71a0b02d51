//! Steps the guard waits for a bounded time (a pipeline's flush or shutdown), run
//! on a thread of their own: several drain at once within one deadline, and one that
//! overruns it (an SDK shutdown waiting on a stuck export) is left to end on its
//! own while the caller goes on.

use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use std::sync::mpsc::{Receiver, RecvTimeoutError, sync_channel};
use std::time::Instant;

/// A step started by [`start`], whose result is awaited with [`Pending::wait_until`].
#[derive(Debug)]
pub(crate) struct Pending(Result<(Receiver<OTelSdkResult>, Instant), OTelSdkError>);

/// Starts `step` on a thread named `name`.
pub(crate) fn start(name: &str, step: impl FnOnce() -> OTelSdkResult + Send + 'static) -> Pending {
    let (done, result) = sync_channel(1);
    let started = std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            // The receiver is gone when the caller stopped waiting: nothing to tell.
            let _ = done.send(step());
        });
    Pending(
        started
            .map(|_| (result, Instant::now()))
            .map_err(|error| OTelSdkError::InternalFailure(error.to_string())),
    )
}

impl Pending {
    /// A step that could not start, failed with `error`.
    #[cfg(feature = "metrics")]
    pub(crate) fn failed(error: OTelSdkError) -> Self {
        Pending(Err(error))
    }

    /// The step's result, waiting until `deadline` at most.
    pub(crate) fn wait_until(self, deadline: Instant) -> OTelSdkResult {
        let (result, started) = self.0?;
        let left = deadline.saturating_duration_since(Instant::now());
        result
            .recv_timeout(left)
            .unwrap_or_else(|error| match error {
                // How long the step ran, not what was left of the deadline
                // (nothing, when the steps waited for before it took it all).
                RecvTimeoutError::Timeout => Err(OTelSdkError::Timeout(started.elapsed())),
                RecvTimeoutError::Disconnected => Err(OTelSdkError::InternalFailure(
                    "the exporter's step ended without a result (it panicked)".to_owned(),
                )),
            })
    }
}
