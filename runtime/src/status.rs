//! The status a body sets with [`crate::set_status`] wins over the automatic one (a
//! returned error, a panic, a failed reply: DESIGN §3). The SDK keeps the greater of
//! two statuses (Ok over Error over Unset) and, of two Errors, the one whose
//! description sorts last, so an explicit Error would lose to an automatic one
//! that happens to sort after it. The spans whose body set an Error are noted
//! here, and the automatic status leaves them alone.
//!
//! Rare, so kept simple and off every other path: only an explicit Error notes a
//! span, and only the automatic error paths look, under a lock, once something was
//! noted. An entry is forgotten when it is consulted; a span that ends without an
//! automatic error leaves its entry, and the oldest entries make room past
//! [`MAX_NOTED`].

use crate::route::lock;
use opentelemetry::trace::{SpanId, SpanRef, Status};
use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Spans noted at most; past that the oldest notes are dropped.
const MAX_NOTED: usize = 1024;

/// The spans whose body set an Error status, oldest first.
static NOTED: Mutex<VecDeque<SpanId>> = Mutex::new(VecDeque::new());
/// Whether a span was ever noted, read before taking the lock.
static ANY_NOTED: AtomicBool = AtomicBool::new(false);

/// Sets `status` on `span` as the body's own decision.
pub(crate) fn set_explicit(span: &SpanRef<'_>, status: Status) {
    if matches!(status, Status::Error { .. }) && span.is_recording() {
        let span_id = span.span_context().span_id();
        let mut noted = lock(&NOTED);
        if !noted.contains(&span_id) {
            if noted.len() == MAX_NOTED {
                noted.pop_front();
            }
            noted.push_back(span_id);
        }
        ANY_NOTED.store(true, Ordering::Release);
    }
    span.set_status(status);
}

/// Sets the automatic Error status of a call that failed, unless its body set one.
pub(crate) fn set_automatic_error(span: &SpanRef<'_>, description: String) {
    if ANY_NOTED.load(Ordering::Acquire) {
        let span_id = span.span_context().span_id();
        let mut noted = lock(&NOTED);
        if let Some(index) = noted.iter().position(|noted| *noted == span_id) {
            noted.remove(index);
            return;
        }
    }
    span.set_status(Status::error(description));
}
