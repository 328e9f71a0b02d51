//! `#[traced_rpc]` refuses `name =` and `kind =`: the conventions name the span
//! (from `service`/`method`, the method and `route`/`template`, or a messaging
//! operation and destination) and the side or the operation is its kind. Both
//! mistakes of one annotation are reported in one build.
#![allow(unused_variables)]

use otel_traced::traced_rpc;
use std::collections::HashMap;
use tonic::Request;

#[traced_rpc(service = "shop.v1.Inventory", name = "reserve", kind = client)]
fn reserve(request: Request<()>) {}

#[traced_rpc(messaging, send, system = "kafka", destination = "orders", carrier = headers, name = "publish orders", kind = producer)]
fn publish(headers: &mut HashMap<String, String>) {}

fn main() {}
