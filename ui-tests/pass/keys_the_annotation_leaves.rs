//! Keys the annotation does not set in a given case stay the application's:
//! `error.type` on a stream of no `Result`, one under `err = false` or a
//! messaging boundary without `err`,
//! `server.address` on an HTTP client (its URL may name the server), `code.*`
//! under `code = false`.
#![deny(warnings)]

use otel_traced::{traced, traced_rpc};
use std::collections::HashMap;
use std::pin::Pin;

#[traced(attrs(error.type = "none"))]
fn counts() -> Pin<Box<dyn futures::Stream<Item = u32> + Send>> {
    Box::pin(futures::stream::iter([1]))
}

#[traced(err = false, attrs(error.type = "none"))]
fn tries() -> impl futures::Stream<Item = Result<u32, std::io::Error>> {
    futures::stream::iter([Ok(1)])
}

#[traced_rpc(messaging, send, system = "kafka", destination = "orders", carrier = headers, attrs(error.type = "none"))]
fn send(headers: &mut HashMap<String, String>) {
    let _ = headers;
}

#[traced_rpc(http, client, attrs(server.address = "inventory"))]
fn call(request: &mut http::Request<()>) {
    let _ = request;
}

#[traced(code = false, attrs(code.function.name = "by_hand"))]
fn located_by_hand() {}

fn main() {
    drop(counts());
    drop(tries());
    send(&mut HashMap::new());
    call(&mut http::Request::new(()));
    located_by_hand();
}
