//! A boundary speaks gRPC or HTTP, not both.
#![allow(unused_variables)]

use otel_traced::traced_rpc;

#[traced_rpc(grpc, http, route = "/users/{id}")]
fn get_user(request: http::Request<()>) {}

fn main() {}
