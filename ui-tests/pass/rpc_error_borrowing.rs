//! A boundary's error boxed with a lifetime of its own compiles: the probe that
//! reads a status among an error's sources, which needs it owned (`'static`), is
//! left out (the error is recorded as any other).
#![deny(warnings)]
use otel_traced::traced_rpc;
use std::error::Error;
use std::fmt;

#[derive(Debug)]
struct Refused<'a>(&'a str);

impl fmt::Display for Refused<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl Error for Refused<'_> {}

#[traced_rpc(client, service = "shop.v1.Inventory", method = "Reserve")]
fn reserve<'a>(
    request: tonic::Request<()>,
    sku: &'a str,
) -> Result<u32, Box<dyn Error + Send + Sync + 'a>> {
    let _ = request;
    Err(Box::new(Refused(sku)))
}

fn main() {
    let _ = reserve(tonic::Request::new(()), "sku-1");
}
