//! Options written through `macro_rules!` fragments (`$name:literal`, `$name:expr`,
//! which reach the attribute in invisible groups) are read as written out.
#![deny(warnings)]

use otel_traced::{traced, traced_rpc};

macro_rules! traced_function {
    ($function:ident, $name:literal, $code:literal, $kind:expr, $err:expr) => {
        #[traced(name = $name, code = $code, kind = $kind, err = $err)]
        fn $function(id: u64) -> Result<u64, String> {
            Ok(id)
        }
    };
}

traced_function!(load, "cart.load", false, consumer, true);

macro_rules! inventory_handler {
    ($handler:ident, $service:literal, $method:expr) => {
        #[traced_rpc(service = $service, method = $method)]
        fn $handler(request: tonic::Request<u32>) -> Result<tonic::Response<u32>, tonic::Status> {
            Ok(tonic::Response::new(request.into_inner()))
        }
    };
}

inventory_handler!(reserve, "shop.v1.Inventory", "Reserve");

fn main() {
    let _ = load(7);
    let _ = reserve(tonic::Request::new(1));
}
