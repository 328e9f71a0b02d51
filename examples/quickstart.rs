//! Quickstart: annotate functions, call `init()`, and see each trace as a tree.
//!
//! Run it from the repository root:
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! Two orders go through checkout: the first succeeds, the second fails because an
//! item is out of stock. Each `#[traced]` call is a span; scalar arguments become
//! attributes, the error sets the span's status, and the console exporter prints
//! one tree per trace when its root span ends.

mod shop;

/// `init()` around `main`: with `#[tokio::main]` below it, the runtime ends (and
/// with it every task's span) before the guard flushes.
#[otel_traced::main]
#[tokio::main(flavor = "current_thread")]
async fn main() {
    shop::two_orders().await;
}
