//! Every variable of DESIGN §6: its effect on the resolved settings, and the error
//! for each bad value.

use super::*;

fn settings(vars: &[(&str, &str)]) -> Settings {
    Config::from_vars(vars.iter().copied())
        .settings()
        .expect("valid variables")
}

fn error(vars: &[(&str, &str)]) -> String {
    Config::from_vars(vars.iter().copied())
        .settings()
        .expect_err("an invalid variable")
        .to_string()
}

fn otlp(vars: &[(&str, &str)]) -> OtlpSettings {
    match settings(vars).destination {
        Destination::Otlp(otlp) => otlp,
        other => panic!("expected OTLP, got {other:?}"),
    }
}

#[test]
fn plaintext_endpoints_given_tls_files_are_named_once_each() {
    let plaintext = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", "Cargo.toml"),
        ("OTEL_METRICS_EXPORTER", "otlp"),
    ];
    assert_eq!(
        settings(&plaintext).plaintext_endpoints_given_tls_files(),
        [
            "http://collector:4318/v1/traces",
            "http://collector:4318/v1/logs",
            "http://collector:4318/v1/metrics"
        ]
    );
    let grpc = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "Cargo.toml"),
        ("OTEL_EXPORTER_OTLP_CLIENT_KEY", "Cargo.toml"),
        ("OTEL_METRICS_EXPORTER", "otlp"),
    ];
    assert_eq!(
        settings(&grpc).plaintext_endpoints_given_tls_files(),
        ["http://collector:4317"]
    );
    for fine in [
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318"),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", "Cargo.toml"),
        ][..],
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")][..],
    ] {
        assert_eq!(
            settings(fine).plaintext_endpoints_given_tls_files(),
            [] as [&str; 0]
        );
    }
}

#[test]
fn grpc_endpoints_with_a_path_are_named_once_each() {
    let with_path = [
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "https://gateway.example/otlp",
        ),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
    ];
    assert_eq!(
        settings(&with_path).grpc_endpoints_with_paths(),
        ["https://gateway.example/otlp"]
    );
    for fine in [
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4317/"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ][..],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ][..],
        &[
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "https://collector:4317/?tenant=shop",
            ),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ][..],
        &[(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "https://gateway.example/otlp",
        )][..],
    ] {
        assert_eq!(settings(fine).grpc_endpoints_with_paths(), [] as [&str; 0]);
    }
}

#[test]
fn defaults_are_the_console_parent_based_always_on_and_w3c_propagators() {
    assert!(
        !Config::from_vars(Vec::<(&str, &str)>::new())
            .sdk_disabled()
            .expect("valid")
    );
    let settings = settings(&[]);
    assert_eq!(
        settings.destination,
        Destination::Console(ConsoleOutput::Stdout)
    );
    assert_eq!(
        format!("{:?}", settings.sampler),
        format!("{:?}", Sampler::ParentBased(Box::new(Sampler::AlwaysOn)))
    );
    assert_eq!(
        settings.propagators,
        [Propagator::TraceContext, Propagator::Baggage]
    );
    assert_eq!(
        settings.batch,
        BatchSettings {
            max_queue_size: 65_536,
            scheduled_delay: None,
            max_export_batch_size: 512,
            export_timeout: Duration::from_secs(30),
        }
    );
    assert_eq!(settings.value_length_limit, None);
    assert!(settings.resource.is_empty());
}

#[test]
fn sdk_disabled() {
    let disabled = |value: &str| Config::from_vars([("OTEL_SDK_DISABLED", value)]).sdk_disabled();
    assert!(disabled("true").expect("valid"));
    assert!(disabled("TRUE").expect("valid"));
    assert!(!disabled("false").expect("valid"));
    assert_eq!(
        disabled("yes").expect_err("invalid").to_string(),
        "OTEL_SDK_DISABLED=\"yes\" is not valid: it accepts true or false"
    );
}

#[test]
fn a_disabled_sdk_reads_no_other_variable() {
    let _installing = crate::route::lock(&crate::route::tests::INSTALLING);
    // The kill switch works whatever else the environment holds.
    let guard = Config::from_vars([
        ("OTEL_SDK_DISABLED", "true"),
        ("OTEL_TRACES_SAMPLER", "parentbased_jaeger_remote"),
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/only/in/production.pem"),
    ])
    .install()
    .expect("a disabled SDK installs nothing and fails on nothing");
    assert_eq!(guard.dropped_spans(), 0);
    guard.shutdown().expect("nothing to shut down");
}

#[test]
fn service_name_and_resource_attributes() {
    let resource = settings(&[
        ("OTEL_SERVICE_NAME", "checkout"),
        (
            "OTEL_RESOURCE_ATTRIBUTES",
            "service.version=1.2.3,deployment.environment.name=prod%20eu,team%2Cowner=a%3Db",
        ),
    ])
    .resource;
    assert_eq!(
        resource,
        [
            KeyValue::new("service.version", "1.2.3"),
            KeyValue::new("deployment.environment.name", "prod eu"),
            KeyValue::new("team,owner", "a=b"),
            KeyValue::new("service.name", "checkout"),
        ]
    );
    let builder_wins = Config::from_vars([("OTEL_SERVICE_NAME", "from-env")])
        .service_name("from-builder")
        .resource_attribute("service.version", "2.0")
        .settings()
        .unwrap()
        .resource;
    assert_eq!(
        builder_wins,
        [
            KeyValue::new("service.version", "2.0"),
            KeyValue::new("service.name", "from-builder"),
        ]
    );
    // The last of a key wins in the resource: the service's own call, whatever
    // the order; a builder's attribute over the variable.
    let last_name = |config: Config| {
        let resource = config.settings().unwrap().resource;
        resource
            .iter()
            .rev()
            .find(|attribute| attribute.key.as_str() == "service.name")
            .map(|attribute| attribute.value.to_string())
    };
    assert_eq!(
        last_name(
            Config::from_vars([("OTEL_SERVICE_NAME", "from-env")])
                .service_name("named")
                .resource_attribute("service.name", "listed")
        ),
        Some("named".to_owned())
    );
    assert_eq!(
        last_name(
            Config::from_vars([("OTEL_SERVICE_NAME", "from-env")])
                .resource_attribute("service.name", "listed")
        ),
        Some("listed".to_owned())
    );
    // An empty name from the builder is none: the variable names the service.
    assert_eq!(
        last_name(Config::from_vars([("OTEL_SERVICE_NAME", "from-env")]).service_name("")),
        Some("from-env".to_owned())
    );
    assert_eq!(
        error(&[("OTEL_RESOURCE_ATTRIBUTES", "novalue")]),
        "OTEL_RESOURCE_ATTRIBUTES=\"novalue\" is not valid: it accepts comma-separated key=value pairs, percent-encoded"
    );
}

#[test]
fn traces_exporter() {
    assert_eq!(
        settings(&[("OTEL_TRACES_EXPORTER", "none")]).destination,
        Destination::None
    );
    assert_eq!(
        settings(&[("OTEL_TRACES_EXPORTER", "console")]).destination,
        Destination::Console(ConsoleOutput::Stdout)
    );
    assert_eq!(
        otlp(&[("OTEL_TRACES_EXPORTER", "otlp")]).endpoint,
        "http://localhost:4318/v1/traces"
    );
    assert_eq!(
        error(&[("OTEL_TRACES_EXPORTER", "zipkin")]),
        "OTEL_TRACES_EXPORTER=\"zipkin\" is not valid: it accepts otlp, console or none"
    );
    assert_eq!(
        error(&[("OTEL_TRACES_EXPORTER", "otlp,console")]),
        "OTEL_TRACES_EXPORTER=\"otlp,console\" is not valid: it accepts otlp, console or none"
    );
    let builder_wins = Config::from_vars([("OTEL_TRACES_EXPORTER", "otlp")])
        .exporter(Exporter::None)
        .settings()
        .unwrap();
    assert_eq!(builder_wins.destination, Destination::None);
}

#[test]
fn of_exporter_and_span_exporter_the_last_call_wins() {
    #[derive(Debug)]
    struct Nowhere;
    impl SpanExporter for Nowhere {
        async fn export(
            &self,
            _: Vec<opentelemetry_sdk::trace::SpanData>,
        ) -> opentelemetry_sdk::error::OTelSdkResult {
            Ok(())
        }
    }
    let exporter = || Nowhere;
    let destination = |config: Config| config.settings().unwrap().destination;
    let none = Config::from_vars(Vec::<(&str, &str)>::new());
    assert_eq!(
        destination(none.span_exporter(exporter()).exporter(Exporter::Console)),
        Destination::Console(ConsoleOutput::Stdout)
    );
    let none = Config::from_vars(Vec::<(&str, &str)>::new());
    assert_eq!(
        destination(none.exporter(Exporter::Console).span_exporter(exporter())),
        Destination::Custom
    );
}

#[test]
fn a_signal_path_goes_before_the_endpoints_query_and_replaces_the_traces_path() {
    assert_eq!(
        otlp(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "https://c:4318/?tenant=a")]).endpoint,
        "https://c:4318/v1/traces?tenant=a"
    );
    assert_eq!(
        otlp(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "https://c:4318/otlp#f")]).endpoint,
        "https://c:4318/otlp/v1/traces#f"
    );
    for (traces, logs) in [
        ("https://v/v1/traces?key=k", "https://v/v1/logs?key=k"),
        (
            "http://collector:4318/v1/traces/",
            "http://collector:4318/v1/logs",
        ),
    ] {
        assert_eq!(
            logs_endpoint(&[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", traces)]).0,
            logs,
            "beside {traces}"
        );
    }
}

#[test]
fn nothing_goes_beside_spans_whose_http_path_is_not_the_standard_one() {
    // A vendor's path for traces says nothing of where logs and metrics go.
    let vendor = (
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "https://ingest.example/v2/trace/otlp",
    );
    let implicit = settings(&[vendor]);
    assert_eq!(implicit.logs, LogsDestination::None);
    assert_eq!(implicit.metrics.destination, MetricsDestination::None);
    // Asked for by name, they go where the specification's defaults say.
    assert_eq!(
        logs_endpoint(&[vendor, ("OTEL_LOGS_EXPORTER", "otlp")]).0,
        "http://localhost:4318/v1/logs"
    );
    let general = ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318");
    assert_eq!(
        logs_endpoint(&[vendor, general]).0,
        "https://collector:4318/v1/logs"
    );
    // An endpoint with no path takes theirs beside the spans'.
    assert_eq!(
        logs_endpoint(&[(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "http://collector:4318/?k=v"
        )])
        .0,
        "http://collector:4318/v1/logs?k=v"
    );
    // Over gRPC, the collector's address takes every signal.
    let grpc = [
        (
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "https://ingest.example:4317/any",
        ),
        ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"),
    ];
    assert_eq!(logs_endpoint(&grpc).0, "https://ingest.example:4317/any");
}

#[test]
fn a_grpc_endpoint_may_be_host_and_port_with_tls_unless_insecure() {
    let grpc = |extra: &[(&'static str, &'static str)]| {
        let mut vars = vec![
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ];
        vars.extend_from_slice(extra);
        otlp(&vars).endpoint
    };
    assert_eq!(grpc(&[]), "https://collector:4317");
    assert_eq!(
        otlp(&[
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "collector:4317/p?next=http://x"
            ),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ])
        .endpoint,
        "https://collector:4317/p?next=http://x",
        "a scheme is only at the start"
    );
    assert_eq!(
        grpc(&[("OTEL_EXPORTER_OTLP_INSECURE", "true")]),
        "http://collector:4317"
    );
    assert_eq!(
        grpc(&[
            ("OTEL_EXPORTER_OTLP_INSECURE", "true"),
            ("OTEL_EXPORTER_OTLP_TRACES_INSECURE", "false")
        ]),
        "https://collector:4317",
        "the signal's own variable first"
    );
    assert_eq!(
        grpc(&[
            ("OTEL_EXPORTER_OTLP_INSECURE", "true"),
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "https://collector:4317"
            )
        ]),
        "https://collector:4317",
        "a scheme says it all"
    );
    assert_eq!(
        error(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_INSECURE", "yes"),
        ]),
        "OTEL_EXPORTER_OTLP_INSECURE=\"yes\" is not valid: it accepts true or false"
    );
    assert_eq!(
        error(&[
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", ":4317"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ]),
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=\":4317\" is not valid: it accepts an http:// or https:// URL, or host:port (https unless OTEL_EXPORTER_OTLP_INSECURE=true)"
    );
}

#[test]
fn an_endpoint_alone_selects_otlp_and_the_protocol_decides_the_path() {
    let http = otlp(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/")]);
    assert_eq!(http.protocol, Protocol::HttpProtobuf);
    assert_eq!(http.endpoint, "http://collector:4318/v1/traces");
    let grpc = otlp(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
    ]);
    assert_eq!(grpc.protocol, Protocol::Grpc);
    assert_eq!(grpc.endpoint, "http://collector:4317");
    let specific = otlp(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://general:4318"),
        (
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "https://traces.example:443/custom",
        ),
    ]);
    assert_eq!(specific.endpoint, "https://traces.example:443/custom");
    assert_eq!(
        otlp(&[
            ("OTEL_TRACES_EXPORTER", "otlp"),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc")
        ])
        .endpoint,
        "http://localhost:4317"
    );
    assert_eq!(
        error(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")]),
        "OTEL_EXPORTER_OTLP_ENDPOINT=\"collector:4318\" is not valid: it accepts an http:// or https:// URL"
    );
    assert_eq!(
        error(&[
            ("OTEL_TRACES_EXPORTER", "otlp"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
        ]),
        "OTEL_EXPORTER_OTLP_PROTOCOL=\"http/json\" is not valid: it accepts grpc or http/protobuf"
    );
}

#[test]
fn headers_compression_timeout_and_certificate() {
    let settings = otlp(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
        (
            "OTEL_EXPORTER_OTLP_HEADERS",
            "api-key=secret%3D1,tenant=acme",
        ),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", "Cargo.toml"),
    ]);
    assert_eq!(
        settings.headers,
        [
            ("api-key".to_owned(), "secret=1".to_owned()),
            ("tenant".to_owned(), "acme".to_owned())
        ]
    );
    assert_eq!(settings.compression, Some(Compression::Gzip));
    assert_eq!(settings.timeout, Duration::from_millis(2500));
    assert_eq!(settings.certificate, Some(absolute("Cargo.toml")));
    let specific = otlp(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
        ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "100"),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
        ("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "none"),
    ]);
    assert_eq!(specific.timeout, Duration::from_millis(100));
    assert_eq!(specific.compression, None);
    let base = [("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")];
    let with = |name, value| -> String {
        let mut vars = base.to_vec();
        vars.push((name, value));
        error(&vars)
    };
    assert_eq!(
        with("OTEL_EXPORTER_OTLP_HEADERS", "broken"),
        "OTEL_EXPORTER_OTLP_HEADERS=\"<hidden>\" is not valid: it accepts comma-separated name=value pairs, percent-encoded, names as HTTP headers have them, values with no control character once decoded"
    );
    assert_eq!(
        with(
            "OTEL_EXPORTER_OTLP_HEADERS",
            "x-api-key=s3cr3t, dataset,x-team=%zz"
        ),
        "OTEL_EXPORTER_OTLP_HEADERS=\"x-api-key=<hidden>,<hidden>,x-team=<hidden>\" is not valid: it accepts comma-separated name=value pairs, percent-encoded, names as HTTP headers have them, values with no control character once decoded",
        "the headers' values are secrets (API keys): never shown"
    );
    // Written as curl takes a header: the name holds the credentials.
    let curl_style = "Authorization: Basic dXNlcjpwYXNzd29yZA==";
    assert_eq!(
        with("OTEL_EXPORTER_OTLP_HEADERS", curl_style),
        "OTEL_EXPORTER_OTLP_HEADERS=\"<hidden>\" is not valid: it accepts comma-separated name=value pairs, percent-encoded, names as HTTP headers have them, values with no control character once decoded",
    );
    let printed = format!(
        "{:?}",
        Config::from_vars([("OTEL_EXPORTER_OTLP_HEADERS", curl_style)])
    );
    assert!(
        printed.contains("\"OTEL_EXPORTER_OTLP_HEADERS\": \"<hidden>\"")
            && !printed.contains("dXNl"),
        "{printed}"
    );
    let config = Config::from_vars([
        ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-api-key=s3cr3t"),
        ("OTEL_SERVICE_NAME", "shop"),
        // Another SDK's, kept as every `OTEL_*` variable is.
        ("OTEL_EXPORTER_JAEGER_PASSWORD", "hunter2"),
        ("OTEL_VENDOR_API_KEY", "k3y"),
        ("OTEL_VENDOR_APIKEY", "4pik3y"),
        ("OTEL_VENDOR_API_KEY_ID", "k3y1d"),
        ("OTEL_VENDOR_AUTHORIZATION", "b34r3r"),
    ]);
    let printed = format!("{config:?}");
    assert!(
        printed.contains("\"OTEL_EXPORTER_OTLP_TRACES_HEADERS\": \"x-api-key=<hidden>\"")
            && printed.contains("\"OTEL_SERVICE_NAME\": \"shop\"")
            && printed.contains("\"OTEL_EXPORTER_JAEGER_PASSWORD\": \"<hidden>\"")
            && !printed.contains("s3cr3t")
            && !printed.contains("hunter2")
            && !printed.contains("k3y")
            && !printed.contains("4pik3y")
            && !printed.contains("k3y1d")
            && !printed.contains("b34r3r"),
        "{printed}"
    );
    assert_eq!(
        with("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd"),
        "OTEL_EXPORTER_OTLP_COMPRESSION=\"zstd\" is not valid: it accepts gzip or none"
    );
    assert_eq!(
        with("OTEL_EXPORTER_OTLP_TIMEOUT", "10s"),
        "OTEL_EXPORTER_OTLP_TIMEOUT=\"10s\" is not valid: it accepts a whole number of milliseconds"
    );
    assert_eq!(
        with("OTEL_EXPORTER_OTLP_CERTIFICATE", "/no/such/cert.pem"),
        "OTEL_EXPORTER_OTLP_CERTIFICATE=\"/no/such/cert.pem\" is not valid: it accepts the path of a readable PEM certificate file"
    );
}

#[test]
fn a_client_certificate_and_its_key_are_set_together_each_signals_own_first() {
    let base = [("OTEL_EXPORTER_OTLP_ENDPOINT", "https://c:4318")];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut vars = base.to_vec();
        vars.extend_from_slice(extra);
        vars
    };
    let both = otlp(&with(&[
        ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "Cargo.toml"),
        ("OTEL_EXPORTER_OTLP_CLIENT_KEY", "src/lib.rs"),
    ]));
    assert_eq!(
        both.client_identity,
        Some(ClientIdentity {
            certificate: absolute("Cargo.toml"),
            key: absolute("src/lib.rs"),
        })
    );
    let own = otlp(&with(&[
        ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "Cargo.toml"),
        ("OTEL_EXPORTER_OTLP_CLIENT_KEY", "src/lib.rs"),
        ("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", "src/init.rs"),
    ]));
    assert_eq!(
        own.client_identity.map(|identity| identity.key),
        Some(absolute("src/init.rs"))
    );
    assert_eq!(otlp(&base).client_identity, None);
    assert_eq!(
        error(&with(&[("OTEL_EXPORTER_OTLP_CLIENT_KEY", "src/lib.rs")])),
        "OTEL_EXPORTER_OTLP_CLIENT_KEY=\"src/lib.rs\" is not valid: it accepts the path of the client's PEM private key, set together with OTEL_EXPORTER_OTLP_[SIGNAL_]CLIENT_CERTIFICATE (mutual TLS needs both)"
    );
    // The key itself where its path belongs (a secret mounted as a variable):
    // not printed.
    let pem =
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----";
    let said = error(&with(&[
        ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "Cargo.toml"),
        ("OTEL_EXPORTER_OTLP_CLIENT_KEY", pem),
    ]));
    assert!(!said.contains("MIIE"), "{said}");
    assert!(
        said.starts_with("OTEL_EXPORTER_OTLP_CLIENT_KEY=\"<hidden>\" is not valid"),
        "{said}"
    );
    // An EC key's base64 DER on one line, short as a path.
    let one_line = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgVcB";
    let said = error(&with(&[
        ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "Cargo.toml"),
        ("OTEL_EXPORTER_OTLP_CLIENT_KEY", one_line),
    ]));
    assert!(!said.contains("MIGH"), "{said}");
    assert_eq!(
        error(&with(&[(
            "OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE",
            "Cargo.toml"
        )])),
        "OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE=\"Cargo.toml\" is not valid: it accepts the path of the client's PEM certificate, set together with OTEL_EXPORTER_OTLP_[SIGNAL_]CLIENT_KEY (mutual TLS needs both)",
        "checked for every signal"
    );
    assert_eq!(
        error(&with(&[
            ("OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", "Cargo.toml"),
            ("OTEL_EXPORTER_OTLP_CLIENT_KEY", "/no/such/key.pem"),
        ])),
        "OTEL_EXPORTER_OTLP_CLIENT_KEY=\"/no/such/key.pem\" is not valid: it accepts the path of a readable PEM private key file"
    );
    // Logs and metrics beside the traces show the collector the same identity.
    let all = settings(&[
        (
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "https://c:4318/v1/traces",
        ),
        ("OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", "Cargo.toml"),
        ("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", "src/lib.rs"),
    ]);
    let (MetricsDestination::Otlp(metrics), LogsDestination::Otlp(logs)) =
        (all.metrics.destination, all.logs)
    else {
        panic!("beside OTLP spans, metrics and logs go over OTLP");
    };
    for beside in [metrics, logs] {
        assert_eq!(
            beside.client_identity.map(|identity| identity.key),
            Some(absolute("src/lib.rs"))
        );
    }
}

#[test]
fn samplers() {
    let sampler = |name: &str, arg: Option<&str>| {
        let mut vars = vec![("OTEL_TRACES_SAMPLER", name)];
        vars.extend(arg.map(|arg| ("OTEL_TRACES_SAMPLER_ARG", arg)));
        format!("{:?}", settings(&vars).sampler)
    };
    let debug = |sampler: Sampler| format!("{sampler:?}");
    assert_eq!(sampler("always_on", None), debug(Sampler::AlwaysOn));
    assert_eq!(sampler("always_off", None), debug(Sampler::AlwaysOff));
    assert_eq!(
        sampler("traceidratio", Some("0.25")),
        debug(Sampler::TraceIdRatioBased(0.25))
    );
    assert_eq!(
        sampler("traceidratio", None),
        debug(Sampler::TraceIdRatioBased(1.0))
    );
    assert_eq!(
        sampler("parentbased_always_on", None),
        debug(Sampler::ParentBased(Box::new(Sampler::AlwaysOn)))
    );
    assert_eq!(
        sampler("parentbased_always_off", None),
        debug(Sampler::ParentBased(Box::new(Sampler::AlwaysOff)))
    );
    assert_eq!(
        sampler("parentbased_traceidratio", Some("0.5")),
        debug(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
            0.5
        ))))
    );
    assert_eq!(
        error(&[("OTEL_TRACES_SAMPLER", "ratio")]),
        "OTEL_TRACES_SAMPLER=\"ratio\" is not valid: it accepts always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio or otel_traced_adaptive"
    );
    assert_eq!(
        error(&[
            ("OTEL_TRACES_SAMPLER", "traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "1.5")
        ]),
        "OTEL_TRACES_SAMPLER_ARG=\"1.5\" is not valid: it accepts a ratio from 0 to 1, such as 0.25"
    );
}

#[test]
fn propagators_variable() {
    assert_eq!(
        settings(&[("OTEL_PROPAGATORS", "baggage")]).propagators,
        [Propagator::Baggage]
    );
    assert!(
        settings(&[("OTEL_PROPAGATORS", "none")])
            .propagators
            .is_empty()
    );
    assert_eq!(
        settings(&[("OTEL_PROPAGATORS", "tracecontext,baggage,tracecontext")]).propagators,
        [Propagator::TraceContext, Propagator::Baggage],
        "each once, wherever it repeats"
    );
    let given = Config::from_vars(Vec::<(&str, &str)>::new())
        .propagators([
            Propagator::Baggage,
            Propagator::TraceContext,
            Propagator::Baggage,
        ])
        .settings()
        .expect("valid");
    assert_eq!(
        given.propagators,
        [Propagator::Baggage, Propagator::TraceContext]
    );
    assert_eq!(
        settings(&[("OTEL_PROPAGATORS", "tracecontext,B3,b3multi")]).propagators,
        [
            Propagator::TraceContext,
            Propagator::B3,
            Propagator::B3Multi
        ]
    );
    assert_eq!(
        error(&[("OTEL_PROPAGATORS", "tracecontext,xray")]),
        "OTEL_PROPAGATORS=\"tracecontext,xray\" is not valid: it accepts a comma-separated list of tracecontext, baggage, b3, b3multi and none; jaeger, xray and ottrace are not built in: leave them out here and set a propagator holding them as the global one after init() (boundaries use the global propagator), or install your own provider and propagator and call use_global_provider()"
    );
    assert_eq!(
        error(&[("OTEL_PROPAGATORS", "tracecontext,zipkin")]),
        "OTEL_PROPAGATORS=\"tracecontext,zipkin\" is not valid: it accepts a comma-separated list of tracecontext, baggage, b3, b3multi and none"
    );
    assert_eq!(
        error(&[("OTEL_PROPAGATORS", " , ")]),
        "OTEL_PROPAGATORS=\",\" is not valid: it accepts a comma-separated list of tracecontext, baggage, b3, b3multi and none",
        "commas alone are neither unset nor none"
    );
}

#[test]
fn a_disabled_sdk_says_it_installs_the_default_propagators_over_a_refused_value() {
    let disabled = |propagators: &str| {
        Config::from_vars([
            ("OTEL_SDK_DISABLED", "true"),
            ("OTEL_PROPAGATORS", propagators),
        ])
        .propagators_when_disabled()
    };
    assert_eq!(disabled("baggage"), (vec![Propagator::Baggage], true, None));
    assert_eq!(
        disabled("b3multi,xray"),
        (
            vec![Propagator::B3Multi],
            true,
            Some(
                "OTEL_PROPAGATORS=\"b3multi,xray\" is not valid: it accepts a comma-separated list of tracecontext, baggage, b3, b3multi and none; jaeger, xray and ottrace are not built in: leave them out here and set a propagator holding them as the global one after init() (boundaries use the global propagator), or install your own provider and propagator and call use_global_provider(); with OTEL_SDK_DISABLED=true those of them otel-traced has are installed"
                    .to_owned()
            )
        ),
        "ours among the specification's others"
    );
    assert_eq!(
        disabled("xray"),
        (
            DEFAULT_PROPAGATORS.to_vec(),
            false,
            Some(
                "OTEL_PROPAGATORS=\"xray\" is not valid: it accepts a comma-separated list of tracecontext, baggage, b3, b3multi and none; jaeger, xray and ottrace are not built in: leave them out here and set a propagator holding them as the global one after init() (boundaries use the global propagator), or install your own provider and propagator and call use_global_provider(); with OTEL_SDK_DISABLED=true the default propagators, tracecontext and baggage, are installed where the application set none"
                    .to_owned()
            )
        ),
        "not chosen: the application's propagator, if it set one, is kept"
    );
}

#[test]
fn batch_processor_variables() {
    let batch = settings(&[
        ("OTEL_BSP_MAX_QUEUE_SIZE", "1000"),
        ("OTEL_BSP_SCHEDULE_DELAY", "250"),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "1000"),
        ("OTEL_BSP_EXPORT_TIMEOUT", "1500"),
    ])
    .batch;
    assert_eq!(
        batch,
        BatchSettings {
            max_queue_size: 1000,
            scheduled_delay: Some(Duration::from_millis(250)),
            max_export_batch_size: 1000,
            export_timeout: Duration::from_millis(1500),
        },
    );
    assert_eq!(
        error(&[
            ("OTEL_BSP_MAX_QUEUE_SIZE", "1000"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "2000"),
        ]),
        "OTEL_BSP_MAX_EXPORT_BATCH_SIZE=\"2000\" is not valid: it accepts a whole number from 1 to OTEL_BSP_MAX_QUEUE_SIZE (65536 unless set)",
        "a batch larger than the queue"
    );
    assert_eq!(
        error(&[("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "70000")]),
        "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE=\"70000\" is not valid: it accepts a whole number from 1 to OTEL_BLRP_MAX_QUEUE_SIZE (65536 unless set)",
        "a batch larger than the default queue"
    );
    for size in ["0", "10000000"] {
        assert_eq!(
            error(&[("OTEL_BSP_MAX_QUEUE_SIZE", size)]),
            format!(
                "OTEL_BSP_MAX_QUEUE_SIZE=\"{size}\" is not valid: it accepts a whole number from 1 to 1048576 (the queue is allocated at start, about 360 bytes a span)"
            )
        );
    }
    assert_eq!(
        Config::from_vars(Vec::<(&str, &str)>::new())
            .max_queue_size(usize::MAX)
            .settings()
            .expect("valid")
            .batch
            .max_queue_size,
        1 << 20,
        "a builder's size is kept within the bound"
    );
    assert_eq!(
        error(&[("OTEL_BSP_SCHEDULE_DELAY", "soon")]),
        "OTEL_BSP_SCHEDULE_DELAY=\"soon\" is not valid: it accepts a whole number of milliseconds above 0"
    );
    assert_eq!(
        error(&[("OTEL_BSP_EXPORT_TIMEOUT", "1.5")]),
        "OTEL_BSP_EXPORT_TIMEOUT=\"1.5\" is not valid: it accepts a whole number of milliseconds"
    );
    assert_eq!(
        error(&[("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "many")]),
        "OTEL_BSP_MAX_EXPORT_BATCH_SIZE=\"many\" is not valid: it accepts a whole number greater than 0"
    );
}

#[test]
fn the_log_batch_processor_has_variables_of_its_own() {
    let settings = settings(&[
        ("OTEL_BSP_MAX_QUEUE_SIZE", "1000"),
        ("OTEL_BLRP_MAX_QUEUE_SIZE", "4096"),
        ("OTEL_BLRP_SCHEDULE_DELAY", "200"),
        ("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "256"),
        ("OTEL_BLRP_EXPORT_TIMEOUT", "2500"),
    ]);
    assert_eq!(
        settings.log_batch,
        BatchSettings {
            max_queue_size: 4096,
            scheduled_delay: Some(Duration::from_millis(200)),
            max_export_batch_size: 256,
            export_timeout: Duration::from_millis(2500),
        }
    );
    assert_eq!(settings.batch.max_queue_size, 1000, "the spans' own");
    let chosen = Config::from_vars(Vec::<(&str, &str)>::new())
        .max_queue_size(10)
        .settings()
        .expect("valid");
    assert_eq!(
        chosen.log_batch.max_queue_size, 65_536,
        "the builder's calls are the spans'"
    );
    assert_eq!(
        error(&[("OTEL_BLRP_MAX_QUEUE_SIZE", "0")]),
        "OTEL_BLRP_MAX_QUEUE_SIZE=\"0\" is not valid: it accepts a whole number from 1 to 1048576 (the queue is allocated at start)"
    );
    assert_eq!(
        error(&[("OTEL_BLRP_SCHEDULE_DELAY", "soon")]),
        "OTEL_BLRP_SCHEDULE_DELAY=\"soon\" is not valid: it accepts a whole number of milliseconds above 0"
    );
}

#[test]
fn a_delay_of_zero_is_refused_and_a_timeout_of_zero_is_none() {
    // A delay of 0 would make the export thread wake without end; the
    // specification reads a timeout of 0 as no limit.
    assert_eq!(
        error(&[("OTEL_BSP_SCHEDULE_DELAY", "0")]),
        "OTEL_BSP_SCHEDULE_DELAY=\"0\" is not valid: it accepts a whole number of milliseconds above 0"
    );
    assert_eq!(
        settings(&[("OTEL_BSP_EXPORT_TIMEOUT", "0")])
            .batch
            .export_timeout,
        super::NO_LIMIT
    );
    // A header value HTTP sends as it is (obs-text): not refused.
    let accented = otlp(&[
        ("OTEL_TRACES_EXPORTER", "otlp"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "x-team=M%C3%BCller"),
    ]);
    assert_eq!(
        accented.headers,
        [("x-team".to_owned(), "Müller".to_owned())]
    );
    for name in [
        "OTEL_EXPORTER_OTLP_TIMEOUT",
        "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
    ] {
        let otlp = otlp(&[("OTEL_TRACES_EXPORTER", "otlp"), (name, "0")]);
        assert_eq!(otlp.timeout, super::NO_LIMIT, "{name}");
    }
}

#[test]
fn builder_values_too_small_to_export_are_raised_to_the_least_that_works() {
    let settings = Config::from_vars(Vec::<(String, String)>::new())
        .max_queue_size(0)
        .max_export_batch_size(0)
        .scheduled_delay(Duration::ZERO)
        .export_timeout(Duration::ZERO)
        .settings()
        .unwrap();
    assert_eq!(
        settings.batch,
        BatchSettings {
            max_queue_size: 1,
            scheduled_delay: Some(Duration::from_millis(1)),
            max_export_batch_size: 1,
            // None, as a variable's 0 is.
            export_timeout: super::NO_LIMIT,
        }
    );
}

#[test]
fn endpoints_are_urls_naming_a_host_and_their_scheme_is_read_in_any_case() {
    assert_eq!(
        otlp(&[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://a")]).endpoint,
        "http://a",
        "a short host"
    );
    assert_eq!(
        otlp(&[(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "HTTPS://Tempo:4318/v1/traces"
        )])
        .endpoint,
        "https://Tempo:4318/v1/traces",
        "the scheme in lower case, for the exporter's TLS"
    );
    for (nameless, shown) in [
        ("http://", "http://"),
        ("https:///v1/traces", "https:///v1/traces"),
        ("http://:4317", "http://:4317"),
        // User information and queries may hold a token: never shown.
        ("http://user:s3cr3t@:4318/?key=s3cr3t", "http://:4318/"),
        ("user:s3cr3t@collector:4318", "collector:4318"),
    ] {
        assert_eq!(
            error(&[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", nameless)]),
            format!(
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT={shown:?} is not valid: it accepts an http:// or https:// URL"
            )
        );
    }
    // Credentials in an endpoint are sent by neither exporter as written: refused,
    // unshown.
    assert_eq!(
        error(&[(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "https://user:s3cr3t@collector:4318"
        )]),
        "OTEL_EXPORTER_OTLP_ENDPOINT=\"https://collector:4318\" is not valid: it accepts a URL without user information (credentials: put them in OTEL_EXPORTER_OTLP_[SIGNAL_]HEADERS (authorization=Basic%20..))"
    );
    assert_eq!(
        error(&[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "user:s3cr3t@collector:4317"
            )
        ]),
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=\"collector:4317\" is not valid: it accepts a URL without user information (credentials: put them in OTEL_EXPORTER_OTLP_[SIGNAL_]HEADERS (authorization=Basic%20..))"
    );
    // A token pasted with a `/` in it reads as a host and a path: refused too. A
    // tenant's `@` further on, or in the query, is no credential.
    assert!(
        error(&[(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "https://Zm9v/YmFy@collector:4318"
        )])
        .contains("without user information")
    );
    for kept in [
        "https://collector:4318/v1/traces/@acme",
        "https://collector:4318/?email=ada@example.com",
        "https://[::1]:4318",
    ] {
        assert_eq!(
            otlp(&[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", kept)]).endpoint,
            kept
        );
    }
    let built = Config::from_vars(Vec::<(&str, &str)>::new())
        .exporter(Exporter::Otlp {
            endpoint: Some("https://user:s3cr3t@built:4318/v1/traces".to_owned()),
            protocol: Protocol::HttpProtobuf,
        })
        .settings()
        .expect_err("credentials")
        .to_string();
    assert_eq!(
        built,
        "the OTLP exporter could not be set up: the endpoint \"https://built:4318/v1/traces\" given to the builder holds credentials, which are not sent as written: put them in OTEL_EXPORTER_OTLP_[SIGNAL_]HEADERS (authorization=Basic%20..)"
    );
    let config = Config::from_vars([(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "https://user:s3cr3t@collector:4318/?key=s3cr3t",
    )])
    .exporter(Exporter::Otlp {
        endpoint: Some("https://user:s3cr3t@built:4318/v1/traces?key=s3cr3t".to_owned()),
        protocol: Protocol::HttpProtobuf,
    });
    let printed = format!("{config:?}");
    assert!(
        printed.contains("\"OTEL_EXPORTER_OTLP_ENDPOINT\": \"https://collector:4318/\"")
            && printed.contains("endpoint: Some(\"https://built:4318/v1/traces\")")
            && !printed.contains("s3cr3t"),
        "{printed}"
    );
    // A builder's endpoint is checked too: without a scheme, the exporter would
    // make it https:// without the certificate asked for.
    let built = Config::from_vars(Vec::<(&str, &str)>::new())
        .exporter(Exporter::Otlp {
            endpoint: Some("collector:4317".to_owned()),
            protocol: Protocol::Grpc,
        })
        .settings()
        .expect_err("no URL")
        .to_string();
    assert_eq!(
        built,
        "the OTLP exporter could not be set up: the endpoint \"collector:4317\" given to the builder is not an http:// or https:// URL"
    );
    let built = Config::from_vars(Vec::<(&str, &str)>::new())
        .exporter(Exporter::Otlp {
            endpoint: Some("ftp://user:s3cr3t@collector?key=s3cr3t".to_owned()),
            protocol: Protocol::HttpProtobuf,
        })
        .settings()
        .expect_err("no http URL")
        .to_string();
    assert_eq!(
        built,
        "the OTLP exporter could not be set up: the endpoint \"ftp://collector\" given to the builder is not an http:// or https:// URL"
    );
}

#[test]
fn signal_specific_variables_are_checked_like_the_general_ones() {
    assert_eq!(
        error(&[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://collector")]),
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=\"ftp://collector\" is not valid: it accepts an http:// or https:// URL"
    );
    assert_eq!(
        error(&[
            ("OTEL_TRACES_EXPORTER", "otlp"),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "udp")
        ]),
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=\"udp\" is not valid: it accepts grpc or http/protobuf"
    );
    let base = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318");
    for unsendable in ["a=%zz", "a=%00", "a=x%0D%0Ay", "a=%7F"] {
        assert_eq!(
            error(&[base, ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", unsendable)]),
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS=\"a=<hidden>\" is not valid: it accepts comma-separated name=value pairs, percent-encoded, names as HTTP headers have them, values with no control character once decoded",
            "{unsendable}"
        );
    }
    assert_eq!(
        error(&[base, ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "fast")]),
        "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT=\"fast\" is not valid: it accepts a whole number of milliseconds"
    );
    assert_eq!(
        error(&[base, ("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "brotli")]),
        "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION=\"brotli\" is not valid: it accepts gzip or none"
    );
    assert_eq!(
        error(&[
            base,
            ("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "missing.pem")
        ]),
        "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE=\"missing.pem\" is not valid: it accepts the path of a readable PEM certificate file"
    );
}

#[test]
fn attribute_value_length_limit() {
    assert_eq!(
        settings(&[("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "64")]).value_length_limit,
        Some(64)
    );
    assert_eq!(
        settings(&[
            ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "64"),
            ("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "16"),
        ])
        .value_length_limit,
        Some(16),
        "the span's own wins"
    );
    assert_eq!(
        error(&[("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "-1")]),
        "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT=\"-1\" is not valid: it accepts a whole number of characters (0 or more)"
    );
    let limits = |vars: &[(&str, &str)]| {
        let settings = settings(vars);
        (
            settings.value_length_limit,
            settings.log_limits.value_length,
        )
    };
    assert_eq!(
        limits(&[("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "64")]),
        (Some(64), Some(64)),
        "the general limit is both"
    );
    assert_eq!(
        limits(&[
            ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "64"),
            ("OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT", "8"),
        ]),
        (Some(64), Some(8)),
        "the log records' own wins for them alone"
    );
    assert_eq!(
        error(&[("OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT", "many")]),
        "OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT=\"many\" is not valid: it accepts a whole number of characters (0 or more)"
    );
}

#[test]
fn log_record_attribute_count_limit() {
    let count = |vars: &[(&str, &str)]| settings(vars).log_limits.max_attributes;
    assert_eq!(count(&[]), 128, "the specification's default");
    assert_eq!(count(&[("OTEL_ATTRIBUTE_COUNT_LIMIT", "16")]), 16);
    assert_eq!(
        count(&[
            ("OTEL_ATTRIBUTE_COUNT_LIMIT", "16"),
            ("OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT", "4"),
        ]),
        4,
        "the log records' own wins"
    );
    assert_eq!(
        error(&[("OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT", "-1")]),
        "OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT=\"-1\" is not valid: it accepts a whole number (0 or more)"
    );
}

/// The logs' endpoint and protocol beside traces a builder call sends over gRPC
/// (to `endpoint`, or where the variables say).
fn logs_of_grpc_traces(vars: &[(&str, &str)], endpoint: Option<&str>) -> (String, Protocol) {
    let built = Config::from_vars(vars.iter().copied())
        .exporter(Exporter::Otlp {
            endpoint: endpoint.map(str::to_owned),
            protocol: Protocol::Grpc,
        })
        .settings()
        .expect("valid");
    match built.logs {
        LogsDestination::Otlp(otlp) => (otlp.endpoint, otlp.protocol),
        other => panic!("expected OTLP logs, got {other:?}"),
    }
}

fn logs_endpoint(vars: &[(&str, &str)]) -> (String, Protocol) {
    match settings(vars).logs {
        LogsDestination::Otlp(otlp) => (otlp.endpoint, otlp.protocol),
        other => panic!("expected OTLP logs, got {other:?}"),
    }
}

#[test]
fn logs_go_beside_spans_sent_over_otlp_unless_told_otherwise() {
    assert_eq!(settings(&[]).logs, LogsDestination::None, "the console");
    assert_eq!(
        logs_endpoint(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/")]),
        (
            "http://collector:4318/v1/logs".to_owned(),
            Protocol::HttpProtobuf
        )
    );
    assert_eq!(
        logs_endpoint(&[(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "http://collector:4318/v1/traces"
        )]),
        (
            "http://collector:4318/v1/logs".to_owned(),
            Protocol::HttpProtobuf
        ),
        "beside a signal-specific traces endpoint"
    );
    assert_eq!(
        logs_endpoint(&[
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "http://collector:4317"
            ),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ]),
        ("http://collector:4317".to_owned(), Protocol::Grpc)
    );
    let builder = Config::from_vars([("OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", "250")])
        .exporter(Exporter::Otlp {
            endpoint: Some("https://tempo:4317".to_owned()),
            protocol: Protocol::Grpc,
        })
        .settings()
        .expect("valid");
    match builder.logs {
        LogsDestination::Otlp(otlp) => {
            assert_eq!(otlp.endpoint, "https://tempo:4317");
            assert_eq!(otlp.protocol, Protocol::Grpc);
            assert_eq!(otlp.timeout, Duration::from_millis(250));
        }
        other => panic!("expected OTLP logs, got {other:?}"),
    }
    assert_eq!(
        logs_endpoint(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            (
                "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
                "http://loki:3100/otlp/v1/logs"
            ),
        ]),
        (
            "http://loki:3100/otlp/v1/logs".to_owned(),
            Protocol::HttpProtobuf
        ),
        "the logs endpoint wins"
    );
    // Sent elsewhere, logs take their own protocol, not the traces'.
    assert_eq!(
        logs_endpoint(&[
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://tempo:4317"),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"),
            (
                "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
                "http://loki:3100/otlp/v1/logs"
            ),
        ]),
        (
            "http://loki:3100/otlp/v1/logs".to_owned(),
            Protocol::HttpProtobuf
        ),
        "the default protocol"
    );
    assert_eq!(
        logs_endpoint(&[
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://tempo:4317"),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
        ]),
        (
            "http://collector:4318/v1/logs".to_owned(),
            Protocol::HttpProtobuf
        ),
        "to the general endpoint, not the traces' collector: the default"
    );
    assert_eq!(
        logs_endpoint(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"),
        ]),
        ("http://collector:4317".to_owned(), Protocol::Grpc),
        "the general protocol variable applies to logs"
    );
    // Beside a builder's traces, their protocol over the general variable's.
    assert_eq!(
        logs_of_grpc_traces(
            &[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")],
            Some("https://tempo:4317")
        ),
        ("https://tempo:4317".to_owned(), Protocol::Grpc)
    );
    // Sent to the general endpoint, as the traces are: their protocol, even one
    // a builder call gave.
    assert_eq!(
        logs_of_grpc_traces(
            &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")],
            None
        ),
        ("http://collector:4317".to_owned(), Protocol::Grpc)
    );
    assert_eq!(
        logs_endpoint(&[("OTEL_LOGS_EXPORTER", "otlp")]),
        (
            "http://localhost:4318/v1/logs".to_owned(),
            Protocol::HttpProtobuf
        ),
        "asked for while spans print on the console"
    );
    assert_eq!(
        settings(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("OTEL_LOGS_EXPORTER", "none"),
        ])
        .logs,
        LogsDestination::None
    );
    // The specification's `console`: the application's own logger prints the
    // lines, as it does without OTLP.
    assert_eq!(
        settings(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("OTEL_LOGS_EXPORTER", "console"),
        ])
        .logs,
        LogsDestination::None
    );
    assert_eq!(
        error(&[("OTEL_LOGS_EXPORTER", "stdout")]),
        "OTEL_LOGS_EXPORTER=\"stdout\" is not valid: it accepts otlp, console or none (console and none: your own logger prints the lines, as without OTLP)"
    );
    let LogsDestination::Otlp(otlp) = settings(&[
        ("OTEL_TRACES_EXPORTER", "none"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
    ])
    .logs
    else {
        panic!("the general endpoint applies to logs, whatever the spans do");
    };
    assert_eq!(otlp.endpoint, "http://collector:4318/v1/logs");
    assert_eq!(
        settings(&[("OTEL_LOGS_EXPORTER", " otlp , ")]).logs,
        settings(&[("OTEL_LOGS_EXPORTER", "otlp")]).logs,
        "a list of one, as the specification writes exporters"
    );
}

#[test]
fn rpc_dup_is_read_from_the_configurations_variables() {
    let legacy = |value: &str| settings(&[("OTEL_SEMCONV_STABILITY_OPT_IN", value)]).legacy_rpc;
    assert!(!settings(&[]).legacy_rpc);
    assert!(legacy("rpc/dup"));
    assert!(legacy("http, RPC/DUP "));
    assert!(!legacy("http"));
    assert!(!legacy("rpc"));
}

#[test]
fn exception_signal_opt_in() {
    let signal =
        |value: &str| settings(&[("OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN", value)]).exception_signal;
    assert_eq!(settings(&[]).exception_signal, ExceptionSignal::SpanEvent);
    assert_eq!(signal("logs"), ExceptionSignal::Log);
    assert_eq!(signal("logs/dup"), ExceptionSignal::Both);
    assert_eq!(signal("logs, logs/dup"), ExceptionSignal::Both);
    assert_eq!(signal("logs/dup,logs"), ExceptionSignal::Both);
    assert_eq!(
        error(&[("OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN", "events")]),
        "OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN=\"events\" is not valid: it accepts logs or logs/dup"
    );
}

#[test]
fn the_adaptive_sampler_and_its_variables() {
    use crate::AdaptiveSampler;
    use std::time::Duration;
    let debug = |sampler: Sampler| format!("{sampler:?}");
    assert_eq!(
        format!(
            "{:?}",
            settings(&[("OTEL_TRACES_SAMPLER", "otel_traced_adaptive")]).sampler
        ),
        debug(AdaptiveSampler::new(0.1).into()),
        "defaults: base ratio 0.1"
    );
    let configured = settings(&[
        ("OTEL_TRACES_SAMPLER", "OTEL_TRACED_ADAPTIVE"),
        ("OTEL_TRACES_SAMPLER_ARG", "0.25"),
        ("OTEL_TRACED_SAMPLER_FIRST", "3"),
        ("OTEL_TRACED_SAMPLER_INTERVAL", "5000"),
        ("OTEL_TRACED_SAMPLER_ERROR_THRESHOLD", "0.5"),
        ("OTEL_TRACED_SAMPLER_MIN_CALLS", "7"),
        ("OTEL_TRACED_SAMPLER_COOLDOWN", "9000"),
    ]);
    assert_eq!(
        format!("{:?}", configured.sampler),
        debug(
            AdaptiveSampler::new(0.25)
                .first(3)
                .interval(Duration::from_secs(5))
                .error_threshold(0.5)
                .min_calls(7)
                .cooldown(Duration::from_secs(9))
                .into()
        )
    );
    let adaptive = |name: &'static str, value: &'static str| {
        error(&[
            ("OTEL_TRACES_SAMPLER", "otel_traced_adaptive"),
            (name, value),
        ])
    };
    assert_eq!(
        adaptive("OTEL_TRACED_SAMPLER_ERROR_THRESHOLD", "5%"),
        "OTEL_TRACED_SAMPLER_ERROR_THRESHOLD=\"5%\" is not valid: it accepts a share of failed calls from 0 to 1, such as 0.05"
    );
    assert_eq!(
        adaptive("OTEL_TRACED_SAMPLER_MIN_CALLS", "0"),
        "OTEL_TRACED_SAMPLER_MIN_CALLS=\"0\" is not valid: it accepts a whole number of calls above 0"
    );
    assert_eq!(
        adaptive("OTEL_TRACED_SAMPLER_INTERVAL", "0"),
        "OTEL_TRACED_SAMPLER_INTERVAL=\"0\" is not valid: it accepts a whole number of milliseconds above 0"
    );
    assert_eq!(
        adaptive("OTEL_TRACES_SAMPLER_ARG", "2"),
        "OTEL_TRACES_SAMPLER_ARG=\"2\" is not valid: it accepts a ratio from 0 to 1, such as 0.25"
    );
}

#[test]
fn metrics_follow_the_spans_unless_told_otherwise() {
    use crate::config::MetricsDestination;
    let metrics = |vars: &[(&'static str, &'static str)]| settings(vars).metrics;
    assert_eq!(
        metrics(&[]).destination,
        MetricsDestination::Console(ConsoleOutput::Stdout)
    );
    assert_eq!(
        metrics(&[("OTEL_TRACES_EXPORTER", "none")]).destination,
        MetricsDestination::None
    );
    let MetricsDestination::Otlp(otlp) = metrics(&[(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "http://collector:4318/v1/traces",
    )])
    .destination
    else {
        panic!("beside OTLP spans, metrics go over OTLP");
    };
    assert_eq!(otlp.endpoint, "http://collector:4318/v1/metrics");
    // Beside the traces' collector, with what it needs (an API key, its timeout)
    // unless the signal's own variables say otherwise.
    let certificate =
        std::env::temp_dir().join(format!("otel-traced-beside-ca-{}.pem", std::process::id()));
    std::fs::write(&certificate, "not read while configuring").expect("writable");
    let vars = [
        (
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "https://api.vendor.example/v1/traces",
        ),
        ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-api-key=K"),
        ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "2500"),
        ("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip"),
        (
            "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
            certificate.to_str().expect("a UTF-8 path"),
        ),
        ("OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", "700"),
    ];
    let all = settings(&vars);
    let (MetricsDestination::Otlp(metrics_beside), LogsDestination::Otlp(logs)) =
        (all.metrics.destination, all.logs)
    else {
        panic!("beside OTLP spans, metrics and logs go over OTLP");
    };
    for beside in [&metrics_beside, &logs] {
        assert_eq!(beside.headers, [("x-api-key".to_owned(), "K".to_owned())]);
        assert_eq!(beside.certificate.as_deref(), Some(certificate.as_path()));
        assert_eq!(beside.compression, Some(Compression::Gzip));
    }
    assert_eq!(
        metrics_beside.endpoint,
        "https://api.vendor.example/v1/metrics"
    );
    assert_eq!(metrics_beside.timeout, Duration::from_millis(2500));
    assert_eq!(logs.timeout, Duration::from_millis(700), "the logs' own");
    let elsewhere = settings(&[
        vars[0],
        vars[1],
        (
            "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
            "https://metrics.example/v1/metrics",
        ),
    ]);
    let MetricsDestination::Otlp(elsewhere) = elsewhere.metrics.destination else {
        panic!("metrics over OTLP");
    };
    assert!(
        elsewhere.headers.is_empty(),
        "another collector: not its key"
    );
    let _ = std::fs::remove_file(certificate);
    let MetricsDestination::Otlp(otlp) = metrics(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
    ])
    .destination
    else {
        panic!("beside OTLP spans, metrics go over OTLP");
    };
    assert_eq!(otlp.endpoint, "http://collector:4317");
    assert_eq!(
        metrics(&[("OTEL_METRICS_EXPORTER", "none")]).destination,
        MetricsDestination::None
    );
    assert_eq!(
        metrics(&[("OTEL_METRICS_EXPORTER", "none,")]).destination,
        MetricsDestination::None,
        "a list of one, as the specification writes exporters"
    );
    assert_eq!(
        error(&[("OTEL_METRICS_EXPORTER", "otlp,console")]),
        "OTEL_METRICS_EXPORTER=\"otlp,console\" is not valid: it accepts otlp, console or none"
    );
    for spans in ["none", "console"] {
        let MetricsDestination::Otlp(otlp) = metrics(&[
            ("OTEL_TRACES_EXPORTER", spans),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
        ])
        .destination
        else {
            panic!("the general endpoint applies to metrics, spans {spans}");
        };
        assert_eq!(otlp.endpoint, "http://collector:4318/v1/metrics");
    }
    let settings = metrics(&[
        ("OTEL_METRICS_EXPORTER", "console"),
        ("OTEL_TRACES_EXPORTER", "none"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "1500"),
        ("OTEL_TRACED_FUNCTION_METRICS", "true"),
    ]);
    assert_eq!(
        settings.destination,
        MetricsDestination::Console(ConsoleOutput::Stdout)
    );
    assert_eq!(settings.interval, std::time::Duration::from_millis(1500));
    assert_eq!(settings.export_timeout, std::time::Duration::from_secs(30));
    assert_eq!(
        metrics(&[("OTEL_METRIC_EXPORT_TIMEOUT", "2500")]).export_timeout,
        std::time::Duration::from_millis(2500)
    );
    assert_eq!(
        metrics(&[("OTEL_METRIC_EXPORT_TIMEOUT", "0")]).export_timeout,
        super::NO_LIMIT,
        "no limit, as the specification reads 0"
    );
    assert_eq!(
        error(&[("OTEL_METRIC_EXPORT_INTERVAL", "0")]),
        "OTEL_METRIC_EXPORT_INTERVAL=\"0\" is not valid: it accepts a whole number of milliseconds above 0"
    );
    assert!(settings.all_functions);
    assert!(!metrics(&[]).all_functions);
    assert_eq!(
        error(&[("OTEL_METRICS_EXPORTER", "prometheus")]),
        "OTEL_METRICS_EXPORTER=\"prometheus\" is not valid: it accepts otlp, console or none"
    );
    use crate::config::metrics::Temporality;
    assert_eq!(metrics(&[]).temporality, Temporality::Cumulative);
    let over_otlp = ("OTEL_METRICS_EXPORTER", "otlp");
    assert_eq!(
        metrics(&[
            over_otlp,
            ("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "Delta")
        ])
        .temporality,
        Temporality::Delta
    );
    assert_eq!(
        error(&[
            over_otlp,
            ("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "gauge")
        ]),
        "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=\"gauge\" is not valid: it accepts cumulative, delta or lowmemory"
    );
    assert_eq!(
        metrics(&[
            ("OTEL_METRICS_EXPORTER", "console"),
            ("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "gauge")
        ])
        .temporality,
        Temporality::Cumulative,
        "an OTLP variable, not read for metrics that do not go over OTLP"
    );
    use crate::config::metrics::HistogramAggregation;
    const AGGREGATION: &str = "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION";
    assert_eq!(
        metrics(&[over_otlp]).histograms,
        HistogramAggregation::ExplicitBuckets
    );
    assert_eq!(
        metrics(&[
            over_otlp,
            (AGGREGATION, "BASE2_exponential_bucket_histogram")
        ])
        .histograms,
        HistogramAggregation::Base2Exponential
    );
    assert_eq!(
        metrics(&[over_otlp, (AGGREGATION, "explicit_bucket_histogram")]).histograms,
        HistogramAggregation::ExplicitBuckets
    );
    assert_eq!(
        error(&[over_otlp, (AGGREGATION, "exponential")]),
        "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION=\"exponential\" is not valid: it accepts explicit_bucket_histogram or base2_exponential_bucket_histogram"
    );
    assert_eq!(
        metrics(&[
            ("OTEL_METRICS_EXPORTER", "console"),
            (AGGREGATION, "exponential")
        ])
        .histograms,
        HistogramAggregation::ExplicitBuckets,
        "an OTLP variable, not read for metrics that do not go over OTLP"
    );
    assert_eq!(
        error(&[("OTEL_TRACED_FUNCTION_METRICS", "yes")]),
        "OTEL_TRACED_FUNCTION_METRICS=\"yes\" is not valid: it accepts true or false"
    );
}

#[test]
fn builder_calls_win_over_their_variables_even_a_bad_one() {
    use opentelemetry_sdk::trace::Sampler;
    let built = |vars: &[(&str, &str)]| {
        Config::from_vars(vars.iter().copied())
            .sampler(Sampler::TraceIdRatioBased(0.5))
            .propagators([Propagator::TraceContext])
            .function_metrics(false)
            .settings()
            .expect("the builder's values, not the variables'")
    };
    for vars in [
        [
            ("OTEL_TRACES_SAMPLER", "always_off"),
            ("OTEL_PROPAGATORS", "none"),
            ("OTEL_TRACED_FUNCTION_METRICS", "true"),
        ],
        [
            ("OTEL_TRACES_SAMPLER", "sometimes"),
            ("OTEL_PROPAGATORS", "xray"),
            ("OTEL_TRACED_FUNCTION_METRICS", "yes"),
        ],
    ] {
        let settings = built(&vars);
        assert_eq!(
            format!("{:?}", settings.sampler),
            format!("{:?}", Sampler::TraceIdRatioBased(0.5)),
            "{vars:?}"
        );
        assert_eq!(settings.propagators, [Propagator::TraceContext], "{vars:?}");
        assert!(!settings.metrics.all_functions, "{vars:?}");
    }
}

#[test]
fn span_count_limits_each_over_the_general_attribute_count() {
    let limits = |vars: &[(&str, &str)]| {
        let limits = settings(vars).span_limits;
        [
            limits.max_attributes_per_span,
            limits.max_events_per_span,
            limits.max_links_per_span,
            limits.max_attributes_per_event,
            limits.max_attributes_per_link,
        ]
    };
    assert_eq!(limits(&[]), [128; 5], "the specification's defaults");
    assert_eq!(
        limits(&[("OTEL_ATTRIBUTE_COUNT_LIMIT", "10")]),
        [10, 128, 128, 10, 10],
        "the general one counts attributes"
    );
    assert_eq!(
        limits(&[
            ("OTEL_ATTRIBUTE_COUNT_LIMIT", "10"),
            ("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "20"),
            ("OTEL_SPAN_EVENT_COUNT_LIMIT", "3"),
            ("OTEL_SPAN_LINK_COUNT_LIMIT", "4"),
            ("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "5"),
            ("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "99999999999"),
        ]),
        [20, 3, 4, 5, u32::MAX]
    );
    assert_eq!(
        error(&[("OTEL_SPAN_LINK_COUNT_LIMIT", "many")]),
        "OTEL_SPAN_LINK_COUNT_LIMIT=\"many\" is not valid: it accepts a whole number (0 or more)"
    );
}

#[cfg(feature = "testing")]
#[test]
fn a_captures_limits_take_each_invalid_one_as_its_default_and_keep_the_others() {
    let limits = capture_span_limits(&Vars::from_pairs([
        ("OTEL_ATTRIBUTE_COUNT_LIMIT", "many"),
        ("OTEL_SPAN_LINK_COUNT_LIMIT", "4"),
    ]));
    assert_eq!(limits.max_links_per_span, 4);
    assert_eq!(limits.max_attributes_per_span, 128);
}

#[test]
fn the_shutdown_timeout_is_five_seconds_unless_set_within_a_day() {
    let timeout = |set: Option<Duration>| {
        let config = Config::from_vars(std::iter::empty::<(&str, &str)>());
        match set {
            Some(timeout) => config.shutdown_timeout(timeout),
            None => config,
        }
        .settings()
        .expect("valid")
        .shutdown_timeout
    };
    assert_eq!(timeout(None), Duration::from_secs(5));
    assert_eq!(
        timeout(Some(Duration::from_secs(30))),
        Duration::from_secs(30)
    );
    assert_eq!(timeout(Some(Duration::ZERO)), Duration::from_millis(1));
    assert_eq!(
        timeout(Some(Duration::MAX)),
        Duration::from_secs(24 * 60 * 60),
        "no deadline overflows"
    );
    // The variable, for a program whose `#[otel_traced::main]` builds no `Config`
    // (a function platform's, within its own timeout; a pod's grace period).
    let set = [("OTEL_TRACED_SHUTDOWN_TIMEOUT", "2500")];
    assert_eq!(
        settings(&set).shutdown_timeout,
        Duration::from_millis(2_500)
    );
    assert_eq!(
        Config::from_vars(set)
            .shutdown_timeout(Duration::from_secs(1))
            .settings()
            .expect("valid")
            .shutdown_timeout,
        Duration::from_secs(1),
        "the builder's wins"
    );
    assert_eq!(
        error(&[("OTEL_TRACED_SHUTDOWN_TIMEOUT", "0")]),
        "OTEL_TRACED_SHUTDOWN_TIMEOUT=\"0\" is not valid: it accepts a whole number of milliseconds above 0"
    );
}

#[test]
fn the_console_prints_where_it_is_told_and_exports_go_on_where_the_variables_say() {
    use crate::config::MetricsDestination;
    let stderr = [("OTEL_TRACED_CONSOLE_OUTPUT", "stderr")];
    let chosen = settings(&stderr);
    assert_eq!(
        chosen.destination,
        Destination::Console(ConsoleOutput::Stderr)
    );
    assert_eq!(
        chosen.metrics.destination,
        MetricsDestination::Console(ConsoleOutput::Stderr),
        "the metrics summary prints beside the waterfall"
    );
    assert_eq!(
        settings(&[("OTEL_TRACED_CONSOLE_OUTPUT", "STDOUT")]).destination,
        Destination::Console(ConsoleOutput::Stdout)
    );
    // A tool whose output is its data, sent to a collector in production: the
    // choice does not take the spans from it.
    let exported = settings(&[
        ("OTEL_TRACED_CONSOLE_OUTPUT", "stderr"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
    ]);
    assert!(matches!(exported.destination, Destination::Otlp(_)));
    assert!(matches!(
        exported.metrics.destination,
        MetricsDestination::Otlp(_)
    ));
    // The builder's call wins, and only the console reads the variable.
    assert_eq!(
        Config::from_vars(stderr)
            .console_output(ConsoleOutput::Stdout)
            .settings()
            .expect("valid")
            .destination,
        Destination::Console(ConsoleOutput::Stdout)
    );
    assert_eq!(
        error(&[("OTEL_TRACED_CONSOLE_OUTPUT", "file")]),
        "OTEL_TRACED_CONSOLE_OUTPUT=\"file\" is not valid: it accepts stdout or stderr"
    );
    assert_eq!(
        settings(&[
            ("OTEL_TRACED_CONSOLE_OUTPUT", "file"),
            ("OTEL_TRACES_EXPORTER", "none"),
        ])
        .destination,
        Destination::None,
        "not read where nothing prints on the console"
    );
}

/// A file of this crate's, as the configuration keeps it: an absolute path.
fn absolute(path: &str) -> PathBuf {
    std::path::absolute(path).expect("the working directory")
}

#[test]
fn no_logs_pipeline_waits_where_nothing_can_send_a_record() {
    use super::logs::{ExceptionSignal, needed};
    // (This build has the bridges: the settings' destination is not cut.)
    let otlp = || settings(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")]).logs;
    // No bridge compiled in, exceptions span events: nothing would come.
    assert_eq!(
        needed(otlp(), false, ExceptionSignal::SpanEvent),
        LogsDestination::None
    );
    // A bridge, or exceptions as log records: the pipeline.
    for (bridged, exceptions) in [
        (true, ExceptionSignal::SpanEvent),
        (false, ExceptionSignal::Log),
        (false, ExceptionSignal::Both),
    ] {
        assert!(
            matches!(
                needed(otlp(), bridged, exceptions),
                LogsDestination::Otlp(_)
            ),
            "{bridged} {exceptions:?}"
        );
    }
    // An exporter the application gave is kept as given.
    assert_eq!(
        needed(LogsDestination::Custom, false, ExceptionSignal::SpanEvent),
        LogsDestination::Custom
    );
}
