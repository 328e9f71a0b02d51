//! `#[otel_traced::main(crate = path)]` reaches the runtime through `path`, as a
//! crate that renamed the dependency or reaches it through a re-export needs: here
//! a stand-in whose `init_for_main` notes that it ran.
#![deny(warnings)]

#[path = "stand_in/runtime.rs"]
mod stand_in;

#[otel_traced::main(crate = stand_in)]
fn main() {
    assert!(
        stand_in::__private::INITIALISED.load(std::sync::atomic::Ordering::SeqCst),
        "main initialised through the path it was given"
    );
}
