// A `mut` the body does not need is reported as without the macro, on the
// parameter (the expansion binds it where the body starts); a client's carrier,
// which the macro writes into, may be `mut` without a word.
#![deny(unused_mut)]

use otel_traced::{traced, traced_rpc};

#[traced]
fn sync(mut count: u64) -> u64 {
    count
}

#[traced]
async fn later(mut count: u64) -> u64 {
    count
}

// Named in the options, but in no expression that could change them.
#[traced(name = "lookup", attrs(shop.order.id = 1_u64, shop.order.lines = lines.len()))]
fn lookup(mut id: u64, mut name: u64, lines: Vec<u8>) -> u64 {
    id + name
}

#[traced_rpc(client, http)]
fn fetch(mut request: http::Request<()>) -> http::StatusCode {
    let _ = request.uri();
    http::StatusCode::OK
}

fn main() {}
