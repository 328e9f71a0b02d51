//! Without `carrier = ..`, exactly one parameter must be written as a
//! `Request<..>`, `HeaderMap` or `MetadataMap` (else a `Request` without type
//! arguments): none is an error.
#![allow(unused_variables)]

use otel_traced::traced_rpc;

#[traced_rpc(service = "shop.v1.Inventory")]
fn reserve(sku: String) {}

#[traced_rpc(client, http)]
fn fetch(url: &str) {}

fn main() {}
