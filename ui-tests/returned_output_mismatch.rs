// A future or stream of another output than the signature says is an error at
// the type the signature names, not at the attribute.
use futures::Stream;
use otel_traced::traced;
use std::future::Future;

#[traced]
fn count_later(count: u32) -> impl Future<Output = u32> {
    async move { count.to_string() }
}

#[traced]
fn count_each(count: u32) -> impl Stream<Item = u32> {
    futures::stream::iter([count.to_string()])
}

fn main() {
    let _ = count_later(3);
    let _ = count_each(3);
}
