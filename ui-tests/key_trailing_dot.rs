#![allow(unused_variables)]

use otel_traced::traced;

#[traced(attrs("order." = 1))]
fn f() {}

// What would pass is a template's key, not its prefix alone.
#[traced(attrs("http.request.header." = ["x"]))]
fn g() {}

// A deprecated template's: its replacement's key.
#[traced(attrs("container.labels." = "x"))]
fn h() {}

fn main() {}
