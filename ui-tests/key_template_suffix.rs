#![allow(unused_variables)]

use otel_traced::traced;

#[traced(attrs("http.request.header.X-Request-Id" = ["a"]))]
fn f() {}

#[traced(attrs("k8s.pod.label.my label" = "x"))]
fn g() {}

fn main() {}
