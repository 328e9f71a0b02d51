//! `server = ".."` written as a literal is checked as `host:port`, an HTTP URL or a
//! gRPC target name.
#![allow(unused_variables)]

use otel_traced::traced_rpc;
use tonic::Request;

#[traced_rpc(client, service = "shop.v1.Inventory", server = "inventory")]
fn no_port(request: Request<()>) {}

#[traced_rpc(client, service = "shop.v1.Inventory", server = "inventory:grpc")]
fn port_not_a_number(request: Request<()>) {}

#[traced_rpc(client, service = "shop.v1.Inventory", server = "inventory:+50051")]
fn port_with_a_sign(request: Request<()>) {}

#[traced_rpc(client, service = "shop.v1.Inventory", server = ":50051")]
fn no_host(request: Request<()>) {}

#[traced_rpc(client, service = "shop.v1.Inventory", server = "grpc://inventory")]
fn not_a_url_scheme(request: Request<()>) {}

#[traced_rpc(client, service = "shop.v1.Inventory", server = "[::1]50051")]
fn no_colon_before_the_port(request: Request<()>) {}

#[traced_rpc(client, service = "shop.v1.Inventory", server = "fe80::1:50051")]
fn ipv6_without_brackets(request: Request<()>) {}

#[traced_rpc(client, service = "shop.v1.Inventory", server = "dns:///")]
fn a_target_name_without_a_name(request: Request<()>) {}

#[traced_rpc(client, service = "shop.v1.Inventory", server = "dns:///inventory:grpc")]
fn a_target_name_whose_port_is_not_a_number(request: Request<()>) {}

#[traced_rpc(client, service = "shop.v1.Inventory", server = "unix://")]
fn a_socket_without_a_path(request: Request<()>) {}

fn main() {}
