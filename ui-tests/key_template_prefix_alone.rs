//! A template key is a prefix: its keys name what follows it.
#![allow(unused_variables)]

use otel_traced::traced;

#[traced(attrs(k8s.pod.label = "app", http.request.header = ["abc"]))]
fn f() {}

fn main() {}
