#![allow(unused_variables)]

use otel_traced::{event, traced};

#[traced]
fn f(n: u64) {
    event!("retry {n}", attempt = n);
}

fn main() {}
