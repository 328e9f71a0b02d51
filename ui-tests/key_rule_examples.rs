#![allow(unused_variables)]

use otel_traced::traced;

// The key suggested would fail again: none is given.
#[traced(attrs("OTEL.Retry" = 1))]
fn reserved() {}

// Under a deprecated template prefix: the key suggested is under its replacement.
#[traced(attrs("container.labels.My Label" = "x"))]
fn deprecated_template() {}

fn main() {}
