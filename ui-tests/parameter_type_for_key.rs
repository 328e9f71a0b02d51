#![allow(unused_variables)]

use otel_traced::traced;

// A parameter's type written out is held to the registry's type for its key.
#[traced]
fn marked(#[attr("http.response.status_code")] status: &str) {}

#[traced(attrs(server.port = port))]
fn named(port: String) {}

// `display` formats only a value of no other kind: a `u64` is recorded as one.
#[traced]
fn displayed(#[attr("enduser.pseudo.id", display)] id: u64) {}

#[traced(attrs("db.query.parameter.0" = id))]
fn template(id: i64) {}

#[traced]
fn listed(#[attr("http.request.method")] methods: Vec<&str>) {}

// A string key says how to record the parameter's `Display`.
#[traced]
fn user(#[attr("user.id")] id: u64) {}

#[traced(attrs(user.id = id))]
fn user_named(id: u64) {}

#[traced(attrs(jvm.thread.daemon = daemon, azure.cosmosdb.operation.request_charge = charge))]
fn boolean_and_float(daemon: &str, charge: u64) {}

#[traced(attrs(container.image.tags = tag))]
fn one_of_many(tag: &str) {}

// Types that fit, and those only the compiler knows, compile.
type Port = &'static str;

#[traced(attrs(server.port = port, server.address = host))]
fn fitting(port: u16, host: &str) {}

#[traced(attrs(server.port = port))]
fn aliased(port: Port) {}

#[traced(attrs(user.id = %id))]
fn user_displayed(#[skip] id: u64) {}

#[traced]
fn port_displayed(#[attr("server.port", display)] port: u16) {}

#[traced(attrs(server.port = port.len()))]
fn computed(port: &str) {}

fn main() {}
