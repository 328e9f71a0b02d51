#![allow(unused_variables)]

use otel_traced::traced;

#[traced(attrs(order.2fa = true))]
fn f() {}

fn main() {}
