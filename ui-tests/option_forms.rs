//! Each option of `#[traced]` written the wrong way says how it is written.
#![allow(unused_variables)]

use otel_traced::traced;

#[traced(name)]
fn name_as_a_flag() {}

#[traced(kind)]
fn kind_as_a_flag() {}

#[traced(parent)]
fn parent_without_value() {}

#[traced(link)]
fn link_without_value() {}

#[traced(code)]
fn code_as_a_flag() {}

#[traced(skip_all = true)]
fn skip_all_with_value(a: u8) {}

#[traced(err(Io))]
fn err_with_a_list() -> Result<(), std::io::Error> {
    Ok(())
}

#[traced(attrs = 5)]
fn attrs_assigned() {}

#[traced(baggage = "user.id")]
fn baggage_assigned() {}

#[traced(set_baggage)]
fn set_baggage_as_a_flag() {}

#[traced(crate)]
fn crate_as_a_flag() {}

#[traced(ret = true)]
fn ret_with_value() -> u8 {
    1
}

#[traced(sample)]
fn sample_without_value() {}

fn main() {}
