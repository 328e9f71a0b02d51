//! A server's carrier must implement `Extract`: the type system says so, at the
//! carrier, with the types that do.
#![allow(unused_variables)]

use otel_traced::traced_rpc;

#[traced_rpc(http, route = "/users", carrier = body)]
fn create_user(body: String) {}

fn main() {}
