//! `service` and `method` are gRPC's: an HTTP span is named by its method (from the
//! request) and its route or URL template.
#![allow(unused_variables)]

use otel_traced::traced_rpc;

#[traced_rpc(http, service = "shop.v1.Users", route = "/users/{id}")]
fn get_user(request: http::Request<()>) {}

#[traced_rpc(client, http, method = "GetUser")]
fn fetch_user(request: http::Request<()>) {}

fn main() {}
