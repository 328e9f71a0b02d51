//! `#[otel_traced::main]` on a synchronous `main`, exporting what `main` calls.

use otel_traced::traced;

#[traced]
fn step(number: u32) -> u32 {
    number
}

#[otel_traced::main]
fn main() {
    for number in 0..3 {
        step(number);
    }
}
