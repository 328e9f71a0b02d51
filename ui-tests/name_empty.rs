#![allow(unused_variables)]

use otel_traced::traced;

#[traced(name = "")]
fn f() {}

fn main() {}
