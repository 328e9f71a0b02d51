#![allow(unused_variables)]

use otel_traced::traced;

#[traced]
fn f(#[attr("order-id")] id: u64) {}

fn main() {}
