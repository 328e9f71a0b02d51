//! `link = ..` is evaluated in a closure when the span records, `parent = ..` and
//! `server = ..` only when tracing is installed: none may leave the function or
//! wait there.
#![allow(unused_variables)]

use otel_traced::opentelemetry::Context;
use otel_traced::{traced, traced_rpc};

async fn upstream() -> Context {
    Context::new()
}

fn stored() -> Result<Context, std::io::Error> {
    Ok(Context::new())
}

#[traced(link = &upstream().await)]
async fn job() {}

#[traced(parent = &stored()?)]
fn handle() -> Result<(), std::io::Error> {
    Ok(())
}

#[traced_rpc(http, client, server = if true { return } else { "inventory:80" })]
fn call(request: &mut http::Request<()>) {}

// Refused on a server: said once, as such.
#[traced_rpc(service = "shop.v1.Orders", parent = &stored()?)]
fn served(request: tonic::Request<()>) -> Result<(), std::io::Error> {
    Ok(())
}

fn main() {}
