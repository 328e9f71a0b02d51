//! An HTTP client names its span by its URL `template`; `route` is a server's.
#![allow(unused_variables)]

use otel_traced::traced_rpc;

#[traced_rpc(client, http, route = "/users/{id}")]
fn fetch_user(request: http::Request<()>) {}

fn main() {}
