// One annotation a function: a second would open a second span of each call.
use otel_traced::{traced, traced_rpc};

#[traced(name = "load")]
#[traced]
fn load(id: u32) -> u32 {
    id
}

#[traced]
#[otel_traced::traced_rpc(http, client)]
fn fetch(headers: &mut http::HeaderMap) {
    let _ = headers;
}

#[traced_rpc(http, client)]
#[otel_traced::traced]
fn send(headers: &mut http::HeaderMap) {
    let _ = headers;
}

fn main() {
    let _ = load(1);
    fetch(&mut http::HeaderMap::new());
    send(&mut http::HeaderMap::new());
}
