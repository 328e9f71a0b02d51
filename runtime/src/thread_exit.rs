//! Whether this thread can still reach OpenTelemetry's current context.
//!
//! A thread-local's destructor may call annotated code while its thread exits,
//! after the API's current-context thread-local is gone: reaching it then panics,
//! and a panic in a destructor aborts the process. Such a call runs untraced
//! instead, as it would without the annotation.

use opentelemetry::Context;

/// Alive as long as the API's thread-local context is: made after it (its
/// initialiser reaches the context first), so destroyed before it, a thread's
/// locals being destroyed last made, first destroyed (glibc's and Rust's own
/// destructor lists both run in that order). Made first while the thread exits
/// (other code reached the context while it lived, none of ours), after the
/// API's context is gone, it says so instead.
struct Reachable(bool);

impl Drop for Reachable {
    /// Having a destructor is what lets the thread-local be seen as destroyed.
    fn drop(&mut self) {}
}

thread_local! {
    static REACHABLE: Reachable = Reachable(
        // The API panics on a context destroyed: caught here, inside the
        // destructor that called us, rather than aborting the process, and kept
        // from the hooks ours was chained in front of (it is no panic of the
        // application's).
        crate::panic::caught_quietly(|| Context::map_current(|_| ())).is_ok(),
    );
}

/// Whether the current context can be reached on this thread: false once the
/// thread's locals are being destroyed.
pub(crate) fn context_reachable() -> bool {
    REACHABLE.try_with(|reachable| reachable.0).unwrap_or(false)
}

/// The current context, if it can be reached.
pub(crate) fn current() -> Option<Context> {
    context_reachable().then(Context::current)
}

/// The span context of the current span, if the context can be reached: the ids
/// a log line or record carries.
#[cfg(any(feature = "log", feature = "tracing"))]
pub(crate) fn current_span_context() -> Option<opentelemetry::trace::SpanContext> {
    use opentelemetry::trace::TraceContextExt as _;
    map_current(|current| current.span().span_context().clone())
}

/// `read` on the current context, if it can be reached.
pub(crate) fn map_current<T>(read: impl FnOnce(&Context) -> T) -> Option<T> {
    context_reachable().then(|| Context::map_current(read))
}
