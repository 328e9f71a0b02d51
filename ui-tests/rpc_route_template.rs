//! `route` and `template` are checked path templates: an absolute path whose
//! variable parts are `{name}` (or `{*rest}`, `{name:pattern}`), without fragment
//! (a route without query), short enough to name a span after its method.
#![allow(unused_variables)]

use otel_traced::traced_rpc;

#[traced_rpc(http, route = "users/{id}")]
fn no_leading_slash(request: http::Request<()>) {}

#[traced_rpc(http, route = "/users/{id")]
fn unclosed(request: http::Request<()>) {}

#[traced_rpc(http, route = "/users/id}")]
fn closes_nothing(request: http::Request<()>) {}

#[traced_rpc(http, route = "/users?id={id}")]
fn with_query(request: http::Request<()>) {}

#[traced_rpc(http, route = "/users/{id}#profile")]
fn with_fragment(request: http::Request<()>) {}

#[traced_rpc(http, route = "/users/{}")]
fn empty_variable(request: http::Request<()>) {}

#[traced_rpc(http, route = "/users/{id} ")]
fn trailing_space(request: http::Request<()>) {}

#[traced_rpc(client, http, template = "/users/{user id}")]
fn space_in_variable(request: http::Request<()>) {}

#[traced_rpc(client, http, template = "/users/{a/b}")]
fn slash_in_variable(request: http::Request<()>) {}

#[traced_rpc(http, route = r"/users/{:\d+}")]
fn pattern_without_a_name(request: http::Request<()>) {}

#[traced_rpc(http, route = "/users/{id:}")]
fn name_without_a_pattern(request: http::Request<()>) {}

#[traced_rpc(http, route = r"/users/{id:\d{3}")]
fn pattern_not_closed(request: http::Request<()>) {}

#[traced_rpc(client, http, template = "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
fn too_long(request: http::Request<()>) {}

fn main() {}
