//! A boundary speaks gRPC or HTTP, not both.
#![allow(unused_variables)]

use otel_traced::traced_rpc;

#[traced_rpc(grpc, http, route = "/users/{id}")]
fn get_user(request: http::Request<()>) {}

// Neither protocol takes a messaging system: both mistakes are reported.
#[traced_rpc(grpc, http, system = "kafka")]
fn get_order(request: http::Request<()>) {}

// Nor does a protocol written the wrong way that was not `messaging`.
#[traced_rpc(grpc = true, service = "shop.v1.Orders", system = "kafka")]
fn put_order(request: tonic::Request<()>) {}

// `messaging` among them: its options are no mistake of their own.
#[traced_rpc(messaging, grpc, send, system = "kafka", destination = "orders")]
fn send_order(request: tonic::Request<()>) {}

// Nor beside another protocol written the wrong way.
#[traced_rpc(messaging, send, system = "kafka", destination = "orders", grpc = true)]
fn resend_order(request: tonic::Request<()>) {}

fn main() {}
