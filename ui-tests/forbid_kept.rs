//! A parameter's `forbid` still holds over what a pattern binds: an unused
//! binding is the error it would be without the expansion; and a level after it
//! on the parameter is still refused.

use otel_traced::traced;

#[traced]
fn first(#[forbid(unused_variables)] (a, b): (u32, u32)) -> u32 {
    a
}

#[traced]
fn second(#[forbid(non_snake_case)] #[allow(non_snake_case)] #[skip] N: u32) -> u32 {
    N
}

fn main() {
    let _ = (first((1, 2)), second(3));
}
