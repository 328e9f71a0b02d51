//! A parameter's `forbid` still holds over what a pattern binds: an unused
//! binding is the error it would be without the expansion.

use otel_traced::traced;

#[traced]
fn first(#[forbid(unused_variables)] (a, b): (u32, u32)) -> u32 {
    a
}

fn main() {
    let _ = first((1, 2));
}
