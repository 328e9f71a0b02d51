//! `#[fastrace::trace]` with the arguments as properties: spans are collected when a
//! local parent is set (see `cases`), and cost next to nothing otherwise.

use super::{Point, Polls, body, body8};

/// The trivial function.
#[inline(never)]
#[fastrace::trace(properties = { "id": "{id}", "name": "{name}" })]
pub fn work(id: u64, name: &str) -> u64 {
    body(id, name)
}

/// The trivial function, as an `async fn`.
#[inline(never)]
#[fastrace::trace(properties = { "id": "{id}", "name": "{name}" })]
pub async fn work_async(id: u64, name: &str) -> u64 {
    body(id, name)
}

/// Three spans deep.
#[inline(never)]
#[fastrace::trace(properties = { "id": "{id}", "name": "{name}" })]
pub fn nested(id: u64, name: &str) -> u64 {
    middle(id, name)
}

#[inline(never)]
#[fastrace::trace(properties = { "id": "{id}", "name": "{name}" })]
fn middle(id: u64, name: &str) -> u64 {
    work(id, name)
}

/// Eight properties, one of them a `Debug` struct.
#[inline(never)]
#[fastrace::trace(properties = {
    "a": "{a}", "b": "{b}", "c": "{c}", "d": "{d}", "e": "{e}", "f": "{f}", "g": "{g}", "h": "{h:?}"
})]
#[allow(
    clippy::too_many_arguments,
    reason = "the case measures eight recorded arguments"
)]
pub fn attributes8(a: u64, b: &str, c: i64, d: bool, e: f64, f: u32, g: &str, h: &Point) -> u64 {
    body8(a, b, c, d, e, f, g, h)
}

/// Ready at poll number `polls`.
#[inline(never)]
#[fastrace::trace(properties = { "id": "{id}", "name": "{name}" })]
pub async fn polled(id: u64, name: &str, polls: u32) -> u64 {
    Polls::new(polls).await;
    body(id, name)
}
