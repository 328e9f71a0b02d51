//! A messaging boundary needs its operation and system; its side is its operation,
//! and the gRPC and HTTP options are not for it, nor its options for them; the
//! system's name of its operation, the broker named with `server =` and a
//! consumer's group are checked too.
#![allow(unused_variables)]

use otel_traced::traced_rpc;
use std::collections::HashMap;

type Headers = HashMap<String, String>;

#[traced_rpc(messaging, system = "kafka", carrier = headers)]
fn no_operation(headers: &mut Headers) {}

#[traced_rpc(messaging, send, carrier = headers)]
fn no_system(headers: &mut Headers) {}

#[traced_rpc(messaging, send, system = "Apache Kafka", carrier = headers)]
fn bad_system(headers: &mut Headers) {}

#[traced_rpc(messaging, send, receive, system = "kafka", carrier = headers)]
fn two_operations(headers: &mut Headers) {}

#[traced_rpc(messaging, client, send, system = "kafka", service = "shop.Orders", carrier = headers)]
fn rpc_options(headers: &mut Headers) {}

#[traced_rpc(messaging, send, system = "kafka", destination = "", carrier = headers)]
fn empty_destination(headers: &mut Headers) {}

#[traced_rpc(messaging, send, system = "kafka", destination = "orders", server = "kafka 1:9092,kafka-2:9092", carrier = headers)]
fn bad_broker(headers: &mut Headers) {}

#[traced_rpc(messaging, send, system = "kafka", destination = "orders\tnew", carrier = headers)]
fn control_character_in_destination(headers: &mut Headers) {}

#[traced_rpc(send, system = "kafka", destination = "orders")]
fn operation_without_messaging(request: http::Request<()>) {}

#[traced_rpc(messaging, settle, operation_name = "basic ack", system = "rabbitmq", destination = "orders", carrier = headers)]
fn bad_operation_name(headers: &Headers) {}

#[traced_rpc(http, operation_name = "ack")]
fn operation_name_elsewhere(request: http::Request<()>) {}

#[traced_rpc(messaging, settle, operation_name = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", system = "kafka", carrier = headers)]
fn operation_name_too_long(headers: &Headers) {}

#[traced_rpc(messaging, send, system = "kafka", destination = "orders", consumer_group = "billing", carrier = headers)]
fn consumer_group_of_a_producer(headers: &mut Headers) {}

#[traced_rpc(messaging, process, system = "kafka", destination = "orders", consumer_group = " ", carrier = headers)]
fn empty_consumer_group(headers: &Headers) {}

#[traced_rpc(messaging, process, system = "kafka", destination = "orders", consumer_group = "billing\nteam", carrier = headers)]
fn control_character_in_consumer_group(headers: &Headers) {}

#[traced_rpc(http, consumer_group = "billing")]
fn consumer_group_elsewhere(request: http::Request<()>) {}

#[traced_rpc(messaging, send, system = "kafka", destination = "orders", method = "Send", route = "/orders", template = "/orders", carrier = headers)]
fn http_options(headers: &mut Headers) {}

#[traced_rpc(messaging, create, system = "kafka", destination = "orders")]
fn create_without_carrier(headers: &mut Headers) {}

#[traced_rpc(messaging, create, system = "kafka", destination = "orders", consumer_group = "billing", carrier = headers)]
fn consumer_group_of_a_creator(headers: &mut Headers) {}

#[traced_rpc(receive, system = "kafka", destination = "orders")]
fn receive_without_messaging(request: http::Request<()>) {}

fn main() {}

// A destination with a variable part: the advice is a fixed one's, not an HTTP route's.
#[traced_rpc(messaging, send, system = "activemq", operation_name = "SEND", destination = "/queue/{tenant}", carrier = headers)]
fn templated_destination(headers: &mut Headers) {}
