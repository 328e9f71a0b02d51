//! The span name `package.Service/Method` obeys the span-name rules: a service
//! whose full name is over 255 bytes is refused.
#![allow(unused_variables)]

use otel_traced::traced_rpc;
use tonic::Request;

#[traced_rpc(service = "shop.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.Inventory")]
fn reserve(request: Request<()>) {}

fn main() {}
