//! A server's parent is the context extracted from its request: `parent` and
//! `root` are for clients.
#![allow(unused_variables)]

use otel_traced::opentelemetry::Context;
use otel_traced::traced_rpc;
use tonic::Request;

#[traced_rpc(service = "shop.v1.Inventory", parent = context)]
fn reserve(request: Request<()>, context: &Context) {}

#[traced_rpc(http, route = "/users", root)]
fn list_users(request: http::Request<()>) {}

fn main() {}
