//! `otel_traced::shutdown_signal`: the signals that ask a process to stop, for a
//! server's graceful shutdown, so that `main` returns and the guard flushes.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;

/// Resolves when the process is asked to stop: SIGTERM (what Kubernetes,
/// systemd and Docker send, on Unix) or Ctrl-C (SIGINT). Their default actions
/// end the process where it is, without running the end of `main`, so without
/// the guard's flush: the spans still queued, and the last metrics, are lost.
/// Give it to a server's graceful shutdown and return from `main`. Once it is
/// first awaited the signals are caught for the whole process (a second one
/// does not end it either: set a deadline of your own on the drain, within the
/// orchestrator's grace period). A signal whose handler cannot be set up keeps
/// its default action.
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
    let mut terminated = pin!(terminated());
    let mut interrupted = pin!(async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    });
    poll_fn(|cx| {
        let asked =
            terminated.as_mut().poll(cx).is_ready() | interrupted.as_mut().poll(cx).is_ready();
        if asked {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
}

/// SIGTERM, on Unix; never elsewhere, nor where its handler cannot be set up.
async fn terminated() {
    #[cfg(unix)]
    if let Ok(mut terminate) =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        terminate.recv().await;
        return;
    }
    std::future::pending::<()>().await;
}
