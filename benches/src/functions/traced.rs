//! `#[traced]`. `code = false` leaves out the three `code.*` attributes, so the
//! spans hold the same two attributes as every peer's; [`work_with_code`] shows
//! what the default adds.

use super::{Point, Polls, body, body8};
use otel_traced::traced;

/// The trivial function.
#[inline(never)]
#[traced(code = false)]
pub fn work(id: u64, name: &str) -> u64 {
    body(id, name)
}

/// The trivial function with the default `code.*` attributes (five in all).
#[inline(never)]
#[traced]
pub fn work_with_code(id: u64, name: &str) -> u64 {
    body(id, name)
}

/// The trivial function recording `otel_traced.function.duration` too.
#[inline(never)]
#[traced(code = false, metrics)]
pub fn work_metrics(id: u64, name: &str) -> u64 {
    body(id, name)
}

/// The trivial function, as an `async fn`.
#[inline(never)]
#[traced(code = false)]
pub async fn work_async(id: u64, name: &str) -> u64 {
    body(id, name)
}

/// Three spans deep.
#[inline(never)]
#[traced(code = false)]
pub fn nested(id: u64, name: &str) -> u64 {
    middle(id, name)
}

#[inline(never)]
#[traced(code = false)]
fn middle(id: u64, name: &str) -> u64 {
    work(id, name)
}

/// Eight attributes, one of them a `Debug` struct.
#[inline(never)]
#[traced(code = false)]
#[allow(
    clippy::too_many_arguments,
    reason = "the case measures eight recorded arguments"
)]
pub fn attributes8(
    a: u64,
    b: &str,
    c: i64,
    d: bool,
    e: f64,
    f: u32,
    g: &str,
    #[attr] h: &Point,
) -> u64 {
    body8(a, b, c, d, e, f, g, h)
}

/// Ready at poll number `polls`.
#[inline(never)]
#[traced(code = false)]
pub async fn polled(id: u64, name: &str, #[skip] polls: u32) -> u64 {
    Polls::new(polls).await;
    body(id, name)
}
