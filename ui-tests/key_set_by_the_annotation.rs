//! A key the annotation sets itself cannot be declared too: one value would
//! silently replace the other.
#![allow(unused_variables)]

use otel_traced::{traced, traced_rpc};

#[traced(attrs(code.function.name = "other"))]
fn located() {}

#[traced(code = false, attrs(code.function.name = "other"))]
fn located_by_hand() {}

#[traced(ret, attrs(return.value = 0))]
fn returned() -> u8 {
    1
}

#[traced(attrs(error.type = "none"))]
fn failing() -> Result<(), String> {
    Ok(())
}

#[traced(attrs(otel_traced.cancelled = true))]
fn forged() {}

#[traced_rpc(service = "shop.v1.Inventory", attrs(rpc.method = "Other"))]
fn reserve(request: tonic::Request<()>) {}

#[traced_rpc(http, route = "/users/{id}", attrs(http.route = "/other"))]
fn user(#[attr("http.route")] request: &http::Request<()>) {}

fn main() {}
