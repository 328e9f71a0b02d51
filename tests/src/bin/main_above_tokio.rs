//! `#[otel_traced::main]` above `#[tokio::main]` on a current-thread runtime: it
//! moves itself below, so that the guard wraps the runtime as there, and a task
//! still pending when `main` returns ends its span (cancelled) before the flush.

use otel_traced::traced;

#[path = "placement/mod.rs"]
mod placement;

#[otel_traced::main]
#[traced]
#[tokio::main(flavor = "current_thread")]
async fn main() {
    placement::run().await;
}
