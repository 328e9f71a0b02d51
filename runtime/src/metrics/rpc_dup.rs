//! The RPC duration histograms of the conventions before v1.38 (`rpc.server.duration`
//! and `rpc.client.duration`, in milliseconds), recorded beside the current ones
//! under `OTEL_SEMCONV_STABILITY_OPT_IN=rpc/dup`, for dashboards and alerts that
//! still read them while they move to the current conventions.

use crate::rpc::{Side, emits_legacy_rpc};
use opentelemetry::metrics::{Histogram, Meter};
use opentelemetry::{KeyValue, Value};

/// The bucket boundaries those conventions' instrumentations used, in
/// milliseconds.
const BUCKETS_MS: [f64; 15] = [
    0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 2500.0, 5000.0, 7500.0,
    10000.0,
];

/// The two histograms, made only under `rpc/dup`.
#[derive(Debug)]
pub(super) struct LegacyRpc {
    server: Histogram<f64>,
    client: Histogram<f64>,
}

impl LegacyRpc {
    /// The histograms on `meter`, when `OTEL_SEMCONV_STABILITY_OPT_IN` asks for
    /// them: a metric that is never recorded would still be listed to a backend.
    pub(super) fn new(meter: &Meter) -> Option<Self> {
        let histogram = |name: &'static str, description: &'static str| {
            meter
                .f64_histogram(name)
                .with_unit("ms")
                .with_description(description)
                .with_boundaries(BUCKETS_MS.to_vec())
                .build()
        };
        emits_legacy_rpc().then(|| LegacyRpc {
            server: histogram(
                "rpc.server.duration",
                "Measures the duration of inbound RPC.",
            ),
            client: histogram(
                "rpc.client.duration",
                "Measures the duration of outbound RPC.",
            ),
        })
    }

    /// Records a gRPC call of `side` that took `seconds`, from the attributes its
    /// current histogram records (`rpc.method` is `pkg.Service/Method` there, the
    /// method alone beside `rpc.service` in these) and its status code.
    pub(super) fn record(
        &self,
        side: Side,
        seconds: f64,
        current: &[KeyValue],
        status_code: Option<i32>,
    ) {
        let mut attributes = Vec::with_capacity(6);
        attributes.push(KeyValue::new("rpc.system", "grpc"));
        for attribute in current {
            match attribute.key.as_str() {
                "rpc.method" => {
                    let method = attribute.value.as_str();
                    match method.rsplit_once('/') {
                        Some((service, method)) => {
                            attributes.push(KeyValue::new("rpc.service", service.to_owned()));
                            attributes.push(KeyValue::new("rpc.method", method.to_owned()));
                        }
                        None => attributes.push(KeyValue::new(
                            "rpc.method",
                            Value::from(method.into_owned()),
                        )),
                    }
                }
                "server.address" | "server.port" => attributes.push(attribute.clone()),
                _ => {}
            }
        }
        if let Some(code) = status_code {
            attributes.push(KeyValue::new("rpc.grpc.status_code", i64::from(code)));
        }
        let histogram = match side {
            Side::Server => &self.server,
            Side::Client => &self.client,
        };
        histogram.record(seconds * 1000.0, &attributes);
    }
}
