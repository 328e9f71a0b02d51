#![allow(unused_variables)]

use otel_traced::opentelemetry::Context;
use otel_traced::traced;

#[traced(root, parent = context)]
fn root_and_parent(context: &Context) {}

#[traced(skip_all, skip(a))]
fn skip_all_and_skip(a: u8) {}

fn main() {}
