#![allow(unused_variables)]

use otel_traced::{record, traced};

#[traced]
fn f() {
    record!(url.full = 42);
}

fn main() {}
