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

#[traced_rpc(client, http)]
fn fetch(mut request: http::Request<()>) -> http::StatusCode {
    let _ = request.uri();
    http::StatusCode::OK
}

fn main() {}
