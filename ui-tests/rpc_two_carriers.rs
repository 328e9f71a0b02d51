//! Two parameters that could both carry the headers: `carrier = ..` says which.
#![allow(unused_variables)]

use otel_traced::traced_rpc;

#[traced_rpc(http, route = "/users")]
fn list_users(request: http::Request<()>, extra: &http::HeaderMap) {}

fn main() {}
