use otel_traced::traced;
use std::future::Future;
use std::pin::Pin;

#[traced]
fn cached(value: u8) -> impl Future<Output = u8> + Clone + Send + 'static {
    std::future::ready(value)
}

#[traced]
fn boxed(value: u8) -> Pin<Box<impl Future<Output = u8> + std::fmt::Debug>> {
    Box::pin(std::future::ready(value))
}

#[traced]
fn hashed(value: u8) -> impl Future<Output = u8> + std::hash::Hash {
    std::future::ready(value)
}

fn main() {
    let _ = cached(1);
    let _ = boxed(1);
    let _ = hashed(1);
}
