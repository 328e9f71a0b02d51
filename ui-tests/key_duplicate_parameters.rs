#![allow(unused_variables)]

use otel_traced::traced;

#[traced]
fn f(#[attr("user.id")] a: &str, #[attr("user.id")] b: &str) {}

// Under `#[cfg]` on one side only: in the configuration that has both, twice.
#[traced]
fn g(#[attr("user.id")] a: &str, #[cfg(unix)] #[attr("user.id")] b: &str) {}

fn main() {}
