#![allow(unused_variables)]

use otel_traced::traced;

#[traced(attrs(Order.Id = 1))]
fn f() {}

fn main() {}
