// A warning of the macro, made an error so that its output is pinned.
#![deny(deprecated)]
#![allow(unused_variables)]

use otel_traced::traced;

#[traced(attrs(http.request.methd = "GET"))]
fn f() {}

// A letter missing, not the one changed of `k8s.pod.ip`.
#[traced(attrs(k8s.pod.id = "a1"))]
fn g() {}

// Words of their own: nothing to say.
#[traced(attrs(process.gid = 1, ios.version = "17.4"))]
fn h() {}

fn main() {}
