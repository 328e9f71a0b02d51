//! `#[otel_traced::main]` above `#[tokio::main]` on a current-thread runtime: the
//! guard lives inside the async body and flushes there without deadlocking.

use otel_traced::traced;

#[traced]
async fn step(number: u32) -> u32 {
    tokio::task::yield_now().await;
    number
}

#[otel_traced::main]
#[tokio::main(flavor = "current_thread")]
async fn main() {
    for number in 0..3 {
        step(number).await;
    }
}
