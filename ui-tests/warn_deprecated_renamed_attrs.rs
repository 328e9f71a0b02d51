// A warning of the macro, made an error so that its output is pinned.
#![deny(deprecated)]
#![allow(unused_variables)]

use otel_traced::traced;

#[traced(attrs(code.filepath = "src/lib.rs"))]
fn f() {}

fn main() {}
