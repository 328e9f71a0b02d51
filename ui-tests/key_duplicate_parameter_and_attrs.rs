#![allow(unused_variables)]

use otel_traced::traced;

#[traced(attrs(order.id = 1))]
fn f(#[attr("order.id")] id: u64) {}

fn main() {}
