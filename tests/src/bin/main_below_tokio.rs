//! `#[otel_traced::main]` below `#[tokio::main]`: the guard wraps the runtime.

use otel_traced::traced;

#[traced]
async fn step(number: u32) -> u32 {
    tokio::task::yield_now().await;
    number
}

#[tokio::main(flavor = "current_thread")]
#[otel_traced::main]
async fn main() {
    for number in 0..3 {
        step(number).await;
    }
}
