#![allow(unused_variables)]

use otel_traced::traced;

#[traced]
fn bad_key(#[attr("Order-ID")] id: u64) {}

#[traced]
fn empty_segment(#[attr("order..id")] id: u64) {}

#[traced]
fn reserved(#[attr("otel.status_code")] code: u64) {}

#[traced]
fn declared_twice(#[attr("order.id")] a: u64, #[attr("order.id")] b: u64) {}

#[traced]
fn same_name_twice(#[attr] user: u64, #[attr("user")] name: &str) {}

fn main() {}
