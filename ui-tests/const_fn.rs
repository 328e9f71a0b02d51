use otel_traced::{traced, traced_rpc};

#[traced]
const fn answer() -> u32 {
    42
}

#[traced_rpc(http, route = "/answer")]
const fn served(_request: &http::Request<()>) -> u16 {
    200
}

fn main() {
    let _ = answer();
}
