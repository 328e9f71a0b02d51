//! Panics inside instrumented code: what the span records about them.
//!
//! The span catches the unwind around the body (or around each poll), records the
//! panic and resumes it, so the panic is recorded whatever the application's panic
//! hook or async runtime does with it afterwards. The payload carries the message but
//! not the location; a hook of ours, chained in front of whatever hook was set
//! before, notes the location of each panic on its thread for the span to pick up.

use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use std::any::Any;
use std::backtrace::{Backtrace, BacktraceStatus};
use std::cell::{Cell, RefCell};
use std::panic::{self, Location};
use std::sync::{Arc, Once, OnceLock};

thread_local! {
    /// The last panic on this thread as our hook saw it: its message (when the
    /// payload is text) and where it started. Reached with `try_with`: a panic
    /// while the thread's locals are being destroyed (in code another one's
    /// destructor runs) must not make our hook panic too.
    static LAST_PANIC: RefCell<Option<SeenPanic>> = const { RefCell::new(None) };

    /// Set while [`caught_quietly`] runs a probe whose panic is expected: our hook
    /// then neither notes it nor passes it on. Without a destructor, so reachable
    /// while the thread's locals are destroyed, where the probe runs.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `probe`, catching its panic, an expected one (the API's, on a current
/// context already destroyed): the hooks set before ours (the default one, which
/// prints it; an application's, which may report it) are not told of it; one set
/// after ours wraps it, and is. Ours is chained wherever spans can be recorded,
/// where the probes run; before it is, a probe's panic is said as any other.
pub(crate) fn caught_quietly<T>(
    probe: impl FnOnce() -> T + panic::UnwindSafe,
) -> std::thread::Result<T> {
    let was = QUIET.replace(true);
    let caught = panic::catch_unwind(probe);
    QUIET.set(was);
    caught
}

/// A panic our hook saw: a caught payload with the same message is that panic.
/// A panic that reaches a span without passing the hook (`resume_unwind`, or a
/// hook set after ours) then does not get the location of an earlier one: not of
/// one with another message, nor of one a span already took (its payload is
/// known then), which the spans further out get back.
///
/// Left: a panic the hook saw and no span caught (the application caught it
/// itself) is taken for a later panic that skipped the hook with the same message
/// (`called `Option::unwrap()` on a `None` value` re-raised from another thread),
/// until the thread's next panic the hook sees.
#[derive(Debug)]
struct SeenPanic {
    message: Option<Fingerprint>,
    /// The caught payload's address, once a span took the panic: the same
    /// unwind, resumed, carries the same box; another panic's box is elsewhere
    /// (unless it took the memory of this one's, freed: a panic caught, its
    /// payload dropped, then one re-raised here with the same message). A
    /// zero-sized payload has no address of its own: `0`, which none matches.
    payload: Option<usize>,
    location: PanicLocation,
    /// The stack where it started, when `RUST_BACKTRACE` (or
    /// `RUST_LIB_BACKTRACE`) asks for backtraces.
    stack: Option<Arc<Stack>>,
}

/// A panic's backtrace, and its text once a span asks for it: made once, its
/// symbols resolved once, for every span the panic unwinds through, which share
/// the one string.
#[derive(Debug)]
struct Stack {
    backtrace: Backtrace,
    text: OnceLock<Arc<str>>,
}

/// The most characters of a stack trace kept: a deep recursion's frames past
/// them are its own again.
const MAX_STACKTRACE_CHARS: usize = 32 * 1024;

/// What tells a panic's text from another's without a copy of it (a message
/// formatting a large value may weigh megabytes): its length and hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fingerprint(usize, u64);

impl Fingerprint {
    fn of(text: &str) -> Self {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::hash::DefaultHasher::new();
        text.hash(&mut hasher);
        Fingerprint(text.len(), hasher.finish())
    }
}

/// Source location of a panic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PanicLocation {
    pub file: String,
    pub line: u32,
    pub column: u32,
}

impl From<&Location<'_>> for PanicLocation {
    fn from(location: &Location<'_>) -> Self {
        PanicLocation {
            file: location.file().to_owned(),
            line: location.line(),
            column: location.column(),
        }
    }
}

/// Chains our location hook in front of the current panic hook, once per process.
/// Called when spans can first be recorded (an install or a capture), so a process
/// that never traces keeps its hook untouched.
pub(crate) fn install_location_hook() {
    static INSTALLED: Once = Once::new();
    // Not while a panic unwinds (a first capture or install in a destructor it
    // runs): `take_hook` would panic, and abort the process. A later capture or
    // install chains it; until then panics are recorded without their location.
    if std::thread::panicking() {
        return;
    }
    INSTALLED.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if QUIET.get() {
                return;
            }
            if let Some(location) = info.location() {
                let backtrace = Backtrace::capture();
                let seen = SeenPanic {
                    message: info.payload_as_str().map(Fingerprint::of),
                    payload: None,
                    location: location.into(),
                    stack: (backtrace.status() == BacktraceStatus::Captured).then(|| {
                        Arc::new(Stack {
                            backtrace,
                            text: OnceLock::new(),
                        })
                    }),
                };
                let _ = LAST_PANIC.try_with(|last| *last.borrow_mut() = Some(seen));
            }
            previous(info);
        }));
    });
}

/// A panic's message: its payload's text, where it is one (`panic!`'s).
fn payload_text(payload: &(dyn Any + Send)) -> Option<&str> {
    match payload.downcast_ref::<&'static str>() {
        Some(text) => Some(text),
        None => payload.downcast_ref::<String>().map(String::as_str),
    }
}

/// What a panic's payload says, as a span records it.
fn described_payload(text: Option<&str>) -> String {
    match text {
        Some(text) => crate::redact::described_text(text),
        None => "panic with a non-string payload".to_owned(),
    }
}

/// The description of a panic handed on as a value (a `std::thread::Result`'s
/// `Err`, what `catch_unwind` returns): its message, as a caught panic's.
pub(crate) fn described_panic_payload(payload: &(dyn Any + Send)) -> String {
    described_payload(payload_text(payload))
}

/// What a caught panic says: its message, cut at
/// [`MAX_FORMATTED_CHARS`](crate::value::MAX_FORMATTED_CHARS) characters as an
/// error's is, and, when our hook saw it, its location.
#[derive(Debug)]
pub(crate) struct PanicReport {
    pub message: String,
    /// The hook's record of the panic, for [`PanicReport::restore`].
    seen: Option<SeenPanic>,
}

impl PanicReport {
    /// Reads a caught panic. The location is taken from this thread's record, so it
    /// is not reported again for an unrelated panic; [`PanicReport::restore`] puts it
    /// back before the panic resumes, for the spans further out.
    pub(crate) fn take(payload: &(dyn Any + Send)) -> Self {
        let text = payload_text(payload);
        let address = (std::mem::size_of_val(payload) > 0)
            .then(|| std::ptr::from_ref(payload).cast::<()>().addr());
        let seen = LAST_PANIC
            .try_with(|last| last.borrow_mut().take())
            .ok()
            .flatten()
            .filter(|seen| {
                seen.message == text.map(Fingerprint::of)
                    && seen.payload.is_none_or(|taken| Some(taken) == address)
            })
            .map(|seen| SeenPanic {
                payload: Some(address.unwrap_or(0)),
                ..seen
            });
        PanicReport {
            message: described_payload(text),
            seen,
        }
    }

    /// Where the panic started, when our hook saw it.
    pub(crate) fn location(&self) -> Option<&PanicLocation> {
        self.seen.as_ref().map(|seen| &seen.location)
    }

    /// The stack where the panic started (`exception.stacktrace`), when our hook
    /// saw it and backtraces are asked for (`RUST_BACKTRACE`), cut at
    /// [`MAX_STACKTRACE_CHARS`] characters.
    pub(crate) fn stacktrace(&self) -> Option<Arc<str>> {
        let stack = self.seen.as_ref()?.stack.as_ref()?;
        let text = stack.text.get_or_init(|| {
            // Formatting stops at the limit: a deep recursion's frames past it are
            // not written out to be cut.
            let text = crate::value::format_within(
                format_args!("{}", stack.backtrace),
                MAX_STACKTRACE_CHARS,
            );
            Arc::from(text)
        });
        Some(Arc::clone(text))
    }

    /// Hands the location back to the enclosing spans of the same unwind.
    pub(crate) fn restore(self) {
        let _ = LAST_PANIC.try_with(|last| *last.borrow_mut() = self.seen);
    }
}

/// What `export` makes, a failed export if making it or a poll of it panics (a
/// bug in a client library, a user's exporter doing its work before it returns a
/// future, as the console does): the thread exporting (the batch processor's, an
/// export thread of ours) lives on for the next batches, where it would have died
/// and every later span or record been dropped without a word.
pub(crate) async fn contained_export<F: Future<Output = OTelSdkResult>>(
    export: impl FnOnce() -> F,
) -> OTelSdkResult {
    let export = match panic::catch_unwind(panic::AssertUnwindSafe(export)) {
        Ok(export) => export,
        Err(payload) => return Err(panicked(&*payload)),
    };
    let mut export = std::pin::pin!(export);
    std::future::poll_fn(|cx| {
        panic::catch_unwind(panic::AssertUnwindSafe(|| export.as_mut().poll(cx)))
            .unwrap_or_else(|payload| std::task::Poll::Ready(Err(panicked(&*payload))))
    })
    .await
}

/// What [`contained_export`] makes of an exporter's panic.
fn panicked(payload: &(dyn Any + Send)) -> OTelSdkError {
    let report = PanicReport::take(payload);
    OTelSdkError::InternalFailure(format!("{PANICKED}{}", report.message))
}

/// How a panic caught by [`contained_export`] begins.
const PANICKED: &str = "the exporter panicked: ";

/// Whether `error` is an exporter's panic [`contained_export`] caught: it says
/// nothing of the collector, so the next part of a batch is still tried.
pub(crate) fn is_caught_panic(error: &OTelSdkError) -> bool {
    matches!(error, OTelSdkError::InternalFailure(said) if said.starts_with(PANICKED))
}

/// Runs `run`, user code that instrumentation runs and the call itself would not
/// uninstrumented (a value's `Debug` or `AsAttribute`, an `attrs(..)` expression,
/// an error's `source()`): `None` if it panicked. The panic is not let out:
/// instrumentation must not make a panic the program would not have had. The panic
/// hook has already reported it; what was recorded before stays, and the rest of
/// the recording goes on.
#[inline]
pub(crate) fn contained<T>(run: impl FnOnce() -> T) -> Option<T> {
    match panic::catch_unwind(panic::AssertUnwindSafe(run)) {
        Ok(done) => Some(done),
        Err(payload) => {
            // Consumed here, so that its location is not given to a later panic.
            drop(PanicReport::take(&*payload));
            None
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::contained_export;
    use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};

    #[test]
    fn an_export_that_panics_is_a_failed_export() {
        let said = |result: OTelSdkResult| match result {
            Err(OTelSdkError::InternalFailure(said)) => said,
            other => panic!("{other:?}"),
        };
        // After a poll that waited.
        let mut waited = false;
        let later = std::future::poll_fn(move |cx| {
            if !std::mem::replace(&mut waited, true) {
                cx.waker().wake_by_ref();
                return std::task::Poll::Pending;
            }
            panic!("a bug in a client library")
        });
        let result = polled_to_end(contained_export(|| later));
        assert_eq!(
            said(result),
            "the exporter panicked: a bug in a client library"
        );
        // Before any future is made.
        let result = polled_to_end(contained_export(|| -> std::future::Ready<OTelSdkResult> {
            panic!("a bug in the console")
        }));
        assert_eq!(said(result), "the exporter panicked: a bug in the console");
        assert!(super::is_caught_panic(&OTelSdkError::InternalFailure(
            "the exporter panicked: x".to_owned()
        )));
        assert!(polled_to_end(contained_export(|| async { Ok(()) })).is_ok());
    }

    /// Polls `future` to its end on this thread: one that never waits here (an
    /// exporter of a test answering at once, or after a poll or two).
    pub(crate) fn polled_to_end<F: Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        for _ in 0..100 {
            if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
                return output;
            }
        }
        panic!("the future waits: it cannot end on this thread")
    }
}
