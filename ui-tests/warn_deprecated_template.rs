// A warning of the macro, made an error so that its output is pinned: a
// deprecated template's key suggests its replacement with the same name.
#![deny(deprecated)]
#![allow(unused_variables)]

use otel_traced::{record, traced};

#[traced]
fn f() {
    record!(container.labels.app = "x");
}

fn main() {}
