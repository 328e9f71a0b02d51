#![allow(unused_variables)]

use otel_traced::{event, traced};

#[traced(name = "   ")]
fn blank() {
    event!(" ");
}

// A line separator breaks a line as a newline does.
#[traced(name = "a\u{2028}b")]
fn separated() {}

fn main() {}
