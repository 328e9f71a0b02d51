//! A template key is a prefix: its keys name what follows it.
#![allow(unused_variables)]

use otel_traced::traced;

#[traced(attrs(k8s.pod.label = "app", http.request.header = ["abc"]))]
fn f() {}

// A deprecated one points at its replacement's keys.
#[traced(attrs(container.labels = "app"))]
fn g() {}

fn main() {}
