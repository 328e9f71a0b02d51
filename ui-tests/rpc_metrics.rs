//! `#[traced_rpc]` refuses `metrics`: a gRPC, HTTP or messaging boundary always
//! records the duration histogram of its conventions when metrics are exported.
#![allow(unused_variables)]

use otel_traced::traced_rpc;
use std::collections::HashMap;

#[traced_rpc(http, route = "/users", metrics)]
fn list(request: &http::Request<()>) {}

#[traced_rpc(messaging, process, system = "kafka", destination = "orders", carrier = headers, metrics)]
fn handle(headers: &HashMap<String, String>) {}

fn main() {}
