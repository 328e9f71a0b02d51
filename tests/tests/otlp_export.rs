//! End to end: annotated calls exported over OTLP, gRPC and HTTP/protobuf, to a
//! receiver in this process, and what arrived checked field by field. One test
//! runs both protocols in turn, and the tests take turns: `init` installs a
//! process-wide provider. The exporters' headers and gzip compression are checked
//! as the receiver got them.

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use otel_traced::{Config, record, traced};
use otel_traced_tests::receiver::{
    Receiver, ServerTls, Transport, fixture_path, string_attribute, value,
};

#[derive(Debug)]
struct Declined;

impl std::fmt::Display for Declined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("card declined")
    }
}

impl std::error::Error for Declined {}

#[traced(kind = server, attrs(http.request.method = "POST"))]
fn checkout(order_id: u64, customer: &str) -> Result<(), Declined> {
    reserve(order_id, 2.5);
    charge(customer)
}

#[traced]
fn reserve(order_id: u64, weight: f64) {
    let _ = order_id;
    // Recorded again: the export keeps the last value, once.
    record!(weight = weight * 2.0);
}

#[traced(kind = client)]
fn charge(customer: &str) -> Result<(), Declined> {
    let _ = customer;
    Err(Declined)
}

/// Installs OTLP export of spans to `receiver` over `transport`, with `extra`
/// variables.
fn install(
    receiver: &Receiver,
    transport: Transport,
    extra: &[(&str, &str)],
) -> otel_traced::Guard {
    let protocol = match transport {
        Transport::Grpc => "grpc",
        Transport::Http => "http/protobuf",
    };
    let endpoint = receiver.endpoint();
    let mut vars = vec![
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
    ];
    vars.extend_from_slice(extra);
    Config::from_vars(vars).install().expect("OTLP configured")
}

fn export_to(transport: Transport) {
    let receiver = Receiver::start(transport);
    let guard = install(
        &receiver,
        transport,
        &[
            ("OTEL_SERVICE_NAME", "shop"),
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "service.version=1.4.2,deployment.environment.name=test",
            ),
            ("OTEL_BSP_SCHEDULE_DELAY", "50"),
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                "x-tenant=blue,Authorization=Bearer%20s3cret",
            ),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
        ],
    );
    let _ = checkout(42, "ada");
    guard.shutdown().expect("everything exported");
    let spans = receiver.spans();
    assert_eq!(spans.len(), 3, "{transport:?}: {spans:#?}");
    let encoding = match transport {
        Transport::Grpc => "grpc-encoding",
        Transport::Http => "content-encoding",
    };
    let sent = receiver.trace_headers();
    assert!(!sent.is_empty());
    for headers in sent {
        assert_eq!(headers.get("x-tenant").unwrap(), "blue", "{transport:?}");
        assert_eq!(
            headers.get("authorization").unwrap(),
            "Bearer s3cret",
            "{transport:?}: percent-decoded"
        );
        assert_eq!(headers.get(encoding).unwrap(), "gzip", "{transport:?}");
    }

    let find = |name: &str| spans.iter().find(|s| s.name == name).expect(name);
    let (root, reserve, charge) = (find("checkout"), find("reserve"), find("charge"));
    assert_eq!(root.trace_id.len(), 16);
    assert!(
        root.parent_span_id.is_empty(),
        "{transport:?}: checkout is a root"
    );
    for child in [reserve, charge] {
        assert_eq!(child.trace_id, root.trace_id, "{transport:?}");
        assert_eq!(child.parent_span_id, root.span_id, "{transport:?}");
    }
    assert_eq!(root.kind, SpanKind::Server as i32);
    assert_eq!(reserve.kind, SpanKind::Internal as i32);
    assert_eq!(charge.kind, SpanKind::Client as i32);

    assert_eq!(
        value(&root.attributes, "order_id"),
        Some(&Value::IntValue(42))
    );
    assert_eq!(string_attribute(&root.attributes, "customer"), Some("ada"));
    assert_eq!(
        string_attribute(&root.attributes, "http.request.method"),
        Some("POST")
    );
    assert_eq!(
        value(&reserve.attributes, "weight"),
        Some(&Value::DoubleValue(5.0)),
        "{transport:?}: the value recorded last"
    );
    assert_eq!(
        reserve
            .attributes
            .iter()
            .filter(|attribute| attribute.key == "weight")
            .count(),
        1,
        "{transport:?}: a key recorded twice is exported once"
    );
    assert_eq!(
        string_attribute(&root.attributes, "code.function.name"),
        Some("otlp_export::checkout")
    );

    let status = charge.status.as_ref().expect("a status");
    assert_eq!(status.code, StatusCode::Error as i32);
    assert_eq!(status.message, "card declined");
    assert_eq!(
        string_attribute(&charge.attributes, "error.type"),
        Some("otlp_export::Declined")
    );
    assert_eq!(charge.events.len(), 1);
    assert_eq!(charge.events[0].name, "exception");
    assert_eq!(
        string_attribute(&charge.events[0].attributes, "exception.message"),
        Some("card declined")
    );
    assert_eq!(
        reserve.status.as_ref().map(|s| s.code),
        Some(StatusCode::Unset as i32)
    );

    let request = &receiver.requests()[0];
    let resource = request.resource_spans[0]
        .resource
        .as_ref()
        .expect("a resource");
    let attributes = &resource.attributes;
    assert_eq!(string_attribute(attributes, "service.name"), Some("shop"));
    assert_eq!(
        string_attribute(attributes, "service.version"),
        Some("1.4.2")
    );
    assert_eq!(
        string_attribute(attributes, "deployment.environment.name"),
        Some("test")
    );
    assert_eq!(
        string_attribute(attributes, "telemetry.sdk.language"),
        Some("rust")
    );
    assert_eq!(
        string_attribute(attributes, "telemetry.sdk.name"),
        Some("opentelemetry")
    );
    assert!(
        string_attribute(attributes, "host.name").is_some(),
        "host detector"
    );
    assert!(
        value(attributes, "process.pid").is_some(),
        "process detector"
    );
    assert_eq!(
        value(attributes, "process.command_args"),
        None,
        "arguments can hold secrets"
    );
    assert!(
        string_attribute(attributes, "process.executable.name")
            .is_some_and(|name| name.starts_with("otlp_export"))
    );
    assert!(value(attributes, "process.args_count").is_some());
    // The conventions' values, not Rust's names.
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    assert_eq!(
        (
            string_attribute(attributes, "host.arch"),
            string_attribute(attributes, "os.type")
        ),
        (Some("amd64"), Some("linux"))
    );
    assert!(
        string_attribute(attributes, "service.instance.id").is_some_and(|id| id.len() == 36),
        "a UUID, the replica's"
    );
    let scope = request.resource_spans[0].scope_spans[0]
        .scope
        .as_ref()
        .expect("a scope");
    assert_eq!(scope.name, "otel-traced-tests");
    assert_eq!(
        request.resource_spans[0].scope_spans[0].schema_url,
        "https://opentelemetry.io/schemas/1.44.0",
        "the conventions the spans follow"
    );
}

/// Records what it is given whole (no value length limit is set).
#[traced]
fn upload(body: &str) -> usize {
    body.len()
}

/// Spans heavier together than a collector takes in one request (gRPC's 4 MiB)
/// arrive all the same: the batch goes out in several requests.
fn heavy_spans_to(transport: Transport) {
    let receiver = Receiver::start(transport);
    // One batch, exported at shutdown.
    let guard = install(
        &receiver,
        transport,
        &[("OTEL_BSP_SCHEDULE_DELAY", "60000")],
    );
    let body = "x".repeat(1 << 20);
    for _ in 0..6 {
        upload(&body);
    }
    guard.shutdown().expect("everything exported");
    let spans = receiver.spans();
    assert_eq!(spans.len(), 6, "{transport:?}");
    // Two spans of 1 MiB weigh under the 3 MiB a request may, three over.
    let sizes: Vec<usize> = receiver
        .requests()
        .iter()
        .map(prost::Message::encoded_len)
        .collect();
    assert_eq!(sizes.len(), 3, "{transport:?}: {sizes:?}");
    assert!(sizes.iter().all(|&size| size < 4 << 20), "{sizes:?}");
    assert!(spans.iter().all(|span| {
        string_attribute(&span.attributes, "body").is_some_and(|recorded| recorded.len() == 1 << 20)
    }));
}

/// The path of a file of `tests/fixtures/mtls`, as a variable takes it.
fn path(name: &str) -> String {
    fixture_path(name)
        .to_str()
        .expect("a UTF-8 path")
        .to_owned()
}

/// Mutual TLS: a receiver that asks every client for a certificate its CA signed
/// gets the spans of an exporter given the client's certificate and key
/// (`OTEL_EXPORTER_OTLP_CLIENT_*`), and nothing from one without them.
fn mutual_tls_to(transport: Transport) {
    let receiver = Receiver::start_tls(transport, ServerTls::fixtures());
    let (ca, certificate, key) = (path("ca.pem"), path("client.pem"), path("client-key.pem"));
    for identified in [false, true] {
        let mut extra = vec![
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca.as_str()),
            ("OTEL_METRICS_EXPORTER", "none"),
            ("OTEL_LOGS_EXPORTER", "none"),
        ];
        if identified {
            extra.push(("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", &certificate));
            extra.push(("OTEL_EXPORTER_OTLP_CLIENT_KEY", &key));
        }
        let guard = install(&receiver, transport, &extra);
        reserve(7, 1.0);
        let shut_down = guard.shutdown().map_err(|error| error.dropped_spans());
        assert_eq!(
            shut_down,
            if identified { Ok(()) } else { Err(1) },
            "{transport:?}, client certificate given: {identified}"
        );
        let expected = usize::from(identified);
        assert_eq!(
            receiver.spans().len(),
            expected,
            "{transport:?}, client certificate given: {identified}"
        );
    }
}

/// A collector whose certificate an authority the system trusts signed (here
/// through `SSL_CERT_FILE`, as a company's own installed in the system's store
/// would be) is trusted without `OTEL_EXPORTER_OTLP_CERTIFICATE`.
fn system_trusted_to(transport: Transport) {
    let receiver = Receiver::start_tls(transport, ServerTls::fixtures());
    let (certificate, key) = (path("client.pem"), path("client-key.pem"));
    let guard = install(
        &receiver,
        transport,
        &[
            ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", &certificate),
            ("OTEL_EXPORTER_OTLP_CLIENT_KEY", &key),
            ("OTEL_METRICS_EXPORTER", "none"),
            ("OTEL_LOGS_EXPORTER", "none"),
        ],
    );
    reserve(7, 1.0);
    let shut_down = guard.shutdown().map_err(|error| error.to_string());
    assert_eq!(shut_down, Ok(()), "{transport:?}");
    assert_eq!(receiver.spans().len(), 1, "{transport:?}");
}

#[test]
fn a_collector_an_authority_the_system_trusts_signed_is_trusted() {
    if std::env::var_os(otel_traced_tests::CHILD).is_some() {
        system_trusted_to(Transport::Grpc);
        system_trusted_to(Transport::Http);
        return;
    }
    otel_traced_tests::passes_in_a_child_process(
        "a_collector_an_authority_the_system_trusts_signed_is_trusted",
        &[("SSL_CERT_FILE", &path("ca.pem"))],
    );
}

/// A process whose environment names a proxy (a corporate egress) still exports
/// to a collector on this machine directly: the proxy could not reach it.
#[test]
fn a_collector_on_this_machine_is_reached_past_the_environments_proxy() {
    if std::env::var_os(otel_traced_tests::CHILD).is_some() {
        let receiver = Receiver::start(Transport::Http);
        let guard = install(
            &receiver,
            Transport::Http,
            &[
                ("OTEL_METRICS_EXPORTER", "none"),
                ("OTEL_LOGS_EXPORTER", "none"),
            ],
        );
        reserve(7, 1.0);
        assert_eq!(guard.shutdown().map_err(|error| error.to_string()), Ok(()));
        assert_eq!(receiver.spans().len(), 1);
        return;
    }
    // A proxy that refuses every connection: an export sent there fails.
    let refusing = otel_traced_tests::receiver::RefusingPort::new();
    let proxy = format!("http://127.0.0.1:{}", refusing.port());
    otel_traced_tests::passes_in_a_child_process(
        "a_collector_on_this_machine_is_reached_past_the_environments_proxy",
        &[
            ("HTTP_PROXY", &proxy),
            ("http_proxy", &proxy),
            ("NO_PROXY", ""),
            ("no_proxy", ""),
        ],
    );
}

#[test]
fn annotated_calls_arrive_over_grpc_and_http_protobuf() {
    let _turn = otel_traced_tests::installing_turn();
    export_to(Transport::Grpc);
    export_to(Transport::Http);
    heavy_spans_to(Transport::Grpc);
    heavy_spans_to(Transport::Http);
    mutual_tls_to(Transport::Grpc);
    mutual_tls_to(Transport::Http);
    // Nothing else may remain installed: a later init succeeds.
    let guard = Config::from_vars([("OTEL_TRACES_EXPORTER", "none")])
        .install()
        .expect("installed again");
    drop(guard);
}

/// A client certificate and key replaced in place (by cert-manager, Vault or
/// SPIRE, before it expires): the exports after it, spans' and metrics', show
/// the new one. Here the first is one the collector refuses (the server's, not
/// for client authentication), the second its own client's.
fn rotated_client_certificate_to(transport: Transport) {
    let receiver = Receiver::start_tls(transport, ServerTls::fixtures());
    let directory = std::env::temp_dir().join(format!(
        "otel-traced-rotated-{}-{transport:?}",
        std::process::id()
    ));
    std::fs::create_dir_all(&directory).expect("a directory for the identity");
    let (certificate, key) = (directory.join("tls.crt"), directory.join("tls.key"));
    // As a secret volume replaces it: a new file renamed over the old.
    let replace = |path: &std::path::Path, fixture: &str| {
        let new = path.with_extension("new");
        std::fs::copy(fixture_path(fixture), &new).expect("the fixture copied");
        std::fs::rename(&new, path).expect("renamed over the old");
    };
    replace(&certificate, "server.pem");
    replace(&key, "server-key.pem");
    let [ca, certificate_path, key_path] =
        [fixture_path("ca.pem"), certificate.clone(), key.clone()]
            .map(|path| path.to_str().expect("a UTF-8 path").to_owned());
    let guard = install(
        &receiver,
        transport,
        &[
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", &ca),
            ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", &certificate_path),
            ("OTEL_EXPORTER_OTLP_CLIENT_KEY", &key_path),
            // Refused handshakes given up after a retry or two.
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "1000"),
            ("OTEL_TRACED_FUNCTION_METRICS", "true"),
            ("OTEL_LOGS_EXPORTER", "none"),
            ("OTEL_SERVICE_NAME", "rotated"),
        ],
    );
    reserve(7, 1.0);
    assert!(
        guard.force_flush().is_err(),
        "{transport:?}: the first certificate is refused"
    );
    replace(&certificate, "client.pem");
    replace(&key, "client-key.pem");
    reserve(8, 1.0);
    guard.force_flush().expect("the rotated certificate taken");
    assert_eq!(receiver.spans().len(), 1, "{transport:?}: the later span");
    let resources: Vec<_> = receiver
        .requests()
        .iter()
        .flat_map(|request| &request.resource_spans)
        .map(|spans| {
            let resource = spans.resource.as_ref().expect("a resource");
            string_attribute(&resource.attributes, "service.name").map(str::to_owned)
        })
        .collect();
    assert_eq!(
        resources,
        [Some("rotated".to_owned())],
        "{transport:?}: the resource set on the exporter before"
    );
    assert!(
        !receiver.metrics_requests().is_empty(),
        "{transport:?}: the metrics too"
    );
    // Replaced by a file that holds no key (a rotation half done): the exporter
    // built before goes on.
    let broken = directory.join("broken");
    std::fs::write(&broken, "not a key").expect("written");
    std::fs::rename(&broken, &key).expect("renamed over the key");
    reserve(9, 1.0);
    guard
        .force_flush()
        .expect("exported with the certificate before");
    assert_eq!(receiver.spans().len(), 2, "{transport:?}: the last span");
    let error = guard.shutdown().expect_err("the first span was lost");
    assert_eq!(error.dropped_spans(), 1, "{transport:?}: {error}");
    let _ = std::fs::remove_dir_all(&directory);
}

#[test]
fn a_client_certificate_rotated_in_place_is_used_by_the_next_exports() {
    let _turn = otel_traced_tests::installing_turn();
    rotated_client_certificate_to(Transport::Grpc);
    rotated_client_certificate_to(Transport::Http);
}

#[test]
fn a_header_that_cannot_be_sent_is_an_init_error_over_both_protocols() {
    let _turn = otel_traced_tests::installing_turn();
    for protocol in ["grpc", "http/protobuf"] {
        let error = Config::from_vars([
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
            // Percent-decoded, the value holds a line break: no HTTP header can.
            ("OTEL_EXPORTER_OTLP_HEADERS", "x-tenant=blue%0Agreen"),
        ])
        .install()
        .expect_err("a header that cannot be sent");
        assert_eq!(
            error.to_string(),
            "OTEL_EXPORTER_OTLP_HEADERS=\"x-tenant=<hidden>\" is not valid: it accepts comma-separated name=value pairs, percent-encoded, names as HTTP headers have them, values with no control character once decoded",
            "{protocol}"
        );
    }
}

#[test]
fn a_timeout_of_zero_is_accepted_and_exports_go_on_over_both_protocols() {
    let _turn = otel_traced_tests::installing_turn();
    for (transport, protocol) in [
        (Transport::Grpc, "grpc"),
        (Transport::Http, "http/protobuf"),
    ] {
        let receiver = Receiver::start(transport);
        let endpoint = receiver.endpoint();
        let guard = Config::from_vars([
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint.as_str()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
            // The specification's "no limit": no InitError, and exports go on.
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "0"),
            ("OTEL_BSP_EXPORT_TIMEOUT", "0"),
        ])
        .install()
        .expect("0 is a valid timeout");
        let _ = checkout(7, "grace");
        guard.shutdown().expect("exported");
        let mut names: Vec<String> = receiver.spans().into_iter().map(|span| span.name).collect();
        names.sort();
        assert_eq!(names, ["charge", "checkout", "reserve"], "{protocol}");
    }
}
