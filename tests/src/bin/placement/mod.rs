//! What the programs that place `#[otel_traced::main]` beside `#[tokio::main]` run
//! in `main`: a task left pending, and three steps, children of `main`'s span.

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

/// Spawns a task that never ends (its span ends, cancelled, when the runtime
/// drops it), then takes three steps.
pub async fn run() {
    tokio::spawn(linger());
    tokio::task::yield_now().await;
    for number in 0..3 {
        step(number).await;
    }
}
