//! Panics inside instrumented code: what the span records about them.
//!
//! The span catches the unwind around the body (or around each poll), records the
//! panic and resumes it, so the panic is recorded whatever the application's panic
//! hook or async runtime does with it afterwards. The payload carries the message but
//! not the location; a hook of ours, chained in front of whatever hook was set
//! before, notes the location of each panic on its thread for the span to pick up.

use std::any::Any;
use std::cell::RefCell;
use std::panic::{self, Location};
use std::sync::Once;

thread_local! {
    /// Where the last panic on this thread started, as our hook saw it. Reached
    /// with `try_with`: a panic while the thread's locals are being destroyed (in
    /// code another one's destructor runs) must not make our hook panic too.
    static LAST_LOCATION: RefCell<Option<PanicLocation>> = const { RefCell::new(None) };
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
    INSTALLED.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if let Some(location) = info.location() {
                let _ = LAST_LOCATION.try_with(|last| *last.borrow_mut() = Some(location.into()));
            }
            previous(info);
        }));
    });
}

/// What a caught panic says: its message and, when our hook saw it, its location.
#[derive(Debug)]
pub(crate) struct PanicReport {
    pub message: String,
    pub location: Option<PanicLocation>,
}

impl PanicReport {
    /// Reads a caught panic. The location is taken from this thread's record, so it
    /// is not reported again for an unrelated panic; [`PanicReport::restore`] puts it
    /// back before the panic resumes, for the spans further out.
    pub(crate) fn take(payload: &(dyn Any + Send)) -> Self {
        let message = if let Some(text) = payload.downcast_ref::<&'static str>() {
            (*text).to_owned()
        } else if let Some(text) = payload.downcast_ref::<String>() {
            text.clone()
        } else {
            "panic with a non-string payload".to_owned()
        };
        let location = LAST_LOCATION
            .try_with(|last| last.borrow_mut().take())
            .ok()
            .flatten();
        PanicReport { message, location }
    }

    /// Hands the location back to the enclosing spans of the same unwind.
    pub(crate) fn restore(self) {
        let _ = LAST_LOCATION.try_with(|last| *last.borrow_mut() = self.location);
    }
}
