// A warning of the macro, made an error so that its output is pinned.
#![deny(deprecated)]
#![allow(unused_variables)]

use otel_traced::{record, traced};

#[traced]
fn f() {
    record!(cpython.gc.generation = 7);
}

fn main() {}
