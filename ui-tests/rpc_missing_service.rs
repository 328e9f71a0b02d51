//! gRPC (the default protocol) needs `service = "package.Service"`: the span name
//! is `package.Service/Method`.
#![allow(unused_variables)]

use otel_traced::traced_rpc;
use tonic::Request;

#[traced_rpc]
fn reserve(request: Request<()>) {}

#[traced_rpc(client, grpc, method = "Reserve")]
fn call_reserve(request: Request<()>) {}

fn main() {}
