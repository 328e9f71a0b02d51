//! A crate forbidding `unsafe_code` builds with the annotations, the catalog on (the
//! tests' build turns it on): its entries' registration is the library's own.
#![forbid(unsafe_code)]
#![deny(warnings)]

use otel_traced::{traced, traced_rpc};

#[traced]
fn plain(id: u64) -> u64 {
    id
}

#[traced_rpc(http, route = "/users/{id}")]
fn get_user(request: &http::Request<()>) -> http::StatusCode {
    let _ = request;
    http::StatusCode::OK
}

fn main() {
    let _ = plain(1);
    let _ = get_user(&http::Request::new(()));
    // The catalog is on here, and holds them.
    assert_eq!(otel_traced::catalog().len(), 2);
}
