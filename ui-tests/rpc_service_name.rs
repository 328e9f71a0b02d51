//! A gRPC service is named as in the .proto file: dot-separated identifiers.
#![allow(unused_variables)]

use otel_traced::traced_rpc;
use tonic::Request;

#[traced_rpc(service = "shop.v1/Inventory")]
fn with_slash(request: Request<()>) {}

#[traced_rpc(service = "shop..Inventory")]
fn empty_segment(request: Request<()>) {}

#[traced_rpc(service = "")]
fn empty(request: Request<()>) {}

#[traced_rpc(service = "shop.v1.2Inventory")]
fn leading_digit(request: Request<()>) {}

fn main() {}
