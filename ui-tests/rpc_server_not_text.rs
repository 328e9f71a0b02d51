//! `server = ..` takes text: a host, `host:port` or a URL.
#![allow(unused_variables)]

use otel_traced::traced_rpc;
use tonic::Request;

#[traced_rpc(client, service = "shop.v1.Inventory", method = "Reserve", server = 50051)]
fn reserve(request: Request<()>) {}

fn main() {}
