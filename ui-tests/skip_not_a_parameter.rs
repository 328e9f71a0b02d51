#![allow(unused_variables)]

use otel_traced::traced;

#[traced(skip(user, pasword))]
fn login(user: &str, password: &str) {}

#[traced(skip(a, a))]
fn listed_twice(a: u8) {}

#[traced(skip(self))]
fn without_a_receiver(a: u8) {}

fn main() {}
