//! A function returning a stream counts its items and records each `Err` item:
//! `ret` and `err` do not apply to it.
use futures::stream::{self, Stream};
use otel_traced::traced;

#[traced(ret)]
fn numbers() -> impl Stream<Item = u32> {
    stream::iter([1, 2, 3])
}

#[traced(err = false)]
fn lines() -> impl Stream<Item = Result<String, std::io::Error>> {
    stream::iter([Ok("one".to_owned())])
}

fn main() {}
