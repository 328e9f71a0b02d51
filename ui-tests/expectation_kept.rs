//! A function's expectation of lints the expansion does not touch stays one:
//! unmet, it is said, beside an expectation of `unused_variables` it turns into
//! an `allow` (the expansion uses every parameter).
#![deny(warnings)]

use otel_traced::traced;

#[traced]
#[expect(unused_variables, non_snake_case, reason = "the second is not met")]
fn handle(id: u64, flags: u8) -> u64 {
    id
}

fn main() {
    let _ = handle(1, 2);
}
