//! An option list that does not parse (a missing comma) is that error alone: its
//! options are unknown, and the boundary's checks would call `http` missing.
#![allow(unused_variables)]

use otel_traced::traced_rpc;

#[traced_rpc(http route = "/users/{id}")]
fn get_user(request: http::Request<()>) -> http::StatusCode {
    http::StatusCode::OK
}

fn main() {}

/// The parameters' own attributes are taken off all the same.
#[otel_traced::traced(skip(a) name = "x")]
fn annotated(#[skip] a: u8, #[attr("k")] b: u8) {}
