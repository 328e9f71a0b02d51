//! A `carrier` written wrong is said once, not again as a carrier missing.
#![allow(unused_variables)]

use otel_traced::traced_rpc;

struct Envelope;

#[traced_rpc(service = "shop.v1.Orders", carrier = envelope.headers)]
fn handle(envelope: &Envelope) {}

fn main() {}
