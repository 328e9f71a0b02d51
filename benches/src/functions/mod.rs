//! The function every peer instruments: a trivial body taking a `u64` and a `&str`,
//! both recorded as attributes, so what is measured is the instrumentation. Each
//! peer's module has the same shapes: `work` (sync), `work_async`, `nested` (three
//! spans deep), `attributes8` (eight attributes, one a `Debug` struct) and `polled`
//! (an `async fn` whose future is polled a chosen number of times).
//!
//! Every function is `#[inline(never)]`, so the bare call is a real call, as the
//! instrumented ones are.

pub mod bare;
pub mod fastrace;
pub mod open_telemetry;
pub mod traced;
pub mod tracing;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The body of every benchmarked function.
#[inline(always)]
pub fn body(id: u64, name: &str) -> u64 {
    id.wrapping_add(name.len() as u64)
}

/// The `Debug` struct recorded by the `attributes8` functions.
#[derive(Debug, Clone, Copy)]
pub struct Point {
    /// Horizontal.
    pub x: i32,
    /// Vertical.
    pub y: i32,
}

/// The body of `attributes8`.
#[inline(always)]
#[allow(
    clippy::too_many_arguments,
    reason = "the case measures eight recorded arguments"
)]
pub fn body8(a: u64, b: &str, c: i64, d: bool, e: f64, f: u32, g: &str, h: &Point) -> u64 {
    a.wrapping_add(b.len() as u64)
        .wrapping_add(c as u64)
        .wrapping_add(u64::from(d))
        .wrapping_add(e as u64)
        .wrapping_add(u64::from(f))
        .wrapping_add(g.len() as u64)
        .wrapping_add(h.x as u64)
}

/// A future that is ready at its `polls`-th poll, waking itself after each pending
/// one, so an executor polls it again at once: what `polled` awaits.
#[derive(Debug)]
pub struct Polls {
    left: u32,
}

impl Polls {
    /// Ready at poll number `polls` (at the first when `polls` is 0 or 1).
    pub fn new(polls: u32) -> Self {
        Polls { left: polls }
    }
}

impl Future for Polls {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, task: &mut Context<'_>) -> Poll<()> {
        if self.left <= 1 {
            return Poll::Ready(());
        }
        self.left -= 1;
        task.waker().wake_by_ref();
        Poll::Pending
    }
}
