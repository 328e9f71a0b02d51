//! Flushes once, then shuts down through `Guard::shutdown` (after which the guard
//! is dropped, as `shutdown` takes it), printing its error: what reaches stdout
//! and stderr is checked.

use otel_traced::traced;

#[traced]
fn step(number: u32) -> u32 {
    number
}

fn main() {
    let guard = otel_traced::init().expect("the environment configures tracing");
    for number in 0..3 {
        step(number);
    }
    if let Err(error) = guard.force_flush() {
        eprintln!("flush: {error}");
    }
    if let Err(error) = guard.shutdown() {
        eprintln!("shutdown: {error}");
    }
}
