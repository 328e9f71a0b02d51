#![allow(unused_variables)]

use otel_traced::traced;

#[traced(attrs("order." = 1))]
fn f() {}

fn main() {}
