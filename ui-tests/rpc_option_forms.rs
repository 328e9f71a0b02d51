//! Each option of `#[traced_rpc]` written the wrong way says how it is written.
#![allow(unused_variables)]

use otel_traced::traced_rpc;
use std::collections::HashMap;
use tonic::Request;

#[traced_rpc(server(main), service = "shop.v1.Inventory")]
fn server_with_a_list(request: Request<()>) {}

#[traced_rpc(client = true, service = "shop.v1.Inventory")]
fn client_with_value(request: Request<()>) {}

#[traced_rpc(grpc = true, service = "shop.v1.Inventory")]
fn grpc_with_value(request: Request<()>) {}

#[traced_rpc(service = "shop.v1.Inventory", method)]
fn method_without_value(request: Request<()>) {}

#[traced_rpc(http, route)]
fn route_without_value(request: http::Request<()>) {}

#[traced_rpc(client, http, template)]
fn template_without_value(request: http::Request<()>) {}

#[traced_rpc(messaging = "kafka", send, system = "kafka", destination = "orders", carrier = headers)]
fn messaging_with_value(headers: &mut HashMap<String, String>) {}

#[traced_rpc(messaging, send = true, system = "kafka", destination = "orders", carrier = headers)]
fn operation_with_value(headers: &mut HashMap<String, String>) {}

#[traced_rpc(messaging, send, system, destination = "orders", carrier = headers)]
fn system_without_value(headers: &mut HashMap<String, String>) {}

#[traced_rpc(messaging, send, system = kafka, destination = "orders", carrier = headers)]
fn system_not_a_literal(headers: &mut HashMap<String, String>) {}

#[traced_rpc(messaging, send, system = "kafka", destination, carrier = headers)]
fn destination_without_value(headers: &mut HashMap<String, String>) {}

#[traced_rpc(messaging, settle, operation_name, system = "kafka", destination = "orders", carrier = headers)]
fn operation_name_without_value(headers: &HashMap<String, String>) {}

#[traced_rpc(http, route = "/users", carrier)]
fn carrier_without_value(request: http::Request<()>) {}

#[traced_rpc(messaging, process, system = "kafka", destination = "orders", consumer_group, carrier = headers)]
fn consumer_group_without_value(headers: &HashMap<String, String>) {}

fn main() {}
