//! Our lines on stderr said by threads that must not wait on it: an
//! application's, ending a span (in the SDK's `on_end`, the span's lock held),
//! and an export thread, which would export nothing more. A stderr nobody reads
//! (a full pipe) blocks the one thread that says them instead; lines said past
//! the few it holds meanwhile are dropped. A guard shutting down waits for those
//! on their way, within its deadline, so that a process exiting after it says
//! them (a collector's outage, a queue's overflow) before its own report.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::time::{Duration, Instant};

/// The lines one blocked write leaves waiting, at most.
const WAITING_LINES: usize = 8;

/// Lines handed to the thread and not said yet.
static ON_THEIR_WAY: AtomicUsize = AtomicUsize::new(0);

/// Says `line` ([`crate::tell`]) on the thread that says them; on the caller's
/// where that thread cannot be spawned (the process at its limit of threads),
/// which the next line tries again.
pub(crate) fn aside(line: String) {
    static LINES: OnceLock<SyncSender<String>> = OnceLock::new();
    let lines = match LINES.get() {
        Some(lines) => lines,
        None => {
            let Some(spawned) = spawned() else {
                crate::tell(format_args!("{line}"));
                return;
            };
            // Another thread's, if it was first: this one's thread then ends
            // with its sender.
            LINES.get_or_init(|| spawned)
        }
    };
    ON_THEIR_WAY.fetch_add(1, Ordering::AcqRel);
    if lines.try_send(line).is_err() {
        ON_THEIR_WAY.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The thread that says the lines, and what hands them to it.
fn spawned() -> Option<SyncSender<String>> {
    let (lines, said) = sync_channel::<String>(WAITING_LINES);
    std::thread::Builder::new()
        .name("otel-traced-notice".to_owned())
        .spawn(move || {
            for line in said {
                crate::tell(format_args!("{line}"));
                ON_THEIR_WAY.fetch_sub(1, Ordering::AcqRel);
            }
        })
        .ok()
        .map(|_| lines)
}

/// Waits until the lines on their way are said, or `deadline` passes.
pub(crate) fn said_by(deadline: Instant) {
    while ON_THEIR_WAY.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
}
