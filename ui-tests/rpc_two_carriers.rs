//! Two parameters that could both carry the headers: `carrier = ..` says which.
#![allow(unused_variables)]

use otel_traced::traced_rpc;

#[traced_rpc(http, route = "/users")]
fn list_users(request: http::Request<()>, extra: &http::HeaderMap) {}

mod handlers {
    use http::request::Parts;

    // A server's headers beside its request's head (which tells the method and
    // path too), imported: a choice to make.
    #[otel_traced::traced_rpc(http, route = "/users")]
    fn create_user(headers: http::HeaderMap, parts: Parts) {}

    // A client writes a request: its head is no carrier to it.
    #[otel_traced::traced_rpc(client, http)]
    fn call_users(parts: &mut Parts) {}
}

fn main() {}
