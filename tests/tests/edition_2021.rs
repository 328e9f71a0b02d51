//! Built as edition 2021 (`tests/Cargo.toml`), where the temporaries of a body's
//! last expression are dropped after its locals (edition 2024 drops them first):
//! an annotated body keeps its crate's order, which decides when a lock guard
//! taken in the last expression is released.

use otel_traced::testing::capture;
use otel_traced::traced;
use std::cell::RefCell;

thread_local! {
    static DROPPED: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
}

/// Notes when it is dropped.
struct Loud(&'static str);

impl Drop for Loud {
    fn drop(&mut self) {
        DROPPED.with(|dropped| dropped.borrow_mut().push(self.0));
    }
}

impl Loud {
    fn name(&self) -> &'static str {
        self.0
    }
}

fn plain() -> &'static str {
    let _local = Loud("local");
    Loud("temporary").name()
}

#[traced]
fn annotated() -> &'static str {
    let _local = Loud("local");
    Loud("temporary").name()
}

#[traced]
async fn annotated_async() -> &'static str {
    let _local = Loud("local");
    Loud("temporary").name()
}

/// What `call` dropped, in that order.
fn dropped_by(call: impl FnOnce() -> &'static str) -> Vec<&'static str> {
    DROPPED.with(|dropped| dropped.borrow_mut().clear());
    assert_eq!(call(), "temporary");
    DROPPED.with(|dropped| dropped.take())
}

#[test]
fn the_last_expressions_temporaries_are_dropped_after_the_locals_as_without_the_macro() {
    assert_eq!(
        dropped_by(plain),
        ["local", "temporary"],
        "edition 2021's order"
    );
    assert_eq!(dropped_by(annotated), ["local", "temporary"]);
    assert_eq!(
        dropped_by(|| *capture(annotated).output()),
        ["local", "temporary"],
        "recorded"
    );
    assert_eq!(
        dropped_by(|| futures::executor::block_on(annotated_async())),
        ["local", "temporary"]
    );
}
