//! `#[otel_traced::main(crate = $krate)]` written by a `macro_rules!` whose
//! `$krate:path` fragment comes in an invisible group: the path as written.
#![deny(warnings)]

#[path = "stand_in/runtime.rs"]
mod stand_in;

macro_rules! traced_main {
    ($krate:path) => {
        #[otel_traced::main(crate = $krate)]
        fn main() {
            assert!(
                stand_in::__private::INITIALISED.load(std::sync::atomic::Ordering::SeqCst),
                "main initialised through the path it was given"
            );
        }
    };
}

traced_main!(stand_in);
