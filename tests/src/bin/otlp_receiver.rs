//! A stand-in for a Collector, for trying OTLP export without installing one:
//! listens for OTLP/gRPC on 127.0.0.1:4317 and OTLP/HTTP on 127.0.0.1:4318 and
//! prints every span that arrives, for as many seconds as the argument says
//! (default 60).
//!
//! ```text
//! cargo run -p otel-traced-tests --bin otlp_receiver -- 30 &
//! OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 cargo run --example otlp
//! ```

use otel_traced_tests::receiver::{Receiver, Transport, string_attribute};
use std::time::{Duration, Instant};

fn main() -> std::io::Result<()> {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|text| text.parse().ok())
        .unwrap_or(60);
    let receivers = [
        (
            "grpc",
            Receiver::start_at(Transport::Grpc, "127.0.0.1:4317")?,
        ),
        (
            "http",
            Receiver::start_at(Transport::Http, "127.0.0.1:4318")?,
        ),
    ];
    println!(
        "listening on 127.0.0.1:4317 (grpc) and 127.0.0.1:4318 (http/protobuf) for {seconds} s"
    );
    let mut printed = [0; 2];
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < deadline {
        for (index, (protocol, receiver)) in receivers.iter().enumerate() {
            let requests = receiver.requests();
            for request in requests.iter().skip(printed[index]) {
                for resource_spans in &request.resource_spans {
                    let service = resource_spans
                        .resource
                        .as_ref()
                        .and_then(|resource| string_attribute(&resource.attributes, "service.name"))
                        .unwrap_or("?");
                    for span in resource_spans
                        .scope_spans
                        .iter()
                        .flat_map(|scope| &scope.spans)
                    {
                        println!(
                            "{protocol}: service.name={service} span={} trace={}",
                            span.name,
                            hex(&span.trace_id)
                        );
                    }
                }
            }
            printed[index] = requests.len();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
