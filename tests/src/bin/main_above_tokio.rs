//! `#[otel_traced::main]` above `#[tokio::main]` on a current-thread runtime: it
//! moves itself below, so that the guard wraps the runtime as there, and a task
//! still pending when `main` returns ends its span (cancelled) before the flush.

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

#[otel_traced::main]
#[traced]
#[tokio::main(flavor = "current_thread")]
async fn main() {
    tokio::spawn(linger());
    tokio::task::yield_now().await;
    for number in 0..3 {
        step(number).await;
    }
}
