//! `otel_traced::shutdown_signal`: the signals that ask a process to stop, for a
//! server's graceful shutdown, so that `main` returns and the guard flushes.

use std::pin::pin;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Notify;

/// Resolves when the process is asked to stop: SIGTERM (what Kubernetes,
/// systemd and Docker send, on Unix) or Ctrl-C (SIGINT); on Windows, Ctrl-C,
/// Ctrl-Break, the console window closed or the system shutting down (a Windows
/// service's stop comes from its service manager, not here). Their default actions
/// end the process where it is, without running the end of `main`, so without
/// the guard's flush: the spans still queued, and the last metrics, are lost
/// (a container's entrypoint that is PID 1 has none: there a signal not caught
/// is ignored, until the orchestrator's SIGKILL; as PID 1 the signals are caught
/// from the installation on, so one sent during a slow start resolves the first
/// `shutdown_signal()` at once).
/// Give it to a server's graceful shutdown and return from `main`. Once it is
/// first awaited the signals are caught for the whole process (set a deadline
/// of your own on the drain, within the orchestrator's grace period; a second
/// signal, a second or more after the first, ends the process at once with the
/// status a shell gives a process the signal ended (128 + its number; on
/// Windows, of the C runtime's numbers: 130 for Ctrl-C), the
/// flush lost: a second Ctrl-C cuts a stuck drain short), and kept: one that comes while no
/// `shutdown_signal()` waits (a loop selecting on a new one each time round)
/// resolves the next at once, as every one after the process was asked to
/// stop. A signal whose handler cannot be set up keeps its default action. It
/// runs under any executor: the signals are heard on a thread of ours. (Feature
/// `tokio`.)
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
    AWAITED.store(true, Ordering::Release);
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

/// Whether a `shutdown_signal()` was awaited: only then does a second signal end
/// the process (signals caught early, as PID 1, change nothing else).
static AWAITED: AtomicBool = AtomicBool::new(false);

/// Catches the signals from now on where the process is PID 1 (a container's
/// entrypoint without an init), called as tracing is installed: there a signal
/// without a handler is not ended by but ignored, so a SIGTERM that came before
/// the first `shutdown_signal()` (an orchestrator's, during a slow start) was
/// lost, and the process ran on until SIGKILL. Caught, the first
/// `shutdown_signal()` resolves at once. Elsewhere the default actions stay
/// until then: catching a signal there would keep it from ending the process.
pub(crate) fn catch_early_as_pid_1() {
    #[cfg(unix)]
    if std::process::id() == 1 {
        listen();
    }
}

/// How long after the first signal a second one ends the process (one sooner is
/// taken for the first, sent twice).
const REPEATED_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// Wakes every `shutdown_signal()` waiting, once [`ASKED`] is set.
static ASKED_NOW: Notify = Notify::const_new();

/// Starts, once, the thread that latches the signals into [`ASKED`], and waits
/// until their handlers are set up: a signal from the first poll of the first
/// `shutdown_signal()` on is caught. On a thread and runtime of its own, not
/// the application's: a runtime that ends (a test's, one of several) would
/// take a listening task with it, leaving the signals caught and heard by no
/// one.
fn listen() {
    static LISTENING: Once = Once::new();
    LISTENING.call_once(|| {
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
                    let mut handled = Handled::set_up();
                    drop(set_up);
                    handled.next().await;
                    let asked = std::time::Instant::now();
                    ASKED.store(true, Ordering::Release);
                    ASKED_NOW.notify_waiters();
                    // Asked again while the process drains: it ends now, with the
                    // status a shell gives a process the signal ended (its flush
                    // lost), so that a drain stuck past the asker's patience (a
                    // second Ctrl-C) does not need a SIGKILL. Not within a second
                    // of the first: a runner forwarding a terminal's Ctrl-C to a
                    // child the terminal signalled too sends it twice.
                    loop {
                        let again = handled.next().await;
                        if asked.elapsed() >= REPEATED_AFTER && AWAITED.load(Ordering::Acquire) {
                            std::process::exit(128 + again);
                        }
                    }
                });
            });
        if started.is_ok() {
            // Ends as the handlers are set up, or could not be.
            let _ = handlers.recv();
        }
    });
}

/// The signals that ask the process to stop, their handlers set up.
struct Handled {
    #[cfg(unix)]
    signals: [(i32, Option<tokio::signal::unix::Signal>); 2],
    #[cfg(windows)]
    events: ConsoleEvents,
}

/// The console's events that end a process on Windows: Ctrl-C, Ctrl-Break, its
/// window closed, the system shutting down. Not a user logging off, which only a
/// service hears, for any user's session: a server run as a service would stop
/// whenever someone logged off.
#[cfg(windows)]
struct ConsoleEvents {
    ctrl_c: Option<tokio::signal::windows::CtrlC>,
    ctrl_break: Option<tokio::signal::windows::CtrlBreak>,
    ctrl_close: Option<tokio::signal::windows::CtrlClose>,
    ctrl_shutdown: Option<tokio::signal::windows::CtrlShutdown>,
}

impl Handled {
    /// Sets up the handlers of SIGTERM and Ctrl-C (SIGINT), on Windows of the console's events: from now on they no
    /// longer end the process. One whose handler cannot be set up keeps its
    /// default action.
    fn set_up() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Handled {
                signals: [SignalKind::terminate(), SignalKind::interrupt()]
                    .map(|kind| (kind.as_raw_value(), signal(kind).ok())),
            }
        }
        #[cfg(windows)]
        {
            use tokio::signal::windows;
            Handled {
                events: ConsoleEvents {
                    ctrl_c: windows::ctrl_c().ok(),
                    ctrl_break: windows::ctrl_break().ok(),
                    ctrl_close: windows::ctrl_close().ok(),
                    ctrl_shutdown: windows::ctrl_shutdown().ok(),
                },
            }
        }
        #[cfg(not(any(unix, windows)))]
        {
            Handled {}
        }
    }

    /// The next signal's number (on Windows, the C runtime's: Ctrl-C's 2,
    /// Ctrl-Break's 21, SIGTERM's 15 for the others); never, where no handler
    /// could be set up.
    async fn next(&mut self) -> i32 {
        std::future::poll_fn(|cx| {
            #[cfg(unix)]
            for (number, signal) in &mut self.signals {
                if let Some(signal) = signal
                    && let std::task::Poll::Ready(Some(())) = signal.poll_recv(cx)
                {
                    return std::task::Poll::Ready(*number);
                }
            }
            #[cfg(windows)]
            {
                let events = &mut self.events;
                macro_rules! heard {
                    ($event:ident, $number:expr) => {
                        if let Some(event) = &mut events.$event
                            && let std::task::Poll::Ready(Some(())) = event.poll_recv(cx)
                        {
                            return std::task::Poll::Ready($number);
                        }
                    };
                }
                heard!(ctrl_c, 2);
                heard!(ctrl_break, 21);
                heard!(ctrl_close, 15);
                heard!(ctrl_shutdown, 15);
            }
            let _ = cx;
            std::task::Poll::Pending
        })
        .await
    }
}
