//! The span name `package.Service/Method` obeys the span-name rules: a service
//! whose full name is over 255 bytes is refused, pointed at the longer name.
#![allow(unused_variables)]

use otel_traced::traced_rpc;
use tonic::Request;

#[traced_rpc(service = "shop.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.v1.Inventory")]
fn reserve(request: Request<()>) {}

// The method is the long part.
#[traced_rpc(service = "shop.v1.Inventory", method = "Methodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethod")]
fn reserve_more(request: Request<()>) {}

// The function's name is the method's, and the long part.
#[traced_rpc(service = "shop.v1.Inventory")]
fn methodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethodethod(request: Request<()>) {}

fn main() {}
