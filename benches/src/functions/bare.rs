//! No instrumentation: the floor every peer is compared with.

use super::{Point, Polls, body, body8};

/// The trivial function.
#[inline(never)]
pub fn work(id: u64, name: &str) -> u64 {
    body(id, name)
}

/// The trivial function, as an `async fn`.
#[inline(never)]
pub async fn work_async(id: u64, name: &str) -> u64 {
    body(id, name)
}

/// Three calls deep.
#[inline(never)]
pub fn nested(id: u64, name: &str) -> u64 {
    middle(id, name)
}

#[inline(never)]
fn middle(id: u64, name: &str) -> u64 {
    work(id, name)
}

/// Eight arguments.
#[inline(never)]
#[allow(
    clippy::too_many_arguments,
    reason = "the case measures eight recorded arguments"
)]
pub fn attributes8(a: u64, b: &str, c: i64, d: bool, e: f64, f: u32, g: &str, h: &Point) -> u64 {
    body8(a, b, c, d, e, f, g, h)
}

/// Ready at poll number `polls`.
#[inline(never)]
pub async fn polled(id: u64, name: &str, polls: u32) -> u64 {
    Polls::new(polls).await;
    body(id, name)
}
