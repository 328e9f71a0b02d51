//! `otel_traced::shutdown_signal`: the signals that ask a process to stop, for a
//! server's graceful shutdown, so that `main` returns and the guard flushes.

use std::future::Future;
use std::pin::pin;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
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
/// stop. A signal whose handler cannot be set up keeps its default action. It
/// runs under any executor: the signals are heard on a thread of ours.
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

/// Starts, once, the thread that latches the signals into [`ASKED`], and waits
/// until their handlers are set up: a signal from the first poll of the first
/// `shutdown_signal()` on is caught. On a thread and runtime of its own, not
/// the application's: a runtime that ends (a test's, one of several) would
/// take a listening task with it, leaving the signals caught and heard by no
/// one.
fn listen() {
    static LISTENING: OnceLock<()> = OnceLock::new();
    LISTENING.get_or_init(|| {
        let (set_up, handlers) = std::sync::mpsc::channel::<()>();
        let started = std::thread::Builder::new()
            .name("otel-traced-signals".to_owned())
            .spawn(move || {
                // Without a runtime, no handler: the signals keep their default
                // actions (`set_up` dropped, `listen` returns).
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async move {
                    let asked = asked();
                    drop(set_up);
                    asked.await;
                    ASKED.store(true, Ordering::Release);
                    ASKED_NOW.notify_waiters();
                });
            });
        if started.is_ok() {
            // Ends as the handlers are set up, or could not be.
            let _ = handlers.recv();
        }
    });
}

/// Resolves at SIGTERM or Ctrl-C, whose handlers are set up as it is made. One
/// whose handler cannot be set up keeps its default action.
#[cfg(unix)]
fn asked() -> impl Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut handled =
        [SignalKind::terminate(), SignalKind::interrupt()].map(|kind| signal(kind).ok());
    std::future::poll_fn(move |cx| {
        let mut asked = false;
        for signal in handled.iter_mut().flatten() {
            asked |= matches!(signal.poll_recv(cx), std::task::Poll::Ready(Some(())));
        }
        if asked {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
}

/// Resolves at Ctrl-C (there is no SIGTERM here), whose handler is set up as it
/// is made; never where it cannot be.
#[cfg(windows)]
fn asked() -> impl Future<Output = ()> {
    let mut handled = tokio::signal::windows::ctrl_c().ok();
    std::future::poll_fn(move |cx| match handled.as_mut() {
        Some(ctrl_c) if matches!(ctrl_c.poll_recv(cx), std::task::Poll::Ready(Some(()))) => {
            std::task::Poll::Ready(())
        }
        _ => std::task::Poll::Pending,
    })
}

/// No signals to hear here.
#[cfg(not(any(unix, windows)))]
fn asked() -> impl Future<Output = ()> {
    std::future::pending()
}
