#![allow(unused_variables)]

use otel_traced::traced;

#[traced]
fn skip_and_attr(#[skip] #[attr] a: u8) {}

#[traced]
fn pattern(#[attr] (a, b): (u8, u8)) {}

#[traced]
fn skip_with_arguments(#[skip(always)] a: u8) {}

#[traced]
fn unknown_flag(#[attr(debug)] a: u8) {}

#[traced]
fn not_a_flag(#[attr("key", 5)] a: u8) {}

#[traced]
fn trailing(#[attr(display, extra)] a: u8) {}

#[traced(skip(a))]
fn skipped_and_recorded(#[attr] a: u8) {}

#[traced]
fn skipped_in_release(#[cfg_attr(not(debug_assertions), skip)] a: u8) {}

#[traced]
fn recorded_under_a_nested_condition(#[cfg_attr(unix, allow(unused), cfg_attr(test, attr("k")))] a: u8) {}

#[traced]
fn configured_under_a_condition(#[cfg_attr(unix, cfg(test))] a: u8) {}

fn main() {}
