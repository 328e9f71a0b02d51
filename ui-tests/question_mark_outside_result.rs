// A misused `?` in the body is said of the function, not of the attribute, in a
// synchronous and an async fn alike, and in one returning a future or a stream.
use futures::Stream;
use otel_traced::traced;
use std::future::Future;

#[traced]
fn parse_quantity(text: &str) -> u32 {
    let quantity: u32 = text.parse()?;
    quantity
}

#[traced]
async fn parse_price(text: &str) -> u32 {
    let price: u32 = text.parse()?;
    price
}

#[traced]
fn parse_later(text: &str) -> impl Future<Output = u32> {
    let count: u32 = text.parse()?;
    async move { count }
}

#[traced]
fn parse_each(text: &str) -> impl Stream<Item = u32> {
    let count: u32 = text.parse()?;
    futures::stream::iter([count])
}

fn main() {
    let _ = parse_quantity("3");
    let _ = parse_price("3");
    let _ = parse_later("3");
    let _ = parse_each("3");
}
