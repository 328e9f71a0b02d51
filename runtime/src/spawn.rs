//! `otel_traced::spawn`: a tokio task that runs under the context of the code that
//! spawns it, so that what it traces is part of the caller's trace (DESIGN §3).
//! `tokio::spawn` alone starts the task under an empty context: its spans would be
//! new traces.

use crate::callsite::CallKind;
use std::future::Future;

/// Spawns `future` on the current tokio runtime under the current context: spans it
/// opens are children of the span current here, carry its baggage, and a test
/// capture sees them. (Feature `tokio`.)
///
/// # Panics
///
/// Outside a tokio runtime, as `tokio::spawn` does, at the caller's line (tokio's
/// task spawn location, which `tokio-console` shows, is the caller's too).
///
/// ```
/// #[otel_traced::traced]
/// async fn refresh(id: u64) -> u64 {
///     id
/// }
///
/// #[otel_traced::traced]
/// async fn handle(id: u64) -> u64 {
///     // `refresh`'s span is a child of `handle`'s, on another task.
///     otel_traced::spawn(refresh(id)).await.expect("the task ran")
/// }
///
/// let runtime = tokio::runtime::Builder::new_current_thread()
///     .build()
///     .expect("a runtime");
/// assert_eq!(runtime.block_on(handle(7)), 7);
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // A thread exiting past its context (a thread-local's destructor spawning
    // onto a runtime it entered) hands on none rather than panic here; and the
    // context is entered at each poll only where it can be (`Instrumented`), as a
    // task polled by such a thread would panic attaching it.
    let context = crate::thread_exit::current().unwrap_or_default();
    tokio::spawn(crate::Instrumented::new(
        crate::span::ActiveSpan::without_span(Some(context), CallKind::Carrier, None),
        future,
    ))
}
