//! `batch = messages` names the messages of a batch operation: written with a
//! parameter name, on messaging boundaries only, not beside `carrier`, not for
//! `create` (one message each), a parameter of the function, written to by `send`
//! (so not shared), not a buffer a `receive` fills, and a batch of carriers.
//! `batch = return`: only on a `receive` that returns its messages, alone.
#![allow(unused_variables)]

use otel_traced::traced_rpc;
use std::collections::HashMap;

type Headers = HashMap<String, String>;

#[traced_rpc(messaging, create, system = "kafka", destination = "orders", batch = messages)]
fn create(messages: Vec<Headers>) {}

#[traced_rpc(messaging, process, system = "kafka", destination = "orders", carrier = headers, batch = messages)]
fn both(headers: &Headers, messages: &[Headers]) {}

#[traced_rpc(http, route = "/orders", batch = messages)]
fn http(request: http::Request<()>, messages: &[Headers]) {}

#[traced_rpc(messaging, process, system = "kafka", destination = "orders", batch = mesages)]
fn misspelt(messages: &[Headers]) {}

#[traced_rpc(messaging, send, system = "kafka", destination = "orders", batch = messages)]
fn shared(messages: &[Headers]) {}

#[traced_rpc(messaging, process, system = "kafka", destination = "orders", batch = messages)]
fn not_a_batch(messages: &Headers) {}

#[traced_rpc(messaging, process, system = "kafka", destination = "orders", batch)]
fn flag(messages: &[Headers]) {}

#[traced_rpc(messaging, receive, system = "kafka", destination = "orders", batch = messages)]
fn buffer(messages: &mut Vec<Headers>) {}

#[traced_rpc(messaging, send, system = "kafka", destination = "orders", batch = return)]
fn send_returned() -> Vec<Headers> {
    Vec::new()
}

#[traced_rpc(messaging, receive, system = "kafka", destination = "orders", batch = return)]
fn returns_nothing() {}

#[traced_rpc(messaging, create, system = "kafka", destination = "orders", batch = return)]
fn create_returned() -> Vec<Headers> {
    Vec::new()
}

#[traced_rpc(messaging, receive, system = "kafka", destination = "orders", carrier = headers, batch = return)]
fn returned_and_carrier(headers: &Headers) -> Vec<Headers> {
    Vec::new()
}

#[traced_rpc(messaging, receive, system = "kafka", destination = "orders", batch = return)]
fn returns_no_messages() -> Result<u32, std::io::Error> {
    Ok(0)
}

#[traced_rpc(messaging, receive, system = "kafka", destination = "orders", batch = return)]
fn returns_unit() -> () {}

#[traced_rpc(http, route = "/orders", batch = return)]
fn http_returned(request: http::Request<()>) -> Vec<Headers> {
    Vec::new()
}

#[traced_rpc(messaging, receive, system = "kafka", destination = "orders", batch = return)]
fn returns_stream() -> impl futures::Stream<Item = Headers> {
    futures::stream::empty()
}

fn main() {}
