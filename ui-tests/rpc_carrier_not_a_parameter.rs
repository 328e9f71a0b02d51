//! `carrier = ..` names a parameter of the function: a whole one, not a binding
//! of a parameter's pattern.
#![allow(unused_variables)]

use otel_traced::traced_rpc;
use std::collections::HashMap;

#[traced_rpc(http, route = "/users", carrier = headers)]
fn list_users(request: http::Request<()>) {}

struct Message {
    headers: HashMap<String, String>,
    body: String,
}

#[traced_rpc(messaging, process, system = "kafka", destination = "orders", carrier = headers)]
fn handle(Message { headers, .. }: Message) {}

fn main() {}
