//! A guard shut down inside a current-thread tokio runtime (`#[tokio::test]`)
//! returns, over gRPC and HTTP: export never runs on the application's runtime
//! (opentelemetry-rust issue 2583).

use otel_traced::{Config, traced};
use otel_traced_tests::receiver::{Receiver, Transport};

#[traced]
async fn handle(request: u32) -> u32 {
    tokio::task::yield_now().await;
    request
}

#[tokio::test]
#[expect(
    clippy::await_holding_lock,
    reason = "the lock only orders this binary's tests, each on a runtime of its own"
)]
async fn shutdown_inside_a_current_thread_runtime_does_not_deadlock() {
    let _turn = otel_traced_tests::installing_turn();
    for (transport, protocol) in [
        (Transport::Grpc, "grpc"),
        (Transport::Http, "http/protobuf"),
    ] {
        let receiver = Receiver::start(transport);
        let guard = Config::from_vars([
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                receiver.endpoint().as_str(),
            ),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
        ])
        .install()
        .expect("OTLP configured");
        for request in 0..5 {
            handle(request).await;
        }
        guard.shutdown().expect("exported from inside the runtime");
        assert_eq!(receiver.spans().len(), 5, "{protocol}");

        // A collector that takes the connection and never answers: the shutdown
        // still returns within its bound (5 s), here too.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let endpoint = match transport {
            Transport::Grpc => format!("http://{}", silent.local_addr().expect("its address")),
            Transport::Http => format!(
                "http://{}/v1/traces",
                silent.local_addr().expect("its address")
            ),
        };
        let guard = Config::from_vars([
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint.as_str()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
        ])
        .install()
        .expect("OTLP configured");
        for request in 0..5 {
            handle(request).await;
        }
        let started = std::time::Instant::now();
        let error = guard.shutdown().expect_err("nothing was delivered");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(7),
            "{protocol}: shut down in {:?}",
            started.elapsed()
        );
        assert_eq!(error.dropped_spans(), 5, "{protocol}: {error}");
        drop(silent);
    }
}

/// `init()` inside the application's runtime, with a metrics exporter that cannot
/// be built: an error, not a panic from dropping the exporter's own runtime there.
#[tokio::test]
async fn a_metrics_exporter_that_cannot_be_built_is_an_error_inside_a_runtime() {
    let _turn = otel_traced_tests::installing_turn();
    let result = Config::from_vars([
        ("OTEL_TRACES_EXPORTER", "none"),
        ("OTEL_METRICS_EXPORTER", "otlp"),
        (
            "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
            "http://127.0.0.1:4318/v1/metrics",
        ),
        // Read when the exporter is built, beside its runtime: a file that holds
        // no certificate.
        (
            "OTEL_EXPORTER_OTLP_CERTIFICATE",
            concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"),
        ),
    ])
    .install();
    let error = result.expect_err("a certificate the exporter cannot use");
    assert!(
        error.to_string().contains("holds no PEM certificate"),
        "{error}"
    );
}
