//! `#[tracing::instrument]`, recorded through a `tracing-opentelemetry` layer when
//! a subscriber is set (see `state`).

use super::{Point, Polls, body, body8};

/// The trivial function.
#[inline(never)]
#[tracing::instrument(level = "info")]
pub fn work(id: u64, name: &str) -> u64 {
    body(id, name)
}

/// The trivial function, as an `async fn`.
#[inline(never)]
#[tracing::instrument(level = "info")]
pub async fn work_async(id: u64, name: &str) -> u64 {
    body(id, name)
}

/// Three spans deep.
#[inline(never)]
#[tracing::instrument(level = "info")]
pub fn nested(id: u64, name: &str) -> u64 {
    middle(id, name)
}

#[inline(never)]
#[tracing::instrument(level = "info")]
fn middle(id: u64, name: &str) -> u64 {
    work(id, name)
}

/// Eight attributes, one of them a `Debug` struct.
#[inline(never)]
#[tracing::instrument(level = "info")]
#[allow(
    clippy::too_many_arguments,
    reason = "the case measures eight recorded arguments"
)]
pub fn attributes8(a: u64, b: &str, c: i64, d: bool, e: f64, f: u32, g: &str, h: &Point) -> u64 {
    body8(a, b, c, d, e, f, g, h)
}

/// Ready at poll number `polls`.
#[inline(never)]
#[tracing::instrument(level = "info", skip(polls))]
pub async fn polled(id: u64, name: &str, polls: u32) -> u64 {
    Polls::new(polls).await;
    body(id, name)
}
