//! What an annotated future or stream is, it stays: `Send`, `Sync`, `Unpin` and
//! `'static` wherever the function's own would be, in every shape the macros
//! instrument (a wrapper holding a `!Send` or `!Sync` part would lose them all).
#![deny(warnings)]

use futures::Stream;
use otel_traced::{traced, traced_rpc};
use std::future::Future;
use std::pin::Pin;

fn is_shared<T: Send + Sync + 'static>(_: &T) {}
fn is_unpin<T: Unpin>(_: &T) {}

#[traced]
async fn awaited(id: u64, name: String) -> usize {
    std::future::ready(()).await;
    name.len() + id as usize
}

#[traced]
fn returned(id: u64) -> impl Future<Output = u64> + Send + Sync + 'static {
    async move { id }
}

#[traced]
fn boxed(id: u64) -> Pin<Box<dyn Future<Output = u64> + Send + Sync>> {
    Box::pin(async move { id })
}

#[traced]
fn ready(id: u64) -> impl Future<Output = u64> + Send + Sync + Unpin {
    std::future::ready(id)
}

#[traced]
fn streamed(count: u64) -> impl Stream<Item = u64> + Send + Sync + Unpin {
    futures::stream::iter(0..count)
}

struct Shop;

impl Shop {
    #[traced]
    async fn reserve(&self, sku: &'static str) -> Result<u32, String> {
        std::future::ready(()).await;
        Ok(sku.len() as u32)
    }
}

static SHOP: Shop = Shop;

#[traced_rpc(service = "shop.v1.Inventory")]
async fn restock(request: tonic::Request<u32>) -> Result<tonic::Response<u32>, tonic::Status> {
    std::future::ready(()).await;
    Ok(tonic::Response::new(request.into_inner() + 1))
}

fn main() {
    is_shared(&awaited(1, "ada".to_owned()));
    is_shared(&returned(2));
    is_shared(&boxed(3));
    is_shared(&ready(4));
    is_unpin(&ready(4));
    is_shared(&streamed(5));
    is_unpin(&streamed(5));
    is_shared(&SHOP.reserve("piano"));
    is_shared(&restock(tonic::Request::new(6)));
    assert_eq!(futures::executor::block_on(awaited(1, "ada".to_owned())), 4);
    assert_eq!(futures::executor::block_on(SHOP.reserve("piano")), Ok(5));
}
