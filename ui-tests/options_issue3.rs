#![allow(unused_variables)]

use otel_traced::traced;

struct Card;

#[traced(attrs(order.id))]
fn attrs_without_value(id: u64) {}

#[traced(attrs(Order.ID = 1, "order..x" = 2, otel.kind = 3))]
fn attrs_bad_keys() {}

#[traced(attrs(order.id = 1, order.id = 2))]
fn attrs_twice() {}

#[traced(attrs(user = 1))]
fn attrs_and_parameter_attr(#[attr] user: u64) {}

#[traced(err = "yes")]
fn err_not_bool() -> Result<(), String> {
    Ok(())
}

#[traced(crate = "otel_traced")]
fn crate_not_a_path() {}

#[traced(ret = true)]
fn ret_with_value() {}

fn main() {}
