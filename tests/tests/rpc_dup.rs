//! `OTEL_SEMCONV_STABILITY_OPT_IN=rpc/dup`: gRPC spans carry the deprecated RPC
//! attributes beside the current ones, and the deprecated duration histograms in
//! milliseconds are recorded beside the current ones, in a binary of its own (the
//! variable is read once per process, or from an installation's configuration).

use opentelemetry_proto::tonic::metrics::v1::{Metric, metric};
use otel_traced::opentelemetry::Value;
use otel_traced::opentelemetry::trace::SpanKind;
use otel_traced::testing::capture;
use otel_traced::{Config, traced_rpc};
use otel_traced_tests::receiver::{
    Receiver, TextAttributes, Transport, text_attributes, text_pairs,
};
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

/// Takes this test's turn, with `rpc/dup` opted into.
fn opted_in() -> std::sync::MutexGuard<'static, ()> {
    let turn = otel_traced_tests::installing_turn();
    static OPT_IN: std::sync::Once = std::sync::Once::new();
    // SAFETY: set once, by the first test to take its turn, before any span or
    // metric (the variable's only readers) exists; the other test waits for its
    // turn meanwhile.
    OPT_IN.call_once(|| unsafe {
        std::env::set_var("OTEL_SEMCONV_STABILITY_OPT_IN", "http, rpc/dup");
    });
    turn
}

#[test]
fn rpc_dup_adds_the_deprecated_attributes_to_both_sides() {
    let _turn = opted_in();
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

/// The data points of the histogram `name` the receiver got last, by their
/// attributes, with their counts; and the metric.
fn histogram(receiver: &Receiver, name: &str) -> (Metric, Vec<(TextAttributes, u64)>) {
    let metric = receiver.last_metric(name);
    let Some(metric::Data::Histogram(data)) = &metric.data else {
        panic!("{name} is not a histogram");
    };
    let points = data
        .data_points
        .iter()
        .map(|point| (text_attributes(&point.attributes), point.count))
        .collect();
    (metric, points)
}

#[test]
fn rpc_dup_records_the_deprecated_histograms_in_milliseconds_too() {
    let _turn = opted_in();
    let receiver = Receiver::start(Transport::Grpc);
    // The configuration's variables say it (here as the environment does: the
    // child process below has only the configuration's).
    let guard = Config::from_vars([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint().as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_SEMCONV_STABILITY_OPT_IN", "rpc/dup"),
    ])
    .install()
    .expect("installs");
    // The server is told the host its client asked for, which its histograms
    // leave out: a value of its callers'.
    let mut request = Request::new(());
    request
        .metadata_mut()
        .insert("host", "inventory:50051".parse().unwrap());
    let _ = call_reserve(request);
    guard.shutdown().expect("a clean shutdown");
    for (name, side) in [
        ("rpc.server.duration", vec![]),
        (
            "rpc.client.duration",
            vec![("server.address", "inventory"), ("server.port", "50051")],
        ),
    ] {
        let (metric, points) = histogram(&receiver, name);
        assert_eq!(metric.unit, "ms", "{name}");
        let mut attributes = vec![
            ("rpc.system", "grpc"),
            ("rpc.service", "shop.v1.Inventory"),
            ("rpc.method", "Reserve"),
            ("rpc.grpc.status_code", "5"),
        ];
        attributes.extend(side);
        assert_eq!(points, [(text_pairs(&attributes), 1)], "{name}");
    }
    for current in ["rpc.server.call.duration", "rpc.client.call.duration"] {
        let (metric, points) = histogram(&receiver, current);
        assert_eq!(metric.unit, "s", "{current}");
        assert_eq!(points.len(), 1, "{current}: still recorded");
    }
}

/// `Config::from_vars` opts in without the environment, in a child process (the
/// environment's choice is read once).
#[test]
fn rpc_dup_is_read_from_the_configurations_variables() {
    if std::env::var_os(otel_traced_tests::CHILD).is_none() {
        otel_traced_tests::passes_in_a_child_process(
            "rpc_dup_is_read_from_the_configurations_variables",
            &[],
        );
        return;
    }
    let guard = Config::from_vars([
        ("OTEL_TRACES_EXPORTER", "none"),
        ("OTEL_METRICS_EXPORTER", "none"),
        ("OTEL_SEMCONV_STABILITY_OPT_IN", "rpc/dup"),
    ])
    .install()
    .expect("installs");
    let captured = capture(|| call_reserve(Request::new(())));
    assert_eq!(captured.spans().len(), 2, "{}", captured.tree());
    for span in captured.spans() {
        assert_eq!(attribute(span, "rpc.system"), Some(&string("grpc")));
    }
    guard.shutdown().expect("a clean shutdown");
}
