//! `#[otel_traced::main]` on a synchronous `main`, exporting what `main` calls, in
//! the span of `main` itself (`#[traced]` below, opened after the guard).

use otel_traced::traced;

#[traced]
fn step(number: u32) -> u32 {
    number
}

#[otel_traced::main]
#[traced]
fn main() {
    for number in 0..3 {
        step(number);
    }
}
