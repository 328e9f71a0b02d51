//! A value of the application's own named `Empty` is recorded as any other:
//! only `tracing`'s `field::Empty` is refused.

use otel_traced::traced;

#[derive(Debug)]
enum CartState {
    Empty,
    Full,
}

use CartState::*;

#[traced(attrs(cart.state = ?Empty, other.state = ?Full))]
fn checkout() {}

#[traced(attrs(cart.state = ?CartState::Empty))]
fn refund() {}

fn main() {
    checkout();
    refund();
}
