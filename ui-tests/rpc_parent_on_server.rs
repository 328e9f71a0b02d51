//! A server's parent is the context extracted from its request: `parent` is for
//! clients (a server's `root` starts a new trace linked to its caller's).
#![allow(unused_variables)]

use otel_traced::opentelemetry::Context;
use otel_traced::traced_rpc;
use tonic::Request;

#[traced_rpc(service = "shop.v1.Inventory", parent = context)]
fn reserve(request: Request<()>, context: &Context) {}

fn main() {}
