//! Steps the guard waits for a bounded time (a pipeline's flush or shutdown), run
//! on a thread of their own: several drain at once within one deadline, and one that
//! overruns it (an SDK shutdown waiting on a stuck export) is left to end on its
//! own while the caller goes on.

use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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

/// A step of which one runs at a time (a pipeline's flush): while the one started
/// before still runs, past its caller's deadline (an exporter or a writer blocked
/// for good), another fails at once rather than leave one more thread waiting
/// behind it.
#[derive(Debug, Clone, Default)]
pub(crate) struct OneAtATime(Arc<AtomicBool>);

impl OneAtATime {
    /// Starts `step` as [`start`] does, or fails at once with `busy` (what still
    /// waits) while the step started before runs.
    pub(crate) fn start(
        &self,
        name: &str,
        busy: &str,
        step: impl FnOnce() -> OTelSdkResult + Send + 'static,
    ) -> Pending {
        if self.0.swap(true, Ordering::AcqRel) {
            return Pending(Err(OTelSdkError::InternalFailure(busy.to_owned())));
        }
        let running = Running(Arc::clone(&self.0));
        start(name, move || {
            let _running = running;
            step()
        })
    }
}

/// Clears a [`OneAtATime`]'s flag when its step ends, also by a panic, or when it
/// is dropped unstarted (no thread could be started).
struct Running(Arc<AtomicBool>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl Pending {
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
