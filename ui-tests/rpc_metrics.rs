//! `#[traced_rpc]` refuses `metrics` on a gRPC or HTTP boundary: it always records
//! the duration histogram of its conventions when metrics are exported.
#![allow(unused_variables)]

use otel_traced::traced_rpc;

#[traced_rpc(http, route = "/users", metrics)]
fn list(request: &http::Request<()>) {}

fn main() {}
