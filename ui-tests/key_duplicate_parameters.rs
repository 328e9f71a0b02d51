#![allow(unused_variables)]

use otel_traced::traced;

#[traced]
fn f(#[attr("user.id")] a: u64, #[attr("user.id")] b: u64) {}

fn main() {}
