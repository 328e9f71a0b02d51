#![allow(unused_variables)]

use otel_traced::{event, traced};

#[traced]
fn f() {
    event!("retry", Attempt = 1);
}

fn main() {}
