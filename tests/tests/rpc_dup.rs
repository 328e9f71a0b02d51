//! `OTEL_SEMCONV_STABILITY_OPT_IN=rpc/dup`: gRPC spans carry the deprecated RPC
//! attributes beside the current ones, in a binary of its own (the variable is
//! read once per process).

use otel_traced::opentelemetry::Value;
use otel_traced::opentelemetry::trace::SpanKind;
use otel_traced::testing::capture;
use otel_traced::traced_rpc;
use otel_traced_tests::{attribute, string};
use tonic::{Request, Response};

#[traced_rpc(service = "shop.v1.Inventory")]
fn reserve(request: Request<()>) -> Result<Response<()>, tonic::Status> {
    let _ = request;
    Err(tonic::Status::not_found("no such sku"))
}

#[traced_rpc(
    client,
    service = "shop.v1.Inventory",
    method = "Reserve",
    server = "inventory:50051"
)]
fn call_reserve(request: Request<()>) -> Result<Response<()>, tonic::Status> {
    reserve(request)
}

#[test]
fn rpc_dup_adds_the_deprecated_attributes_to_both_sides() {
    // SAFETY: this binary runs a single test, and sets the variable before any span
    // (the only reader) exists.
    unsafe { std::env::set_var("OTEL_SEMCONV_STABILITY_OPT_IN", "http, rpc/dup") };
    let captured = capture(|| call_reserve(Request::new(())));
    assert_eq!(captured.spans().len(), 2);
    for kind in [SpanKind::Client, SpanKind::Server] {
        let span = captured
            .spans()
            .iter()
            .find(|span| span.span_kind == kind)
            .expect("both sides");
        assert_eq!(
            attribute(span, "rpc.system"),
            Some(&string("grpc")),
            "{kind:?}"
        );
        assert_eq!(
            attribute(span, "rpc.service"),
            Some(&string("shop.v1.Inventory")),
            "{kind:?}"
        );
        assert_eq!(
            attribute(span, "rpc.grpc.status_code"),
            Some(&Value::I64(5)),
            "{kind:?}"
        );
        assert_eq!(
            attribute(span, "rpc.response.status_code"),
            Some(&string("NOT_FOUND")),
            "{kind:?}: the current attributes stay"
        );
        assert_eq!(attribute(span, "rpc.system.name"), Some(&string("grpc")));
    }
}
