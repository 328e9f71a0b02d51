#![allow(unused_variables)]

use otel_traced::{record, traced};

#[traced]
fn f() {
    record!(process.command_args = [1, 2]);
    record!(url.full = ["https://example.com"]);
    // An array of integers in the registry.
    record!(pprof.scope.sample_type_order = ["cpu"]);
}

fn main() {}
