//! The receiver cannot be the carrier.
#![allow(unused_variables)]

use otel_traced::traced_rpc;

struct Outgoing;

impl Outgoing {
    #[traced_rpc(messaging, send, system = "kafka", destination = "orders", carrier = self)]
    fn send(&mut self) {}

    #[traced_rpc(messaging, send, system = "kafka", destination = "orders", batch = self)]
    fn send_all(&mut self) {}
}

fn main() {}
