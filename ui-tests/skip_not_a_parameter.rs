#![allow(unused_variables)]

use otel_traced::traced;

#[traced(skip(user, pasword))]
fn login(user: &str, password: &str) {}

#[traced(skip(a, a))]
fn listed_twice(a: u8) {}

fn main() {}
