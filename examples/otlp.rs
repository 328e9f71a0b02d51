//! The quickstart's calls, exported over OTLP to a Collector, Jaeger or Tempo.
//!
//! ```text
//! OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 cargo run --example otlp
//! OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317 OTEL_EXPORTER_OTLP_PROTOCOL=grpc cargo run --example otlp
//! ```
//!
//! Every `OTEL_*` variable applies (`OTEL_SERVICE_NAME`, `OTEL_EXPORTER_OTLP_HEADERS`,
//! `OTEL_TRACES_SAMPLER`, ...); the service is called `shop` unless
//! `OTEL_SERVICE_NAME` says otherwise. Without an endpoint the example exports to
//! the specification's default, `http://localhost:4318`.

mod shop;

use otel_traced::{Config, Exporter, Protocol};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = Config::from_env();
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        config = config.service_name("shop");
    }
    if std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_none()
        && std::env::var_os("OTEL_TRACES_EXPORTER").is_none()
    {
        config = config.exporter(Exporter::Otlp {
            endpoint: None,
            protocol: Protocol::HttpProtobuf,
        });
    }
    let guard = config.install()?;
    shop::two_orders().await;
    guard.force_flush()?;
    let dropped = guard.dropped_spans();
    guard.shutdown()?;
    if dropped == 0 {
        println!("every span was exported");
    } else {
        println!("{dropped} span(s) could not be exported: is the collector running?");
    }
    Ok(())
}
