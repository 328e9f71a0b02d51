#![allow(unused_variables)]

use otel_traced::traced;

#[traced(attrs(server.port = %port))]
fn f(port: u16) {}

fn main() {}
