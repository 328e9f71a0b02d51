#![allow(unused_variables)]

use otel_traced::traced;

#[traced(name = "get user {id}")]
fn f(id: u64) {}

fn main() {}
