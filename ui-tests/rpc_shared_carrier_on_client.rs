//! A client writes its context into the carrier: a shared reference cannot be one.
#![allow(unused_variables)]

use otel_traced::traced_rpc;

#[traced_rpc(client, http)]
fn fetch(headers: &http::HeaderMap) {}

fn main() {}
