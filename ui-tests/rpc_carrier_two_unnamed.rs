//! Two parameters written `_` that could both carry the headers: the error asks
//! to name the one that does (`carrier = _` cannot be written).

use otel_traced::traced_rpc;

#[traced_rpc(http, route = "/healthz")]
fn healthz(_: &http::Request<()>, _: &http::HeaderMap) -> http::StatusCode {
    http::StatusCode::NO_CONTENT
}

fn main() {}
