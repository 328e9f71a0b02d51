#![allow(unused_variables)]

use otel_traced::traced;

#[traced(attrs(server.port = 8080f64))]
fn f() {}

fn main() {}
