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

// The key suggested is one an annotation can write, or none.
#[traced(baggage("2FA", "OTEL.x", "..."))]
fn no_path_to_suggest() {}

// A key that is no baggage key is told so once, unrenamed too.
#[traced(baggage("user id"))]
fn not_a_baggage_key_unrenamed() {}

#[traced(set_baggage(tenant = "a", tenant = "b"))]
fn set_twice() {}

fn main() {}
