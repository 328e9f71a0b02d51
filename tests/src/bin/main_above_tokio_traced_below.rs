//! `#[otel_traced::main]` above `#[tokio::main]` with `#[traced]` below both: the
//! span goes on the async body, as `#[traced]` between them puts it.

use otel_traced::traced;

#[path = "placement/mod.rs"]
mod placement;

#[otel_traced::main]
#[tokio::main(flavor = "current_thread")]
#[traced]
async fn main() {
    placement::run().await;
}
