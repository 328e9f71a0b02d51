// A warning of the macro, made an error so that its output is pinned.
#![deny(deprecated)]
#![allow(unused_variables)]

use otel_traced::traced;

#[traced(attrs(http.request.methd = "GET"))]
fn f() {}

// A letter doubled in a short word.
#[traced(attrs(url.fulll = "https://shop/"))]
fn g() {}

// Words of their own: nothing to say (a letter changed, added or missing in a
// short word makes another).
#[traced(attrs(process.gid = 1, ios.version = "17.4", cpu.model = "Xeon", k8s.pod.id = "a1"))]
fn h() {}

fn main() {}
