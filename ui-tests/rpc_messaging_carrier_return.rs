//! `carrier = return`: only on a `receive` that returns its message (an `Option`
//! or a `Result` of one), alone.
#![allow(unused_variables)]

use otel_traced::traced_rpc;
use std::collections::HashMap;

type Headers = HashMap<String, String>;

#[traced_rpc(messaging, send, system = "kafka", destination = "orders", carrier = return)]
fn send_returned() -> Headers {
    Headers::new()
}

#[traced_rpc(messaging, create, system = "kafka", destination = "orders", carrier = return)]
fn create_returned() -> Headers {
    Headers::new()
}

#[traced_rpc(messaging, receive, system = "kafka", destination = "orders", carrier = return)]
fn returns_nothing() {}

#[traced_rpc(messaging, receive, system = "kafka", destination = "orders", carrier = return, batch = return)]
fn both_returned() -> Vec<Headers> {
    Vec::new()
}

#[traced_rpc(messaging, receive, system = "kafka", destination = "orders", carrier = return, batch = messages)]
fn returned_beside_a_batch(messages: &[Headers]) -> Headers {
    Headers::new()
}

#[traced_rpc(messaging, receive, system = "kafka", destination = "orders", carrier = return)]
fn returns_no_message() -> Result<u32, std::io::Error> {
    Ok(0)
}

#[traced_rpc(messaging, receive, system = "kafka", destination = "orders", carrier = return)]
fn returns_a_batch() -> Vec<Headers> {
    Vec::new()
}

#[traced_rpc(grpc, client, service = "shop.v1.Inventory", carrier = return)]
fn grpc_returned() -> tonic::Request<()> {
    tonic::Request::new(())
}

#[traced_rpc(messaging, receive, system = "kafka", destination = "orders", carrier = return)]
fn returns_stream() -> impl futures::Stream<Item = Headers> {
    futures::stream::empty()
}

// A subscription: one span for the process's life.
#[traced_rpc(messaging, receive, system = "rabbitmq", destination = "orders")]
fn deliveries() -> impl futures::Stream<Item = Result<Headers, std::io::Error>> {
    futures::stream::empty()
}

// Its one error, whatever buffer it names.
#[traced_rpc(messaging, receive, system = "rabbitmq", destination = "orders", carrier = headers)]
fn deliveries_into(headers: &mut Headers) -> impl futures::Stream<Item = u32> {
    futures::stream::empty()
}

fn main() {}
