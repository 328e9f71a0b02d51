#![allow(unused_variables)]

use otel_traced::traced;

#[traced(baggage("user-id"))]
fn not_an_attribute_key() {}

#[traced(baggage("user id" => user.id))]
fn not_a_baggage_key() {}

#[traced(set_baggage("tenant;x" = "acme"))]
fn bad_set_baggage_key() {}

#[traced(baggage(user.id), attrs(user.id = "ada"))]
fn declared_twice() {}

fn main() {}
