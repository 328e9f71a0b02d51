//! A request written `_` is the carrier, but for one `#[async_trait]` keeps a
//! pattern (a reference's): the call cannot read it, and the error says to name it.

use otel_traced::traced_rpc;

#[async_trait::async_trait]
trait Health {
    async fn check(&self, request: &http::Request<()>) -> http::StatusCode;
}

struct Checker;

#[async_trait::async_trait]
impl Health for Checker {
    #[traced_rpc(http, route = "/healthz")]
    async fn check(&self, _: &http::Request<()>) -> http::StatusCode {
        http::StatusCode::NO_CONTENT
    }
}

fn main() {
    let _ = Checker;
}
