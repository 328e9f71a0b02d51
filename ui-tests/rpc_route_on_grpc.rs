//! `route` and `template` are HTTP's: a gRPC span is named by its service and
//! method.
#![allow(unused_variables)]

use otel_traced::traced_rpc;
use tonic::Request;

#[traced_rpc(service = "shop.v1.Inventory", route = "/reserve")]
fn reserve(request: Request<()>) {}

#[traced_rpc(client, grpc, service = "shop.v1.Inventory", template = "/reserve")]
fn call_reserve(request: Request<()>) {}

fn main() {}
