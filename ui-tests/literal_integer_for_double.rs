#![allow(unused_variables)]

use otel_traced::traced;

#[traced(attrs(app.jank.threshold = 1))]
fn f() {}

fn main() {}
