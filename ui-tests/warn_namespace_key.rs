// A warning of the macro, made an error so that its output is pinned: a key that
// is a namespace of the semantic conventions (the spec: names should not coincide
// with namespaces).
#![deny(deprecated)]

use otel_traced::{record, traced};

#[traced(attrs(http.request = "GET /"))]
fn f() {
    record!(messaging.destination = "orders");
}

fn main() {}
