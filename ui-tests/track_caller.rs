//! `#[track_caller]` cannot survive the closure the body runs in.
use otel_traced::traced;

#[traced]
#[track_caller]
fn must_be_positive(value: i32) -> i32 {
    assert!(value > 0);
    value
}

#[traced]
#[cfg_attr(debug_assertions, track_caller)]
fn must_be_negative(value: i32) -> i32 {
    assert!(value < 0);
    value
}

fn main() {
    let _ = must_be_positive(1);
    let _ = must_be_negative(-1);
}
