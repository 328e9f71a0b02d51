// A warning of the macro, made an error so that its output is pinned: a messaging
// system the registry does not know, with the nearest it does.
#![deny(deprecated)]
#![allow(unused_variables)]

use otel_traced::traced_rpc;
use std::collections::HashMap;

#[traced_rpc(messaging, process, system = "kafak", destination = "orders", carrier = headers)]
fn process(headers: &HashMap<String, String>) {}

// A known one in other case.
#[traced_rpc(messaging, process, system = "RabbitMQ", destination = "orders", carrier = headers)]
fn process_rabbitmq(headers: &HashMap<String, String>) {}

// One of the application's own, no near miss: nothing to say.
#[traced_rpc(messaging, process, system = "nats", destination = "orders", carrier = headers)]
fn process_nats(headers: &HashMap<String, String>) {}

// Nor one written in capitals or with a dash.
#[traced_rpc(messaging, process, system = "IBM-MQ", destination = "orders", carrier = headers)]
fn process_ibm_mq(headers: &HashMap<String, String>) {}

// Short names two edits from `jms` are no slips either.
#[traced_rpc(messaging, process, system = "zmq", destination = "orders", carrier = headers)]
fn process_zmq(headers: &HashMap<String, String>) {}

#[traced_rpc(messaging, process, system = "ems", destination = "orders", carrier = headers)]
fn process_ems(headers: &HashMap<String, String>) {}

fn main() {}
