#![allow(unused_variables)]

use otel_traced::{record, traced};

#[traced]
fn f() {
    record!("cache hit" = true);
}

fn main() {}
