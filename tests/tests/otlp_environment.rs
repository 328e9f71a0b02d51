//! `Config::from_vars` is the whole configuration: the process's own
//! `OTEL_EXPORTER_OTLP_HEADERS` (left for another SDK, or holding another
//! tenant's credentials) is not sent to the endpoint the given variables name,
//! over either protocol. A binary of its own: it sets the process's environment.

use otel_traced::{Config, traced};
use otel_traced_tests::receiver::{Receiver, Transport};

#[traced]
fn checkout(order_id: u64) -> u64 {
    order_id
}

fn headers_sent_over(transport: Transport) -> Vec<http::HeaderMap> {
    let receiver = Receiver::start(transport);
    let endpoint = receiver.endpoint();
    let protocol = match transport {
        Transport::Grpc => "grpc",
        Transport::Http => "http/protobuf",
    };
    let guard = Config::from_vars([
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
        ("OTEL_EXPORTER_OTLP_HEADERS", "x-tenant=blue"),
    ])
    .install()
    .expect("OTLP configured");
    checkout(42);
    guard.shutdown().expect("everything exported");
    assert_eq!(receiver.spans().len(), 1, "{transport:?}");
    receiver.trace_headers()
}

#[test]
fn only_the_given_headers_are_sent() {
    // SAFETY: this binary runs a single test, and sets the variable before any
    // exporter (its only reader) exists.
    unsafe {
        std::env::set_var(
            "OTEL_EXPORTER_OTLP_HEADERS",
            "authorization=Bearer%20other-tenant,x-tenant=red",
        );
    }
    for transport in [Transport::Grpc, Transport::Http] {
        let sent = headers_sent_over(transport);
        assert!(!sent.is_empty(), "{transport:?}");
        for headers in sent {
            assert_eq!(headers.get("x-tenant").unwrap(), "blue", "{transport:?}");
            assert_eq!(headers.get("authorization"), None, "{transport:?}");
            // The exporter names itself, as the OTLP exporter specification asks
            // (tonic adds its own name after it).
            let agent = headers.get("user-agent").expect("a user agent");
            assert!(
                agent
                    .to_str()
                    .unwrap()
                    .starts_with("OTel-OTLP-Exporter-Rust otel-traced/"),
                "{transport:?}: {agent:?}"
            );
        }
    }
}
