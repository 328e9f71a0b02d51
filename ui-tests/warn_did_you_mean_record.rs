// A warning of the macro, made an error so that its output is pinned.
#![deny(deprecated)]
#![allow(unused_variables)]

use otel_traced::{record, traced};

#[traced]
fn f() {
    record!(url.ful = "https://example.com");
}

fn main() {}
