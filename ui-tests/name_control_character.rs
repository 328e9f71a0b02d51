#![allow(unused_variables)]

use otel_traced::traced;

#[traced(name = "line\nbreak")]
fn f() {}

fn main() {}
