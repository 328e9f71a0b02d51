// A warning of the macro, made an error so that its output is pinned: a key that
// is a namespace of the semantic conventions (the spec: names should not coincide
// with namespaces), named by a key of it rather than by a template's prefix, and a
// key under another key.
#![deny(deprecated)]

use otel_traced::{record, traced};

#[traced(attrs(http.request = "GET /"))]
fn f() {
    record!(messaging.destination = "orders");
    record!(db.query = "SELECT 1");
    record!(http.route.name = "orders");
}

fn main() {}
