//! Steps the guard waits for a bounded time (a pipeline's flush or shutdown), run
//! on a thread of their own: several drain at once within one deadline, and one that
//! overruns it (an SDK shutdown waiting on a stuck export) is left to end on its
//! own while the caller goes on. (A shutdown no thread can be had for runs on the
//! caller's.)

use crate::route::lock;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

/// A step started by [`start`], whose result is awaited with [`Pending::wait_until`].
#[derive(Debug)]
pub(crate) struct Pending(Result<Arc<Outcome>, OTelSdkError>);

/// The result of a step running on its thread, for whoever waits for it.
#[derive(Debug)]
pub(crate) struct Outcome {
    result: Mutex<Option<OTelSdkResult>>,
    done: Condvar,
    started: Instant,
}

impl Outcome {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            result: Mutex::new(None),
            done: Condvar::new(),
            started: Instant::now(),
        })
    }

    fn finish(&self, result: OTelSdkResult) {
        *lock(&self.result) = Some(result);
        self.done.notify_all();
    }

    fn is_finished(&self) -> bool {
        lock(&self.result).is_some()
    }

    /// Waits for the step to end, however long it takes.
    fn wait_finished(&self) {
        let mut result = lock(&self.result);
        while result.is_none() {
            result = (self.done.wait(result)).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}

/// Finishes a step's [`Outcome`] as failed when its thread ends without a result
/// (the step panicked).
struct Unfinished(Arc<Outcome>);

impl Drop for Unfinished {
    fn drop(&mut self) {
        if !self.0.is_finished() {
            self.0.finish(Err(panicked()));
        }
    }
}

/// What a step that panicked gives its callers.
fn panicked() -> OTelSdkError {
    OTelSdkError::InternalFailure(
        "the exporter's step ended without a result (it panicked)".to_owned(),
    )
}

/// Starts `step`, a pipeline's shutdown, on a thread named `name`. Where no
/// thread can be had (the process at its limit of threads, in trouble already),
/// the step runs here rather than not at all: what it drains would be lost. (It
/// then takes what its own budget lets it, which an exporter's shutdown that
/// blocks may pass.)
pub(crate) fn start(name: &str, step: impl FnOnce() -> OTelSdkResult + Send + 'static) -> Pending {
    start_on(named(name), step)
}

/// [`start`], on the thread `builder` makes.
fn start_on(
    builder: std::thread::Builder,
    step: impl FnOnce() -> OTelSdkResult + Send + 'static,
) -> Pending {
    Pending(Ok(spawned(builder, step).unwrap_or_else(|(step, _)| {
        let outcome = Outcome::new();
        outcome.finish(crate::panic::contained(step).unwrap_or_else(|| Err(panicked())));
        outcome
    })))
}

fn named(name: &str) -> std::thread::Builder {
    std::thread::Builder::new().name(name.to_owned())
}

/// Starts `step` on the thread `builder` makes; the step back, with why, where
/// none could be made.
fn spawned<F: FnOnce() -> OTelSdkResult + Send + 'static>(
    builder: std::thread::Builder,
    step: F,
) -> Result<Arc<Outcome>, (F, OTelSdkError)> {
    let outcome = Outcome::new();
    let slot = Arc::new(Mutex::new(Some(step)));
    let (taken, finishing) = (Arc::clone(&slot), Arc::clone(&outcome));
    let started = builder.spawn(move || {
        let finishing = Unfinished(finishing);
        let step = lock(&taken).take();
        if let Some(step) = step {
            finishing.0.finish(step());
        }
    });
    match started {
        Ok(_) => Ok(outcome),
        Err(error) => {
            let step = lock(&slot).take();
            // The thread was never made: the step is still in its slot.
            step.map_or(Ok(outcome), |step| {
                Err((step, OTelSdkError::InternalFailure(error.to_string())))
            })
        }
    }
}

/// A step of which one runs at a time (a pipeline's flush). One asked for while
/// the one started before still runs (a flush from another thread, or one whose
/// exporter or writer blocks for good, past its caller's deadline) is queued to
/// run after it, for what was asked since; those asked for while one is queued
/// wait for that one. No more than two threads, then, whatever a blocked exporter
/// or writer makes callers do.
#[derive(Debug, Default)]
pub(crate) struct OneAtATime(Arc<Mutex<Steps>>);

#[derive(Debug, Default)]
struct Steps {
    running: Option<Arc<Outcome>>,
    queued: Option<Arc<Outcome>>,
}

impl OneAtATime {
    /// Starts `step` (a flush) on a thread named `name`; queued behind the step
    /// under way, if one is, or none when one is queued already: the result
    /// awaited is then that one's, which covers what this caller asks for as it
    /// has not started yet. Never run here where no thread can be had (an error
    /// then): a flush may wait without limit (the metrics SDK's does), and what it
    /// would export waits for the next one, or the shutdown.
    pub(crate) fn start(
        &self,
        name: &str,
        step: impl FnOnce() -> OTelSdkResult + Send + 'static,
    ) -> Pending {
        let mut steps = lock(&self.0);
        if let Some(queued) = &steps.queued {
            return Pending(Ok(Arc::clone(queued)));
        }
        let Some(earlier) = (steps.running.clone()).filter(|earlier| !earlier.is_finished()) else {
            let pending = Pending(spawned(named(name), step).map_err(|(_, error)| error));
            steps.running = pending.0.as_ref().ok().cloned();
            return pending;
        };
        let shared = Arc::clone(&self.0);
        let queued = spawned(named(name), move || {
            earlier.wait_finished();
            let mut steps = lock(&shared);
            steps.running = steps.queued.take();
            drop(steps);
            step()
        });
        let pending = Pending(queued.map_err(|(_, error)| error));
        steps.queued = pending.0.as_ref().ok().cloned();
        pending
    }
}

impl Pending {
    /// The step's result, waiting until `deadline` at most (again later, if
    /// it had not ended by then).
    pub(crate) fn wait_until(&self, deadline: Instant) -> OTelSdkResult {
        let outcome = self.0.as_ref().map_err(copied)?;
        let mut result = lock(&outcome.result);
        loop {
            if let Some(result) = result.as_ref() {
                return result.as_ref().map_err(copied).copied();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                // How long the step ran, not what was left of the deadline
                // (nothing, when the steps waited for before it took it all).
                return Err(OTelSdkError::Timeout(outcome.started.elapsed()));
            }
            result = (outcome.done.wait_timeout(result, left))
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }
}

/// A copy of `error`, for each of the callers waiting for one step.
fn copied(error: &OTelSdkError) -> OTelSdkError {
    match error {
        OTelSdkError::AlreadyShutdown => OTelSdkError::AlreadyShutdown,
        OTelSdkError::Timeout(elapsed) => OTelSdkError::Timeout(*elapsed),
        OTelSdkError::InternalFailure(message) => OTelSdkError::InternalFailure(message.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::{OneAtATime, start, start_on};
    use opentelemetry_sdk::error::OTelSdkError;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc::channel;
    use std::time::{Duration, Instant};

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(10)
    }

    #[test]
    fn steps_asked_for_while_one_runs_are_one_more_after_it() {
        let steps = OneAtATime::default();
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = |runs: &Arc<AtomicUsize>| {
            let runs = Arc::clone(runs);
            move || runs.fetch_add(1, Ordering::SeqCst)
        };
        let (release, released) = channel::<()>();
        let count = counted(&runs);
        let first = steps.start("otel-traced-test-step", move || {
            count();
            let _ = released.recv();
            Ok(())
        });
        // Five more while the first runs: one step queued after it, for all.
        let mut queued = Vec::new();
        for _ in 0..5 {
            let count = counted(&runs);
            queued.push(steps.start("otel-traced-test-step", move || {
                count();
                Ok(())
            }));
        }
        let early = Instant::now() + Duration::from_millis(20);
        let Err(OTelSdkError::Timeout(_)) = queued.pop().unwrap().wait_until(early) else {
            panic!("a step queued is waited for until the deadline only");
        };
        assert_eq!(runs.load(Ordering::SeqCst), 1, "the queued one waits");
        release.send(()).unwrap();
        assert!(first.wait_until(far()).is_ok());
        for pending in queued {
            assert!(pending.wait_until(far()).is_ok());
        }
        assert_eq!(runs.load(Ordering::SeqCst), 2, "one more, after the first");
        let count = counted(&runs);
        let next = steps.start("otel-traced-test-step", move || {
            count();
            Ok(())
        });
        assert!(next.wait_until(far()).is_ok());
        assert_eq!(
            runs.load(Ordering::SeqCst),
            3,
            "once they ended, one runs at once"
        );
    }

    #[test]
    fn a_step_no_thread_can_be_had_for_runs_on_the_callers() {
        // A stack as large as the address space (on 32-bit targets too): the
        // thread cannot be made.
        let unmakeable = || std::thread::Builder::new().stack_size(usize::MAX - (1 << 20));
        let caller = std::thread::current().id();
        let ran_on = Arc::new(std::sync::Mutex::new(None));
        let noted = Arc::clone(&ran_on);
        let pending = start_on(unmakeable(), move || {
            *noted.lock().unwrap() = Some(std::thread::current().id());
            Err(OTelSdkError::AlreadyShutdown)
        });
        let Err(OTelSdkError::AlreadyShutdown) = pending.wait_until(far()) else {
            panic!("the step's own result");
        };
        assert_eq!(*ran_on.lock().unwrap(), Some(caller));
        let Err(OTelSdkError::InternalFailure(message)) =
            start_on(unmakeable(), || panic!("the exporter failed")).wait_until(far())
        else {
            panic!("a step that panicked failed");
        };
        assert!(message.contains("panicked"), "{message}");
    }

    #[test]
    fn a_step_that_panics_fails_for_every_caller_waiting() {
        let steps = OneAtATime::default();
        let (release, released) = channel::<()>();
        let first = steps.start("otel-traced-test-step", move || {
            let _ = released.recv();
            panic!("the exporter failed")
        });
        let second = steps.start("otel-traced-test-step", || panic!("so did the next"));
        release.send(()).unwrap();
        for pending in [first, second] {
            let Err(OTelSdkError::InternalFailure(message)) = pending.wait_until(far()) else {
                panic!("a step that panicked failed");
            };
            assert!(message.contains("panicked"), "{message}");
        }
        assert!(
            start("otel-traced-test-step", || Ok(()))
                .wait_until(far())
                .is_ok()
        );
    }
}
