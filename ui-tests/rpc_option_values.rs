//! The values of `#[traced_rpc]` options: names are string literals, known and
//! checked at compile time; the carrier is a parameter name; flags take no value.
#![allow(unused_variables)]

use otel_traced::traced_rpc;
use tonic::Request;

#[traced_rpc(service = 5)]
fn service_not_a_string(request: Request<()>) {}

#[traced_rpc(service)]
fn service_without_value(request: Request<()>) {}

#[traced_rpc(service = "shop.v1.Inventory", method = Reserve)]
fn method_not_a_string(request: Request<()>) {}

#[traced_rpc(http, route = ROUTE)]
fn route_not_a_string(request: http::Request<()>) {}

#[traced_rpc(messaging, process, system = "kafka", consumer_group = GROUP, carrier = headers)]
fn group_not_a_string(headers: &std::collections::HashMap<String, String>) {}

const ROUTE: &str = "/users";
const GROUP: &str = "billing";

#[traced_rpc(http, route = "/users", carrier = "request")]
fn carrier_a_string(request: http::Request<()>) {}

#[traced_rpc(http = true, route = "/users")]
fn flag_with_value(request: http::Request<()>) {}

#[traced_rpc(service = "shop.v1.Inventory", service = "shop.v1.Stock")]
fn service_twice(request: Request<()>) {}

fn main() {}
