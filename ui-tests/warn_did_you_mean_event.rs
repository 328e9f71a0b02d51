// A warning of the macro, made an error so that its output is pinned.
#![deny(deprecated)]
#![allow(unused_variables)]

use otel_traced::{event, traced};

#[traced]
fn f() {
    event!("served", http.response.status_cod = 200);
}

fn main() {}
