//! A boundary is a server or a client, not both.
#![allow(unused_variables)]

use otel_traced::traced_rpc;
use tonic::Request;

#[traced_rpc(server, client, service = "shop.v1.Inventory")]
fn reserve(request: Request<()>) {}

fn main() {}
