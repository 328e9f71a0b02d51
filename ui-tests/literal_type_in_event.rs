#![allow(unused_variables)]

use otel_traced::{event, traced};

#[traced]
fn f() {
    event!("served", http.response.status_code = true);
}

fn main() {}
