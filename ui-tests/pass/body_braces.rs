//! An annotated body is kept in its own braces (its crate's edition decides when
//! its last expression's temporaries drop), but for a body of its last expression
//! alone, whose braces the compiler would call unnecessary.
#![deny(warnings, unused_braces)]

use otel_traced::traced;

#[traced]
fn listed() -> Vec<u32> { vec!{1, 2} }

#[traced]
async fn listed_async() -> Vec<u32> { vec!{1, 2} }

#[traced]
fn summed(values: &[u32]) -> u32 { values.iter().sum() }

#[traced]
fn with_a_local() -> usize {
    let name = String::from("lamp");
    name.len()
}

fn main() {
    let _ = (listed(), listed_async(), summed(&[1]), with_a_local());
}
