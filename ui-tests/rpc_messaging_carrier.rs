//! Producers write the creation context into the message's headers and `process`
//! reads it: they name their carrier, a producer's not shared; `process` takes
//! no `parent`.
#![allow(unused_variables)]

use otel_traced::opentelemetry::Context;
use otel_traced::traced_rpc;
use std::collections::HashMap;

type Headers = HashMap<String, String>;

#[traced_rpc(messaging, send, system = "kafka", destination = "orders")]
fn send(headers: Headers, body: &str) {}

#[traced_rpc(messaging, process, system = "kafka", destination = "orders")]
fn process(headers: &Headers) {}

#[traced_rpc(messaging, create, system = "kafka", destination = "orders", carrier = headers)]
fn create(headers: &Headers) {}

#[traced_rpc(messaging, process, system = "kafka", destination = "orders", carrier = headers, parent = context)]
fn reparented(headers: &Headers, context: &Context) {}

#[traced_rpc(messaging, send, system = "kafka", destination = "orders", carrier = headers)]
fn not_headers(headers: &mut u32) {}

// The buffer a single-message `receive` fills holds no message when it starts.
#[traced_rpc(messaging, receive, system = "kafka", destination = "orders", carrier = message)]
fn receive_into(message: &mut Headers) {}

fn main() {}
