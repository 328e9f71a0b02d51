//! Waiting for the work a captured call handed on without holding up whoever runs
//! it: a blocked thread sleeps on a condition variable and an awaiting task stays
//! asleep, each woken when something it waits on changed or its time is up.

use crate::route::lock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Poll, Waker};
use std::thread::Thread;
use std::time::Instant;

/// What a capture waiting to settle sleeps on.
#[derive(Debug, Default)]
pub(super) struct Settling {
    state: Mutex<Waiting>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct Waiting {
    /// How many changes there were, so that a thread about to wait does not miss
    /// one that came after it looked.
    changes: u64,
    /// The task awaiting the capture.
    waker: Option<Waker>,
}

impl Settling {
    /// Something the capture waits on may be done: a span of it ended, the last
    /// context carrying it was dropped, or its time is up.
    pub(super) fn changed(&self) {
        let waker = {
            let mut state = lock(&self.state);
            state.changes += 1;
            state.waker.take()
        };
        self.changed.notify_all();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Blocks until `settled()` holds or `deadline` passes.
    pub(super) fn wait(&self, deadline: Instant, settled: impl Fn() -> bool) {
        loop {
            let seen = lock(&self.state).changes;
            if settled() {
                return;
            }
            let Some(left) = deadline
                .checked_duration_since(Instant::now())
                .filter(|left| !left.is_zero())
            else {
                return;
            };
            let state = lock(&self.state);
            if state.changes == seen {
                drop(self.changed.wait_timeout(state, left));
            }
        }
    }

    /// Awaits `settled()` or `deadline`, asleep meanwhile: under tokio's paused
    /// clock the runtime then advances time for the tasks the capture waits on,
    /// which a task yielding in a loop would never let it do.
    pub(super) async fn wait_async(
        self: &Arc<Self>,
        deadline: Instant,
        settled: impl Fn() -> bool,
    ) {
        let mut alarm = None;
        std::future::poll_fn(|task| {
            lock(&self.state).waker = Some(task.waker().clone());
            if settled() || Instant::now() >= deadline {
                return Poll::Ready(());
            }
            if alarm.is_none() {
                alarm = Alarm::set(deadline, Arc::clone(self));
                if alarm.is_none() {
                    // No thread for the alarm: look again at the next turn.
                    task.waker().wake_by_ref();
                }
            }
            Poll::Pending
        })
        .await;
        lock(&self.state).waker = None;
    }
}

/// Calls [`Settling::changed`] at a deadline from a thread of its own (a runtime's
/// timer is not the capture's to use, and would follow a paused clock); dropping
/// it lets the thread go at once.
struct Alarm {
    thread: Thread,
    cancelled: Arc<AtomicBool>,
}

impl Alarm {
    /// `None` when no thread can be started.
    fn set(deadline: Instant, settling: Arc<Settling>) -> Option<Alarm> {
        let cancelled = Arc::new(AtomicBool::new(false));
        let watched = Arc::clone(&cancelled);
        let ringing = std::thread::Builder::new()
            .name("otel-traced-capture-alarm".into())
            .spawn(move || {
                while !watched.load(Ordering::Acquire) {
                    match deadline.checked_duration_since(Instant::now()) {
                        Some(left) if !left.is_zero() => std::thread::park_timeout(left),
                        _ => return settling.changed(),
                    }
                }
            })
            .ok()?;
        Some(Alarm {
            thread: ringing.thread().clone(),
            cancelled,
        })
    }
}

impl Drop for Alarm {
    fn drop(&mut self) {
        self.cancelled.store(true, Ordering::Release);
        self.thread.unpark();
    }
}
