// A warning of the macro, made an error so that its output is pinned.
#![deny(deprecated)]
#![allow(unused_variables)]

use otel_traced::{record, traced};

#[traced]
fn f() {
    record!(k8s.pod.lable.app = "checkout");
}

fn main() {}
