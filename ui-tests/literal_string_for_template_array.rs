#![allow(unused_variables)]

use otel_traced::traced;

#[traced(attrs("http.request.header.x-request-id" = "abc"))]
fn f() {}

fn main() {}
