#![allow(unused_variables)]

use otel_traced::traced;

#[traced]
fn f(#[attr("user.id")] a: u64, #[attr("user.id")] b: u64) {}

// Under `#[cfg]` on one side only: in the configuration that has both, twice.
#[traced]
fn g(#[attr("user.id")] a: u64, #[cfg(unix)] #[attr("user.id")] b: u64) {}

fn main() {}
