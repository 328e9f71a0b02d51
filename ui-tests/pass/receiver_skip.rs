//! `#[skip]` on `self` is taken, as `skip(self)` is: `self` is never recorded.
#![deny(warnings)]

use otel_traced::traced;

struct Cart {
    id: u64,
}

impl Cart {
    #[traced]
    fn total(#[skip] &self, discount: u64) -> u64 {
        self.id - discount
    }
}

fn main() {
    let _ = Cart { id: 2 }.total(1);
}
