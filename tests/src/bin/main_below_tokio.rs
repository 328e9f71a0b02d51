//! `#[otel_traced::main]` below `#[tokio::main]`: the guard wraps the runtime, so a
//! task still pending when `main` returns ends its span (cancelled) before the
//! flush.

use otel_traced::traced;

#[path = "placement/mod.rs"]
mod placement;

#[tokio::main(flavor = "current_thread")]
#[otel_traced::main]
#[traced]
async fn main() {
    placement::run().await;
}
