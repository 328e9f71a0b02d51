//! `#[otel_traced::main(crate = path)]` reaches the runtime through `path`, as a
//! crate that renamed the dependency or reaches it through a re-export needs: here
//! a stand-in whose `init_for_main` notes that it ran.
#![deny(warnings)]

mod stand_in {
    pub mod __private {
        use std::sync::atomic::{AtomicBool, Ordering};

        pub static INITIALISED: AtomicBool = AtomicBool::new(false);

        pub fn init_for_main(_module: &'static str) {
            INITIALISED.store(true, Ordering::SeqCst);
        }
    }
}

#[otel_traced::main(crate = stand_in)]
fn main() {
    assert!(
        stand_in::__private::INITIALISED.load(std::sync::atomic::Ordering::SeqCst),
        "main initialised through the path it was given"
    );
}
