//! `#[traced_rpc]` refuses `name =` and `kind =`: the conventions name the span
//! (from `service`/`method`, or the method and `route`/`template`) and the side is
//! its kind. Both mistakes of one annotation are reported in one build.
#![allow(unused_variables)]

use otel_traced::traced_rpc;
use tonic::Request;

#[traced_rpc(service = "shop.v1.Inventory", name = "reserve", kind = client)]
fn reserve(request: Request<()>) {}

fn main() {}
