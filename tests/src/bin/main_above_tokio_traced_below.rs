//! `#[otel_traced::main]` above `#[tokio::main]` with `#[traced]` below both: the
//! span goes on the async body, as `#[traced]` between them puts it.

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
#[tokio::main(flavor = "current_thread")]
#[traced]
async fn main() {
    tokio::spawn(linger());
    tokio::task::yield_now().await;
    for number in 0..3 {
        step(number).await;
    }
}
