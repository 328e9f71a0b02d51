//! A key is a dotted name or a string literal: anything else is pointed at.
use otel_traced::{record, traced};

#[traced(attrs(42 = "answer"))]
fn numeric_key_in_attrs() {}

#[traced]
fn numeric_key_in_record() {
    record!(7.days = true);
}

fn main() {}
