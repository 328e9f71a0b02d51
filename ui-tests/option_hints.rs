//! Mistakes whose errors say the fix: an option of `#[traced_rpc]` on `#[traced]`,
//! a quoted kind or sampling, a list option given twice, a key holding `-`
//! written without quotes, `baggage(..)` written as `set_baggage(..)`, an unknown
//! `#[attr]` argument, a run-time destination, `ret` and `err` where nothing is
//! returned or no `Result` is.
#![allow(unused_variables)]

use otel_traced::{traced, traced_rpc};
use std::collections::HashMap;

#[traced(http, route = "/users/{id}")]
fn route_on_traced(id: u64) {}

#[traced(kind = "server")]
fn quoted_kind() {}

#[traced(sample = "never")]
fn quoted_sampling() {}

#[traced(skip(a), skip(b))]
fn skipped_twice(a: u8, b: u8) {}

#[traced(attrs(http.request.header.x-tenant = tenant))]
fn hyphenated(tenant: &str) {}

#[traced(baggage(user.id = id))]
fn baggage_assigned(id: u64) {}

#[traced]
fn attr_key_named(#[attr(key = "order.id")] id: u64) {}

#[traced_rpc(messaging, send, system = "kafka", destination = topic, carrier = headers)]
fn dynamic_destination(headers: &mut HashMap<String, String>, topic: &str) {}

#[traced(ret)]
fn returns_nothing() {}

#[traced(err)]
fn err_of_nothing() {}

#[traced(err)]
fn err_of_an_option() -> Option<u32> {
    None
}

fn main() {}
