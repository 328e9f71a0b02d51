//! Bounds a returned future keeps once wrapped: auto traits, lifetimes, and traits
//! every future (or every future of its output) has.
#![deny(warnings)]

use otel_traced::traced;
use std::future::Future;

/// The edition-2021 way of naming a captured lifetime.
trait Captures<'a> {}
impl<T: ?Sized> Captures<'_> for T {}

#[traced]
fn borrowed<'a>(name: &'a str) -> impl Future<Output = usize> + Captures<'a> + Send + 'a {
    async move { name.len() }
}

#[traced]
fn fallible(id: u64) -> impl futures::TryFuture<Ok = u64, Error = String> + Future<Output = Result<u64, String>> + Unpin {
    std::future::ready(Ok(id))
}

fn main() {
    assert_eq!(futures::executor::block_on(borrowed("four")), 4);
    assert_eq!(futures::executor::block_on(fallible(7)), Ok(7));
}
