//! With nothing installed (no `init()`, no capture open: one test in a binary of
//! its own), an annotated call evaluates none of the expressions its options give:
//! `parent =`, `server =`, `link =` and its attributes.

use otel_traced::opentelemetry::Context;
use otel_traced::{traced, traced_rpc};
use std::sync::atomic::{AtomicUsize, Ordering};

static EVALUATED: AtomicUsize = AtomicUsize::new(0);

fn counted<T>(value: T) -> T {
    EVALUATED.fetch_add(1, Ordering::Relaxed);
    value
}

#[traced(parent = counted(Context::current()), link = counted(Context::current()), attrs(note = counted(1)))]
fn under_a_parent() -> u8 {
    1
}

#[traced_rpc(client, service = "shop.v1.Inventory", method = "Reserve", server = counted(format!("{}:{}", "inventory", 50051)))]
fn reserve(request: tonic::Request<u32>) -> Result<tonic::Response<u32>, tonic::Status> {
    Ok(tonic::Response::new(request.into_inner()))
}

#[test]
fn nothing_the_options_give_is_evaluated() {
    assert_eq!(under_a_parent(), 1);
    let reply = reserve(tonic::Request::new(7));
    assert_eq!(reply.map(tonic::Response::into_inner).ok(), Some(7));
    assert_eq!(EVALUATED.load(Ordering::Relaxed), 0);
}
