use otel_traced::{event, record, traced};

#[traced]
fn body(n: u64) {
    record!(Cache.Hit = true);
    record!(otel.status = 1);
    record!(rows n);
    event!(retry, attempt = n);
    event!("retry", "Attempt" = n);
}

fn main() {
    body(1);
}
