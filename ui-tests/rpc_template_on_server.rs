//! An HTTP server names its span by its `route`; `template` is a client's URL
//! template.
#![allow(unused_variables)]

use otel_traced::traced_rpc;

#[traced_rpc(http, template = "/users/{id}")]
fn get_user(request: http::Request<()>) {}

fn main() {}
