use otel_traced::{event, record, traced};

#[traced]
fn retried() {
    event!("retry", attempt = 1, attempt = 2);
    record!(rows = 1, "rows" = 2);
}

fn main() {}
