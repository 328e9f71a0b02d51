//! A function's expectation the expansion splits keeps its place among the
//! levels written after it: a later `deny` of one of its lints wins, as it does
//! without the macro.

use otel_traced::traced;

#[traced]
#[expect(unused_variables, non_snake_case, reason = "the deny after it wins")]
#[deny(non_snake_case)]
fn handle(id: u64, #[skip] Flags: u8) -> u64 {
    id
}

fn main() {
    let _ = handle(1, 2);
}
