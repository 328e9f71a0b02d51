//! `#[tracing::instrument]`'s spellings, as code moving from it writes them: each
//! error says what is written here instead.
#![allow(unused_variables)]

use otel_traced::traced;

struct Path<T>(T);

#[traced(fields(user.id = id))]
fn fields(id: u64) {}

#[traced(level = "debug")]
fn level() {}

#[traced(target = "shop::orders")]
fn target() {}

#[traced(follows_from = [cx])]
fn follows_from(cx: otel_traced::opentelemetry::Context) {}

#[traced(parent = None)]
fn parent_none() {}

#[traced(attrs(otel.name = "checkout", otel.kind = "server", otel.status_code = "ERROR"))]
fn otel_fields() {}

#[traced(attrs(otel.status_description = "declined"))]
fn otel_status_description() {}

#[traced(attrs(user.id = tracing::field::Empty, cart.id = field::Empty))]
fn empty_fields() {}

#[traced(err(Debug))]
fn err_debug() -> Result<(), std::io::Error> {
    Ok(())
}

#[traced(ret(Display))]
fn ret_display() -> u8 {
    1
}

// As a `macro_rules!` fragment.
macro_rules! rooted {
    ($parent:expr) => {
        #[traced(parent = $parent)]
        fn in_macro() {}
    };
}

rooted!(None);

// A binding of a destructured parameter (an axum extractor's) is never recorded.
#[traced(skip(id))]
fn destructured(Path(id): Path<u64>) {}

#[otel_traced::traced_rpc(http, route = "/orders", fields(order.id = 1))]
fn rpc_fields(request: http::Request<()>) -> http::Response<()> {
    http::Response::new(())
}

fn main() {}
