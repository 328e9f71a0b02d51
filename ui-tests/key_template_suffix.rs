#![allow(unused_variables)]

use otel_traced::traced;

#[traced(attrs("http.request.header.X-Request-Id" = ["a"]))]
fn f() {}

#[traced(attrs("k8s.pod.label.my label" = "x"))]
fn g() {}

// A label's case and `/` are its own: kept in the key shown.
#[traced(attrs("k8s.pod.label.mycompany.io/My Arch" = "x"))]
fn h() {}

fn main() {}
