//! A function returning a stream counts its items and records each `Err` item:
//! `ret` and `err` do not apply to it, nor `err = false` to a gRPC stream, whose
//! `Err` item is its reply.
use futures::stream::{self, Stream};
use otel_traced::{traced, traced_rpc};
use std::pin::Pin;

#[traced(ret)]
fn numbers() -> impl Stream<Item = u32> {
    stream::iter([1, 2, 3])
}

#[traced(err)]
fn lines() -> impl Stream<Item = Result<String, std::io::Error>> {
    stream::iter([Ok("one".to_owned())])
}

#[traced_rpc(client, service = "shop.v1.Inventory", method = "Watch", server = "inventory:50051", err = false)]
fn watch(
    request: tonic::Request<u32>,
) -> Pin<Box<dyn Stream<Item = Result<u32, tonic::Status>> + Send>> {
    Box::pin(stream::iter([Ok(*request.get_ref())]))
}

#[traced_rpc(client, service = "shop.v1.Inventory", method = "Watch", server = "inventory:50051", err)]
fn watch_err(
    request: tonic::Request<u32>,
) -> Pin<Box<dyn Stream<Item = Result<u32, tonic::Status>> + Send>> {
    Box::pin(stream::iter([Ok(*request.get_ref())]))
}

fn main() {}
