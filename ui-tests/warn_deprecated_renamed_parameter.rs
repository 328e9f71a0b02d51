// A warning of the macro, made an error so that its output is pinned.
#![deny(deprecated)]
#![allow(unused_variables)]

use otel_traced::traced;

#[traced]
fn f(#[attr("http.method")] method: &str) {}

fn main() {}
