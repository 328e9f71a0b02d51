#![allow(unused_variables)]

use otel_traced::traced;

#[traced(attrs(order.2fa.code = true))]
fn number() {}

// No hint: no key takes this in.
#[traced(attrs(order."id" = 1))]
fn string() {}

fn main() {}
