//! Above `#[tokio::main]`, `#[otel_traced::main(crate = path)]` reaches the runtime
//! only through `path` (its `__private`, no `main` there), and initialises before
//! the body runs.
#![deny(warnings)]

#[path = "stand_in/runtime.rs"]
mod stand_in;

#[otel_traced::main(crate = stand_in)]
#[tokio::main(flavor = "current_thread")]
async fn main() {
    tokio::task::yield_now().await;
    assert!(
        stand_in::__private::INITIALISED.load(std::sync::atomic::Ordering::SeqCst),
        "main initialised through the path it was given"
    );
}
