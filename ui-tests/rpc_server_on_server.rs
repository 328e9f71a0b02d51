//! `server = "host:port"` names the server a client calls; a server has none,
//! whether the side is written or left to its default.
#![allow(unused_variables)]

use otel_traced::traced_rpc;
use tonic::Request;

#[traced_rpc(service = "shop.v1.Inventory", server = "inventory:50051")]
fn reserve(request: Request<()>) {}

#[traced_rpc(server, http, route = "/users", server = "users:8080")]
fn list_users(request: http::Request<()>) {}

fn main() {}
