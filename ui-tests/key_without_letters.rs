#![allow(unused_variables)]

use otel_traced::{record, traced};

// A key needs a letter or a digit in each segment.
#[traced(attrs(_ = 1, "__.__" = 2, order._id_ = 3))]
fn f() {
    record!(order._ = 1);
}

fn main() {}
