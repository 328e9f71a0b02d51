#![allow(unused_variables)]

use otel_traced::traced;

#[traced(name = "get user {id}")]
fn f(id: u64) {}

// An HTTP span's name, written out.
#[traced(name = "GET /users/{id}")]
fn g(id: u64) {}

fn main() {}
