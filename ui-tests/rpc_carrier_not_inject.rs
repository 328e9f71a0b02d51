//! A client's carrier must implement `Inject`: the type system says so, at the
//! carrier, with the types that do.
#![allow(unused_variables)]

use otel_traced::traced_rpc;

#[traced_rpc(client, http, carrier = body)]
fn create_user(body: String) {}

fn main() {}
