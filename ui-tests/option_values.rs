#![allow(unused_variables)]

use otel_traced::traced;

#[traced(name = checkout)]
fn name_not_literal() {}

#[traced(kind = service)]
fn unknown_kind() {}

#[traced(code = "no")]
fn code_not_bool() {}

#[traced(root = true)]
fn root_with_value() {}

#[traced(skip = "a")]
fn skip_without_list(a: u8) {}

#[traced(metrics = true)]
fn metrics_with_value() {}

#[traced(name =)]
fn missing_value() {}

fn main() {}
