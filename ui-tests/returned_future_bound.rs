use otel_traced::traced;
use std::future::Future;

#[traced]
fn cached(value: u8) -> impl Future<Output = u8> + Clone + Send + 'static {
    std::future::ready(value)
}

fn main() {
    let _ = cached(1);
}
