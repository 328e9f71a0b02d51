//! A gRPC method is an identifier, as in the .proto file.
#![allow(unused_variables, non_snake_case)]

use otel_traced::traced_rpc;
use tonic::Request;

#[traced_rpc(service = "shop.v1.Inventory", method = "Inventory/Reserve")]
fn with_slash(request: Request<()>) {}

#[traced_rpc(service = "shop.v1.Inventory", method = "")]
fn empty(request: Request<()>) {}

#[traced_rpc(service = "shop.v1.Inventory", method = "reserve-stock")]
fn dashed(request: Request<()>) {}

// The function's name, when it names the method, is held to the same rule.
#[traced_rpc(service = "shop.v1.Inventory")]
fn réserver(request: Request<()>) {}

#[traced_rpc(service = "shop.v1.Inventory")]
fn __(request: Request<()>) {}

fn main() {}
