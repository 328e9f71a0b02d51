#![allow(unused_variables)]

use otel_traced::traced;

#[traced(attrs("http.request.header.X-Request-Id" = ["a"]))]
fn f() {}

fn main() {}
