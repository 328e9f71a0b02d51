#![allow(unused_variables)]

use otel_traced::traced;

#[traced(attrs(otel.status_code = "OK"))]
fn f() {}

fn main() {}
