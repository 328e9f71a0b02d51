#![allow(unused_variables)]

use otel_traced::{record, traced};

#[traced]
fn f() {
    record!(otel.scope.name = "x");
}

fn main() {}
