#![allow(unused_variables)]

use otel_traced::traced;

#[traced(attrs(http.response.status_code = "200"))]
fn f() {}

fn main() {}
