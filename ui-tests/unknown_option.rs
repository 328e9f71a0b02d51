#![allow(unused_variables)]

use otel_traced::traced;

#[traced(nmae = "checkout")]
fn checkout() {}

#[traced(level = "info", skip_all)]
fn pay() {}

// Every mistake of one annotation is reported in the same build.
#[traced(verbose, skip(missing))]
fn refund(amount: u64) {}

fn main() {
    checkout();
    pay();
    refund(1);
}
