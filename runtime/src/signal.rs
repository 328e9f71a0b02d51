//! `otel_traced::shutdown_signal`: the signals that ask a process to stop, for a
//! server's graceful shutdown, so that `main` returns and the guard flushes.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;
use tokio::sync::Notify;

/// Resolves when the process is asked to stop: SIGTERM (what Kubernetes,
/// systemd and Docker send, on Unix) or Ctrl-C (SIGINT). Their default actions
/// end the process where it is, without running the end of `main`, so without
/// the guard's flush: the spans still queued, and the last metrics, are lost.
/// Give it to a server's graceful shutdown and return from `main`. Once it is
/// first awaited the signals are caught for the whole process (a second one
/// does not end it either: set a deadline of your own on the drain, within the
/// orchestrator's grace period), and kept: one that comes while no
/// `shutdown_signal()` waits (a loop selecting on a new one each time round)
/// resolves the next at once, as every one after the process was asked to
/// stop. A signal whose handler cannot be set up keeps its default action.
///
/// With axum, `axum::serve(listener, app).with_graceful_shutdown(shutdown_signal())`;
/// with tonic, `Server::builder().add_service(..).serve_with_shutdown(address, shutdown_signal())`:
///
/// ```no_run
/// # async fn serve_until(stop: impl std::future::Future<Output = ()>) {}
/// # async fn run() {
/// // A server that drains its connections once `stop` resolves.
/// serve_until(otel_traced::shutdown_signal()).await;
/// // `main` returns after it, and the guard flushes.
/// # }
/// ```
///
/// # Panics
///
/// Awaited outside a tokio runtime, or on one built without its I/O driver (a
/// `Builder` without `enable_io()` or `enable_all()`; `#[tokio::main]` enables
/// it), as tokio's signal handling does.
pub async fn shutdown_signal() {
    listen();
    loop {
        let mut asked_now = pin!(ASKED_NOW.notified());
        // Waiting before the flag is read: a signal between the two still wakes it.
        asked_now.as_mut().enable();
        if ASKED.load(Ordering::Acquire) {
            return;
        }
        asked_now.await;
    }
}

/// Whether the process was asked to stop since the signals were caught: a signal
/// that comes while no `shutdown_signal()` waits (a loop between two of them)
/// resolves the next one, rather than being caught and forgotten.
static ASKED: AtomicBool = AtomicBool::new(false);

/// Wakes every `shutdown_signal()` waiting, once [`ASKED`] is set.
static ASKED_NOW: Notify = Notify::const_new();

/// Whether a task listens for the signals, on some runtime (until that runtime
/// ends: the next `shutdown_signal()` then starts another).
static LISTENING: AtomicBool = AtomicBool::new(false);

/// Starts the task that latches the signals into [`ASKED`], unless one runs or
/// they came already. Their handlers are set up here, before this returns: a
/// signal from here on is caught, not only once the task first runs.
fn listen() {
    if ASKED.load(Ordering::Acquire) || LISTENING.load(Ordering::Acquire) {
        return;
    }
    // Outside a runtime this panics, as documented, before anything is set.
    let runtime = tokio::runtime::Handle::current();
    if LISTENING.swap(true, Ordering::AcqRel) {
        return;
    }
    // Unset again if setting up the handlers panics (a runtime without its I/O
    // driver), or when the runtime drops the task.
    let listening = Listening;
    let asked = asked();
    runtime.spawn(async move {
        let _listening = listening;
        asked.await;
        ASKED.store(true, Ordering::Release);
        ASKED_NOW.notify_waiters();
    });
}

/// Unsets [`LISTENING`] as the listening task ends.
struct Listening;

impl Drop for Listening {
    fn drop(&mut self) {
        LISTENING.store(false, Ordering::Release);
    }
}

/// Resolves at SIGTERM or Ctrl-C, whose handlers are set up as it is made. One
/// whose handler cannot be set up keeps its default action.
#[cfg(unix)]
fn asked() -> impl Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{SignalKind, signal};
    let mut handled =
        [SignalKind::terminate(), SignalKind::interrupt()].map(|kind| signal(kind).ok());
    poll_fn(move |cx| {
        let mut asked = false;
        for signal in handled.iter_mut().flatten() {
            asked |= matches!(signal.poll_recv(cx), Poll::Ready(Some(())));
        }
        if asked {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
}

/// Resolves at Ctrl-C, whose handler is set up at its first poll (there is no
/// SIGTERM here). Where it cannot be set up, never.
#[cfg(not(unix))]
fn asked() -> impl Future<Output = ()> + Send + 'static {
    async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
