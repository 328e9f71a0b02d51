//! A build without the default features (`console`, `otlp`, `metrics`): a
//! configuration that needs one is a clear error, and the annotations trace as
//! ever. `.ci/run` runs it as
//! `cargo test -p otel-traced --no-default-features --features testing --test features_off`;
//! in a build with those features it holds no test.
#![cfg(not(any(feature = "console", feature = "otlp", feature = "metrics")))]

use otel_traced::opentelemetry::Value;
use otel_traced::testing::capture;
use otel_traced::{Config, InitError, traced};

#[test]
fn a_configuration_needing_a_left_out_exporter_is_an_error_naming_its_feature() {
    assert_eq!(
        Config::from_vars([("OTEL_SERVICE_NAME", "features-off")])
            .install()
            .err(),
        Some(InitError::MissingFeature("console")),
        "the console is the default destination"
    );
    assert_eq!(
        Config::from_vars([("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")])
            .install()
            .err(),
        Some(InitError::MissingFeature("otlp"))
    );
    // A general endpoint a platform sets for every process does not make a build
    // without OTLP refuse to start: its logs and metrics, which only follow that
    // endpoint, go nowhere (spans, told to, too).
    let guard = Config::from_vars([
        ("OTEL_TRACES_EXPORTER", "none"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"),
    ])
    .install()
    .expect("installed: logs and metrics not asked for by name");
    drop(guard);
    for exporter in ["otlp", "console"] {
        assert_eq!(
            Config::from_vars([
                ("OTEL_TRACES_EXPORTER", "none"),
                ("OTEL_METRICS_EXPORTER", exporter)
            ])
            .install()
            .err(),
            Some(InitError::MissingFeature("metrics")),
            "metrics asked for by name: {exporter}"
        );
    }
    // Refused, nothing was installed: spans may go nowhere.
    let guard = Config::from_vars([("OTEL_TRACES_EXPORTER", "none")])
        .install()
        .expect("installed");
    drop(guard);
}

#[traced(metrics)]
fn charge(cents: u64) -> u64 {
    cents
}

#[test]
fn metrics_asked_of_a_build_without_them_leave_the_span_as_it_is() {
    let captured = capture(|| charge(250));
    assert_eq!(*captured.output(), 250);
    let span = &captured.spans()[0];
    assert_eq!(span.name, "charge");
    assert!(
        span.attributes.iter().any(
            |attribute| attribute.key.as_str() == "cents" && attribute.value == Value::I64(250)
        )
    );
}
