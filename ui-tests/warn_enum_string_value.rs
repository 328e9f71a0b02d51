// A warning of the macro, made an error so that its output is pinned.
#![deny(deprecated)]
#![allow(unused_variables)]

use otel_traced::traced;

#[traced(attrs(http.request.method = "GTE"))]
fn f() {}

#[traced(attrs(http.request.method = "post"))]
fn g() {}

// Unknown, and near no known value (`jms` is two letters changed): no hint.
#[traced(attrs(messaging.system = "sqs"))]
fn h() {}

fn main() {}
