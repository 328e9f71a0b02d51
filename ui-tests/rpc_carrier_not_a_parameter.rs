//! `carrier = ..` names a parameter of the function.
#![allow(unused_variables)]

use otel_traced::traced_rpc;

#[traced_rpc(http, route = "/users", carrier = headers)]
fn list_users(request: http::Request<()>) {}

fn main() {}
