#![allow(unused_variables)]

use otel_traced::traced;

// A character is recorded as a string.
#[traced(attrs(http.response.status_code = '5'))]
fn character() {}

// A baggage entry is a string.
#[traced(baggage("status" => http.response.status_code))]
fn from_baggage() {}

// Nor a boolean, a floating-point number or an array.
#[traced(baggage(
    "daemon" => jvm.thread.daemon,
    "charge" => azure.cosmosdb.operation.request_charge,
    "tags" => container.image.tags,
))]
fn from_baggage_typed() {}

// A boolean key given another literal.
#[traced(attrs(jvm.thread.daemon = "yes"))]
fn boolean_as_a_string() {}

fn main() {}
