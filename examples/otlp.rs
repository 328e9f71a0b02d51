//! The quickstart's calls, exported over OTLP to a Collector, Jaeger or Tempo.
//!
//! ```text
//! OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 cargo run --example otlp
//! OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317 OTEL_EXPORTER_OTLP_PROTOCOL=grpc cargo run --example otlp
//! # Jaeger or Tempo directly, which take traces only:
//! OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 cargo run --example otlp
//! ```
//!
//! Every `OTEL_*` variable applies (`OTEL_SERVICE_NAME`, `OTEL_EXPORTER_OTLP_HEADERS`,
//! `OTEL_TRACES_SAMPLER`, ...); the service is called `shop` unless
//! `OTEL_SERVICE_NAME` or a `service.name` of `OTEL_RESOURCE_ATTRIBUTES` says
//! otherwise. Without an endpoint the example exports to the specification's
//! default, `http://localhost:4318` (`:4317` over gRPC).

mod shop;

use otel_traced::Config;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // An `OTEL_*` variable that is not UTF-8 is an error here, not one left unset
    // (also one of another SDK's, which `init()` would leave alone).
    let mut environment = Vec::new();
    for (name, value) in std::env::vars_os() {
        let Some(name) = name.to_str().filter(|name| name.starts_with("OTEL_")) else {
            continue;
        };
        let value = value
            .into_string()
            .map_err(|_| format!("{name} is not UTF-8"))?;
        environment.push((name.to_owned(), value));
    }
    // The service's name, unless the deployment gives one: `OTEL_SERVICE_NAME`
    // would win over the resource attributes' `service.name`, given or not.
    let names_the_service = environment.iter().any(|(name, value)| {
        name == "OTEL_SERVICE_NAME"
            || (name == "OTEL_RESOURCE_ATTRIBUTES"
                && (value.split(',')).any(|pair| pair.trim_start().starts_with("service.name=")))
    });
    let service_name = (!names_the_service).then_some(("OTEL_SERVICE_NAME", "shop"));
    // Defaults first, the environment after: a variable that is set wins, and the
    // endpoint and protocol stay the variables' (or the specification's).
    let defaults = [("OTEL_TRACES_EXPORTER", "otlp")]
        .into_iter()
        .chain(service_name)
        .map(|(name, value)| (name.to_owned(), value.to_owned()));
    let guard = Config::from_vars(defaults.chain(environment)).install()?;
    shop::two_orders().await;
    // The shutdown exports what is queued and says what failed, if anything (spans
    // lost, metrics a backend of traces only refused, an exporter that did not
    // shut down cleanly): the run fails then.
    guard
        .shutdown()
        .map_err(|error| match error.dropped_spans() {
            0 => error.to_string(),
            _ => format!("{error}: is the collector running?"),
        })?;
    println!("shut down cleanly: nothing queued was lost");
    Ok(())
}
