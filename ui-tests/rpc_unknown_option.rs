//! An unknown option of `#[traced_rpc]` is named, with every option it accepts.
#![allow(unused_variables)]

use otel_traced::traced_rpc;
use tonic::Request;

#[traced_rpc(servce = "shop.v1.Inventory")]
fn reserve(request: Request<()>) {}

fn main() {}
