//! A key the annotation sets itself cannot be declared too: one value would
//! silently replace the other.
#![allow(unused_variables)]

use otel_traced::{traced, traced_rpc};

#[traced(attrs(code.function.name = "other"))]
fn located() {}

#[traced(ret, attrs(return.value = 0))]
fn returned() -> u8 {
    1
}

#[traced(attrs(error.type = "none"))]
fn failing() -> Result<(), String> {
    Ok(())
}

#[traced(attrs(otel_traced.cancelled = true))]
fn forged() {}

#[traced_rpc(service = "shop.v1.Inventory", attrs(rpc.method = "Other"))]
fn reserve(request: tonic::Request<()>) {}

#[traced_rpc(http, route = "/users/{id}", attrs(http.route = "/other"))]
fn user(#[attr("http.route")] request: &http::Request<()>) {}

/// A stream's `Err` items record their type there.
#[traced(attrs(error.type = "none"))]
fn rows() -> impl futures::Stream<Item = Result<u8, String>> {
    futures::stream::iter([Ok(1)])
}

#[traced_rpc(messaging, receive, system = "kafka", destination = "orders", batch = return, attrs(messaging.batch.message_count = 2))]
fn poll() -> Vec<std::collections::HashMap<String, String>> {
    Vec::new()
}

/// A boxed stream of `Result`s written through an alias: its `Err` items record
/// their type.
type Fetched = Result<u8, String>;

#[traced(attrs(error.type = "none"))]
fn fetched() -> std::pin::Pin<Box<dyn futures::Stream<Item = Fetched> + Send>> {
    Box::pin(futures::stream::iter([Ok(1)]))
}

/// A server reading a header map, which tells no method: `_OTHER` names it.
#[traced_rpc(http, carrier = headers, attrs(http.request.method = "GET"))]
fn served_headers(headers: &http::HeaderMap) {}

#[traced_rpc(client, service = "shop.v1.Inventory", server = "inventory:50051", attrs(server.address = "stock"))]
fn reserve_remote(request: &mut tonic::Request<()>) {}

#[traced_rpc(http, attrs(http.request.method = "GET", http.response.status_code = 200))]
fn served(request: &http::Request<()>) {}

fn main() {}
