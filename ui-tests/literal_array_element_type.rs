#![allow(unused_variables)]

use otel_traced::{record, traced};

#[traced]
fn f() {
    record!(process.command_args = [1, 2]);
    record!(url.full = ["https://example.com"]);
}

fn main() {}
