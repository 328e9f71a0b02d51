//! `#[otel_traced::main]` below `#[tokio::main]`: the guard wraps the runtime, so a
//! task still pending when `main` returns ends its span (cancelled) before the
//! flush.

use otel_traced::traced;

#[traced]
async fn step(number: u32) -> u32 {
    tokio::task::yield_now().await;
    number
}

/// Never completes: its task is dropped with the runtime.
#[traced]
async fn linger() {
    std::future::pending::<()>().await;
}

#[tokio::main(flavor = "current_thread")]
#[otel_traced::main]
#[traced]
async fn main() {
    tokio::spawn(linger());
    tokio::task::yield_now().await;
    for number in 0..3 {
        step(number).await;
    }
}
