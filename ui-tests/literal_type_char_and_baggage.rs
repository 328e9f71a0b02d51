#![allow(unused_variables)]

use otel_traced::traced;

// A character is recorded as a string.
#[traced(attrs(http.response.status_code = '5'))]
fn character() {}

// A baggage entry is a string.
#[traced(baggage("status" => http.response.status_code))]
fn from_baggage() {}

fn main() {}
