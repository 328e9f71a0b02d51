//! The tower layers give the same spans as `#[traced_rpc]` for the same request.

use http_body_util::BodyExt as _;
use otel_traced::opentelemetry::trace::{SpanId, TraceContextExt as _};
use otel_traced::testing::capture;
use otel_traced::tower::HttpLayer;
use otel_traced::traced_rpc;
use otel_traced_tests::{attribute, shape};
use std::convert::Infallible;
use std::future::{Ready, ready};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tower_layer::Layer as _;
use tower_service::Service;

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn request(method: &str, path: &str) -> http::Request<String> {
    http::Request::builder()
        .method(method)
        .uri(path)
        .header("traceparent", TRACEPARENT)
        .body(String::new())
        .unwrap()
}

fn user_response(path: &str) -> http::Response<String> {
    let status = if path.ends_with("/0") { 503 } else { 200 };
    http::Response::builder()
        .status(status)
        .body("ada".to_owned())
        .unwrap()
}

#[traced_rpc(http, route = "/users/{id}", code = false)]
fn get_user(request: http::Request<String>) -> http::Response<String> {
    user_response(request.uri().path())
}

/// A plain tower service answering each request with what `reply` makes of its path.
fn replies<B>(
    reply: impl Fn(&str) -> http::Response<B> + Clone,
) -> Handles<impl Fn(http::Request<String>) -> http::Response<B> + Clone> {
    Handles(move |request: http::Request<String>| reply(request.uri().path()))
}

fn through_layer<S, B>(mut service: S, request: http::Request<String>) -> Vec<u8>
where
    S: Service<http::Request<String>, Response = http::Response<B>>,
    S::Error: std::fmt::Debug,
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    futures::executor::block_on(async {
        let response = service.call(request).await.expect("served");
        response
            .into_body()
            .collect()
            .await
            .expect("a body")
            .to_bytes()
            .to_vec()
    })
}

#[test]
fn the_http_layer_and_the_attribute_give_identical_spans() {
    for (method, path) in [
        ("GET", "/users/7"),
        ("DELETE", "/users/0"),
        ("BREW", "/users/1"),
    ] {
        let by_attribute = capture(|| get_user(request(method, path)));
        let layer = HttpLayer::server().route(|_| Some("/users/{id}".to_owned()));
        let by_layer =
            capture(|| through_layer(layer.layer(replies(user_response)), request(method, path)));
        assert_eq!(by_layer.output(), b"ada");
        assert_eq!(by_attribute.spans().len(), 1);
        assert_eq!(by_layer.spans().len(), 1);
        let (layered, annotated) = (&by_layer.spans()[0], &by_attribute.spans()[0]);
        assert_eq!(
            shape(layered, &[]),
            shape(annotated, &[]),
            "{method} {path}"
        );
        assert_eq!(
            layered.parent_span_id, annotated.parent_span_id,
            "{method} {path}"
        );
        assert_eq!(
            layered.span_context.trace_id(),
            annotated.span_context.trace_id(),
            "{method} {path}"
        );
    }
}

/// A `GET /users/7`, with the test's traceparent or none, served by `handler`
/// behind `HttpLayer::server()`.
fn served_behind_the_layer(
    handler: fn(http::Request<String>) -> http::Response<String>,
    traceparent: bool,
) -> otel_traced::testing::Captured<Vec<u8>> {
    let mut request = request("GET", "/users/7");
    if !traceparent {
        request.headers_mut().remove("traceparent");
    }
    let layer = HttpLayer::server().route(|_| Some("/users/{id}".to_owned()));
    capture(|| through_layer(layer.layer(Handles(handler)), request))
}

#[test]
fn a_handler_behind_a_server_layer_continues_the_layers_trace() {
    // With the request's traceparent and without one: the handler's span is a
    // child of the layer's, in its trace, never a root or a sibling.
    for traceparent in [true, false] {
        let captured = served_behind_the_layer(get_user, traceparent);
        let spans = captured.spans();
        assert_eq!(spans.len(), 2, "{traceparent}");
        let (handler, layer) = (&spans[0], &spans[1]);
        assert_eq!(handler.parent_span_id, layer.span_context.span_id());
        assert_eq!(
            handler.span_context.trace_id(),
            layer.span_context.trace_id()
        );
        let parent = if traceparent {
            SpanId::from_hex(&TRACEPARENT[36..52]).unwrap()
        } else {
            SpanId::INVALID
        };
        assert_eq!(layer.parent_span_id, parent, "{traceparent}");
    }
}

/// Middleware of the application's, with a span of its own, in front of the handler.
#[otel_traced::traced]
fn authenticate(request: http::Request<String>) -> http::Response<String> {
    get_user(request)
}

#[test]
fn a_handler_behind_a_layer_and_middleware_is_the_middlewares_child_in_the_layers_trace() {
    for traceparent in [true, false] {
        let captured = served_behind_the_layer(authenticate, traceparent);
        let handler = captured
            .find("GET /users/{id}")
            .expect("the handler's span");
        let middleware = captured
            .find("authenticate")
            .expect("the middleware's span");
        assert_eq!(
            handler.parent_span_id,
            middleware.span_context.span_id(),
            "{traceparent}: {}",
            captured.tree()
        );
        assert_eq!(
            handler.span_context.trace_id(),
            middleware.span_context.trace_id()
        );
    }
}

/// A gateway's client passing the request it was given on, as it is, to a backend
/// served in process on a thread of its own (as a `Buffer` worker would).
#[traced_rpc(client, http, template = "/users/{id}")]
fn pass_on(request: http::Request<String>) -> http::Response<String> {
    std::thread::spawn(move || get_user(request))
        .join()
        .expect("served")
}

#[test]
fn a_request_passed_on_by_a_client_is_served_under_the_client_not_the_layer() {
    // A request without a traceparent: the layer starts the trace, which the
    // capture then follows onto the backend's thread.
    let captured = served_behind_the_layer(pass_on, false);
    let client = captured
        .spans()
        .iter()
        .find(|span| span.span_kind == otel_traced::opentelemetry::trace::SpanKind::Client)
        .expect("the client's span");
    let backend = captured
        .children_of(client)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("{}", captured.tree()));
    assert_eq!(
        backend.span_kind,
        otel_traced::opentelemetry::trace::SpanKind::Server
    );
}

/// Serves a request of its own in process, under a span of its own.
#[otel_traced::traced]
fn relay(request: http::Request<String>) -> http::Response<String> {
    let _ = request;
    get_user(http::Request::get("/users/7").body(String::new()).unwrap())
}

#[test]
fn a_server_deeper_under_a_layer_parents_on_its_own_request() {
    let layer = HttpLayer::server().route(|_| Some("/users/{id}".to_owned()));
    let captured = capture(|| through_layer(layer.layer(Handles(relay)), request("GET", "/")));
    let served = captured
        .find("GET /users/{id}")
        .expect("the in-process server");
    let relay = captured.find("relay").expect("the relay");
    assert_eq!(
        served.parent_span_id,
        otel_traced::opentelemetry::trace::SpanId::INVALID,
        "a request without a traceparent starts a trace: {}",
        captured.tree()
    );
    assert_ne!(
        served.span_context.trace_id(),
        relay.span_context.trace_id()
    );
}

/// A tower service handing each request to a function.
#[derive(Clone)]
struct Handles<F>(F);

impl<F: Fn(http::Request<String>) -> http::Response<B>, B> Service<http::Request<String>>
    for Handles<F>
{
    type Response = http::Response<B>;
    type Error = Infallible;
    type Future = Ready<Result<http::Response<B>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<String>) -> Self::Future {
        ready(Ok((self.0)(request)))
    }
}

/// Records the `url.scheme` and `server.port` of the server span `serve` makes of a
/// request with `headers`.
fn scheme_and_port(
    serve: impl FnOnce(http::Request<String>) -> Vec<u8>,
    headers: &[(&str, &str)],
) -> (Option<String>, Option<i64>) {
    let mut request = request("GET", "/users/7");
    for (name, value) in headers {
        request.headers_mut().insert(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            http::HeaderValue::from_str(value).unwrap(),
        );
    }
    let captured = capture(|| serve(request));
    let span = &captured.spans()[0];
    let scheme = otel_traced_tests::attribute(span, "url.scheme").map(|value| value.to_string());
    let port = match otel_traced_tests::attribute(span, "server.port") {
        Some(otel_traced::opentelemetry::Value::I64(port)) => Some(*port),
        _ => None,
    };
    (scheme, port)
}

#[test]
fn a_server_terminating_tls_itself_records_https() {
    let host = [("host", "shop.example")];
    let layered = |over_tls: bool| {
        move |request| {
            let layer = HttpLayer::server();
            let layer = if over_tls { layer.over_tls() } else { layer };
            through_layer(layer.layer(replies(user_response)), request)
        }
    };
    // An HTTP/1.1 request names no scheme: `http` unless the server says, and the
    // port is then implied by the scheme only where it is known.
    assert_eq!(
        scheme_and_port(layered(false), &host),
        (Some("http".to_owned()), None)
    );
    assert_eq!(
        scheme_and_port(layered(true), &host),
        (Some("https".to_owned()), Some(443))
    );
    // The original client's scheme, as a proxy says it, still wins.
    assert_eq!(
        scheme_and_port(
            layered(true),
            &[("host", "shop.example"), ("x-forwarded-proto", "http")]
        ),
        (Some("http".to_owned()), Some(80))
    );
    // An annotated server reads the mark from its request.
    let annotated = |mut request: http::Request<String>| {
        request
            .extensions_mut()
            .insert(otel_traced::propagation::ReceivedOverTls);
        get_user(request).into_body().into_bytes()
    };
    assert_eq!(
        scheme_and_port(annotated, &host),
        (Some("https".to_owned()), Some(443))
    );
}

/// What a server span says of the connection and the client: `client.address`,
/// `network.peer.address`, `network.peer.port`, `client.port`.
fn peer_attributes(span: &otel_traced::sdk::trace::SpanData) -> [Option<String>; 4] {
    [
        "client.address",
        "network.peer.address",
        "network.peer.port",
        "client.port",
    ]
    .map(|key| otel_traced_tests::attribute(span, key).map(ToString::to_string))
}

#[test]
fn a_server_records_the_peer_its_connection_comes_from() {
    use otel_traced::propagation::PeerAddress;
    use std::net::SocketAddr;
    let peer: SocketAddr = "[::ffff:192.0.2.7]:5123".parse().unwrap();
    let layer = HttpLayer::server().peer(|extensions| extensions.get::<SocketAddr>().copied());
    let served = |headers: &[(&str, &str)], through_layer_too: bool| {
        let mut request = request("GET", "/users/7");
        for (name, value) in headers {
            request.headers_mut().insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                http::HeaderValue::from_str(value).unwrap(),
            );
        }
        let captured = if through_layer_too {
            // The connection's info as a server puts it, found by the layer.
            request.extensions_mut().insert(peer);
            capture(|| through_layer(layer.layer(replies(user_response)), request))
        } else {
            // An annotated server reads what middleware put there.
            request.extensions_mut().insert(PeerAddress(peer));
            capture(|| get_user(request).into_body().into_bytes().to_vec())
        };
        peer_attributes(&captured.spans()[0])
    };
    for layered in [true, false] {
        assert_eq!(
            served(&[], layered),
            [
                Some("192.0.2.7".to_owned()),
                Some("192.0.2.7".to_owned()),
                Some("5123".to_owned()),
                None
            ],
            "the peer is the client (an IPv4 address as such; its port is opt-in), layer {layered}"
        );
        assert_eq!(
            served(&[("x-forwarded-for", "203.0.113.9")], layered),
            [
                Some("203.0.113.9".to_owned()),
                Some("192.0.2.7".to_owned()),
                Some("5123".to_owned()),
                None
            ],
            "the client behind the proxy, layer {layered}"
        );
        assert_eq!(
            served(&[("forwarded", "for=unknown")], layered),
            [
                None,
                Some("192.0.2.7".to_owned()),
                Some("5123".to_owned()),
                None
            ],
            "a proxy naming no client is not the client, layer {layered}"
        );
    }
    // A gRPC server records the client's port too (the RPC conventions recommend
    // it); a client, nothing of its peer.
    let grpc = |layer: otel_traced::tower::GrpcLayer, forwarded_for: Option<&str>| {
        let mut request = request("POST", "/shop.Inventory/Reserve");
        request.extensions_mut().insert(peer);
        if let Some(client) = forwarded_for {
            request.headers_mut().insert(
                "x-forwarded-for",
                http::HeaderValue::from_str(client).unwrap(),
            );
        }
        let captured = capture(|| through_layer(layer.layer(replies(user_response)), request));
        peer_attributes(&captured.spans()[0])
    };
    let find = |extensions: &http::Extensions| extensions.get::<SocketAddr>().copied();
    assert_eq!(
        grpc(otel_traced::tower::GrpcLayer::server().peer(find), None),
        [
            Some("192.0.2.7".to_owned()),
            Some("192.0.2.7".to_owned()),
            Some("5123".to_owned()),
            Some("5123".to_owned())
        ]
    );
    assert_eq!(
        grpc(
            otel_traced::tower::GrpcLayer::server().peer(find),
            Some("203.0.113.9")
        ),
        [
            Some("203.0.113.9".to_owned()),
            Some("192.0.2.7".to_owned()),
            Some("5123".to_owned()),
            None
        ],
        "the client behind the proxy (Envoy's header), its port unknown"
    );
    assert_eq!(
        grpc(otel_traced::tower::GrpcLayer::client().peer(find), None),
        [None, None, None, None]
    );
}

#[test]
fn a_grpc_server_records_the_server_its_client_asked_for() {
    let served = |uri: &str, headers: &[(&str, &str)]| {
        let mut request = request("POST", uri);
        for (name, value) in headers {
            request.headers_mut().insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                http::HeaderValue::from_str(value).unwrap(),
            );
        }
        let layer = otel_traced::tower::GrpcLayer::server();
        let captured = capture(|| through_layer(layer.layer(replies(user_response)), request));
        let span = &captured.spans()[0];
        (
            attribute(span, "server.address").map(|value| value.to_string()),
            attribute(span, "server.port").map(|value| value.to_string()),
        )
    };
    let asked =
        |address: &str, port: Option<&str>| (Some(address.to_owned()), port.map(str::to_owned));
    const METHOD: &str = "/shop.Inventory/Reserve";
    // HTTP/2's `:authority`, which hyper puts in the URI.
    assert_eq!(
        served(&format!("http://inventory:50051{METHOD}"), &[]),
        asked("inventory", Some("50051"))
    );
    assert_eq!(
        served(&format!("http://[::1]:50051{METHOD}"), &[]),
        asked("::1", Some("50051"))
    );
    assert_eq!(
        served(&format!("https://inventory.example{METHOD}"), &[]),
        asked("inventory.example", None),
        "a port only where the authority writes one, as the gRPC conventions say"
    );
    // HTTP/1.1 (gRPC-Web): `Host`.
    assert_eq!(
        served(METHOD, &[("host", "inventory:8080")]),
        asked("inventory", Some("8080"))
    );
    assert_eq!(
        served(
            &format!("http://inventory-7f9c:50051{METHOD}"),
            &[("x-forwarded-host", "inventory.example")]
        ),
        asked("inventory.example", None),
        "the host a proxy was asked for"
    );
    assert_eq!(served(METHOD, &[]), (None, None), "none asked for");
}

#[test]
fn a_grpc_reply_without_a_status_takes_the_code_grpc_gives_its_http_status() {
    use otel_traced::tower::GrpcLayer;
    for (status, code) in [
        (503, "UNAVAILABLE"),
        (404, "UNIMPLEMENTED"),
        (401, "UNAUTHENTICATED"),
        (200, "UNKNOWN"),
    ] {
        let layer = GrpcLayer::client().calling("http://inventory:50051");
        let captured = capture(|| {
            through_layer(
                // A proxy's error page, say: an HTTP status and no `grpc-status`.
                layer.layer(replies(move |_: &str| {
                    http::Response::builder()
                        .status(status)
                        .body("upstream unavailable".to_owned())
                        .unwrap()
                })),
                request("POST", "/shop.Inventory/Reserve"),
            )
        });
        let span = captured.find("shop.Inventory/Reserve").expect("the span");
        // Told as a tonic endpoint URL: its host and port.
        assert_eq!(
            otel_traced_tests::attribute(span, "server.address"),
            Some(&otel_traced_tests::string("inventory"))
        );
        assert_eq!(
            otel_traced_tests::attribute(span, "server.port"),
            Some(&otel_traced::opentelemetry::Value::I64(50051))
        );
        assert_eq!(
            otel_traced_tests::attribute(span, "rpc.response.status_code"),
            Some(&otel_traced_tests::string(code)),
            "HTTP {status}: {:?}",
            shape(span, &[])
        );
        assert_eq!(
            span.status,
            otel_traced::opentelemetry::trace::Status::error(format!(
                "the response has no grpc-status (HTTP {status})"
            )),
            "HTTP {status}"
        );
    }
}

#[test]
fn a_grpc_reply_other_than_200_without_a_status_is_read_at_once_even_dropped_unread() {
    use otel_traced::tower::GrpcLayer;
    for (status, code) in [(502, "UNAVAILABLE"), (401, "UNAUTHENTICATED")] {
        let layer = GrpcLayer::client().calling("http://inventory:50051");
        let captured = capture(|| {
            let mut service = layer.layer(replies(move |_: &str| {
                http::Response::builder()
                    .status(status)
                    .body("<html>bad gateway</html>".to_owned())
                    .unwrap()
            }));
            // tonic fails to decode a page and drops it, unread.
            futures::executor::block_on(async {
                let response = service
                    .call(request("POST", "/shop.Inventory/Reserve"))
                    .await
                    .expect("served");
                drop(response);
            });
        });
        let span = captured.find("shop.Inventory/Reserve").expect("the span");
        assert_eq!(
            otel_traced_tests::attribute(span, "rpc.response.status_code"),
            Some(&otel_traced_tests::string(code)),
            "HTTP {status}, not a call given up"
        );
    }
}

/// A tower stack's service failing with a boxed error, as load shedding, timeouts
/// and handlers' statuses come out of one.
struct Fails<E = BoxError>(fn() -> E);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<E> Service<http::Request<String>> for Fails<E> {
    type Response = http::Response<String>;
    type Error = E;
    type Future = Ready<Result<http::Response<String>, Self::Error>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Request<String>) -> Self::Future {
        ready(Err((self.0)()))
    }
}

/// An error whose source is a gRPC status.
#[derive(Debug)]
struct Wrapped(tonic::Status);

impl std::fmt::Display for Wrapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("wrapped")
    }
}

impl std::error::Error for Wrapped {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// An error whose source is itself: a chain without end.
#[derive(Debug)]
struct Endless;

impl std::fmt::Display for Endless {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("endless")
    }
}

impl std::error::Error for Endless {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self)
    }
}

#[test]
fn a_layers_service_error_is_the_status_tonic_makes_of_it() {
    use otel_traced::opentelemetry::trace::Status;
    use otel_traced::tower::GrpcLayer;
    use otel_traced_tests::{attribute, string};
    let server = GrpcLayer::server;
    let client = || GrpcLayer::client().calling("inventory:50051");
    /// The layer, the error its service fails with, and what the span says.
    type Case = (
        fn() -> GrpcLayer,
        fn() -> BoxError,
        Option<&'static str>,
        Option<&'static str>,
        Status,
    );
    let cases: [Case; 10] = [
        // A chain without end is followed as far as an error's recording goes.
        (
            server,
            || Box::new(Endless),
            None,
            Some("_OTHER"),
            Status::error("endless"),
        ),
        (
            server,
            || Box::new(tonic::Status::resource_exhausted("shed")),
            Some("RESOURCE_EXHAUSTED"),
            None,
            Status::Unset,
        ),
        (
            server,
            || Box::new(tower::load_shed::error::Overloaded::new()),
            Some("RESOURCE_EXHAUSTED"),
            None,
            Status::Unset,
        ),
        (
            server,
            || Box::new(Wrapped(tonic::Status::internal("broken"))),
            Some("INTERNAL"),
            Some("INTERNAL"),
            Status::error("broken"),
        ),
        (
            server,
            || Box::new(tonic::TimeoutExpired(())),
            Some("CANCELLED"),
            None,
            Status::Unset,
        ),
        (
            server,
            || "a stack's own failure".into(),
            None,
            Some("_OTHER"),
            Status::error("a stack's own failure"),
        ),
        (
            client,
            || Box::new(tonic::ConnectError("refused".into())),
            Some("UNAVAILABLE"),
            Some("UNAVAILABLE"),
            Status::error("refused"),
        ),
        // The transport's HTTP/2 errors, by their reason.
        (
            client,
            || Box::new(h2::Error::from(h2::Reason::REFUSED_STREAM)),
            Some("UNAVAILABLE"),
            Some("UNAVAILABLE"),
            Status::error(
                "h2 protocol error: protocol error: refused stream before processing any application logic",
            ),
        ),
        (
            server,
            || Box::new(h2::Error::from(h2::Reason::CANCEL)),
            Some("CANCELLED"),
            None,
            Status::Unset,
        ),
        // What tonic's client makes of any other error.
        (
            client,
            || "a stack's own failure".into(),
            Some("UNKNOWN"),
            Some("UNKNOWN"),
            Status::error("a stack's own failure"),
        ),
    ];
    for (layer, error, code, error_type, status) in cases {
        let captured = capture(|| {
            let mut service = layer().layer(Fails(error));
            futures::executor::block_on(service.call(request("POST", "/shop.Inventory/Reserve")))
                .expect_err("it fails")
        });
        let span = captured.find("shop.Inventory/Reserve").expect("the span");
        assert_eq!(
            (
                attribute(span, "rpc.response.status_code"),
                attribute(span, "error.type"),
                &span.status
            ),
            (
                code.map(string).as_ref(),
                error_type.map(string).as_ref(),
                &status
            ),
            "{}",
            captured.output()
        );
    }
}

/// An error whose source is the I/O error under it.
#[derive(Debug)]
struct Unreachable(std::io::Error);

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("upstream unreachable")
    }
}

impl std::error::Error for Unreachable {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[test]
fn a_layers_boxed_or_transport_service_error_keeps_its_source_chain() {
    use otel_traced::opentelemetry::KeyValue;
    use otel_traced::tower::HttpLayer;
    use otel_traced_tests::{attribute, string};
    let boxed = capture(|| {
        let mut service = HttpLayer::server().layer(Fails(|| -> BoxError {
            Box::new(Unreachable(std::io::Error::other("connection refused")))
        }));
        let failed = futures::executor::block_on(service.call(request("GET", "/cart")));
        failed.expect_err("it fails").to_string()
    });
    // A transport's own error type (an I/O error, hyper's, tonic's channel's),
    // whose `Display` alone says little.
    let transport = capture(|| {
        let mut service = HttpLayer::client().layer(Fails(|| {
            std::io::Error::other(Unreachable(std::io::Error::other("connection refused")))
        }));
        let failed = futures::executor::block_on(service.call(request("GET", "/cart")));
        failed.expect_err("it fails").to_string()
    });
    for (captured, error_type) in [(boxed, "_OTHER"), (transport, "std::io::error::Error")] {
        let span = &captured.spans()[0];
        assert_eq!(attribute(span, "error.type"), Some(&string(error_type)));
        let exception = span
            .events
            .iter()
            .find(|event| event.name == "exception")
            .expect("its exception");
        assert!(
            exception.attributes.contains(&KeyValue::new(
                "exception.message",
                "upstream unreachable: connection refused"
            )),
            "{:?}",
            exception.attributes
        );
    }
}

#[test]
fn a_transports_own_error_type_is_read_as_tonic_reads_it() {
    use otel_traced::tower::GrpcLayer;
    use otel_traced_tests::{attribute, string};
    // A client over a hyper connection of its own, failing with h2's error as
    // it is, not boxed.
    let captured = capture(|| {
        let mut service = GrpcLayer::client()
            .calling("inventory:50051")
            .layer(Fails(|| h2::Error::from(h2::Reason::CANCEL)));
        futures::executor::block_on(service.call(request("POST", "/shop.Inventory/Reserve")))
            .expect_err("it fails")
    });
    let span = captured.find("shop.Inventory/Reserve").expect("the span");
    assert_eq!(
        attribute(span, "rpc.response.status_code"),
        Some(&string("CANCELLED"))
    );
    assert_eq!(attribute(span, "error.type"), Some(&string("CANCELLED")));
    assert_eq!(
        span.status,
        otel_traced::opentelemetry::trace::Status::error(format!(
            "h2 protocol error: {}",
            h2::Error::from(h2::Reason::CANCEL)
        )),
        "a client's CANCELLED is an error"
    );
}

#[test]
fn a_grpc_stream_dropped_before_its_status_ends_cancelled() {
    use otel_traced::tower::GrpcLayer;
    for (layer, error) in [(GrpcLayer::client(), true), (GrpcLayer::server(), false)] {
        let captured = capture(|| {
            let mut service = layer.layer(replies(|_: &str| {
                // Headers sent, the status to come in the trailers.
                http::Response::builder()
                    .status(200)
                    .body("a first message".to_owned())
                    .unwrap()
            }));
            futures::executor::block_on(async {
                let response = service
                    .call(request("POST", "/shop.Inventory/Watch"))
                    .await
                    .expect("served");
                drop(response.into_body());
            });
        });
        let span = captured.find("shop.Inventory/Watch").expect("the span");
        assert_eq!(
            otel_traced_tests::attribute(span, "rpc.response.status_code"),
            Some(&otel_traced_tests::string("CANCELLED"))
        );
        let expected = if error {
            otel_traced::opentelemetry::trace::Status::error(
                "the stream was dropped before its status",
            )
        } else {
            otel_traced::opentelemetry::trace::Status::Unset
        };
        assert_eq!(span.status, expected, "an error on the client only");
        assert_eq!(
            otel_traced_tests::attribute(span, "otel_traced.cancelled"),
            Some(&otel_traced::opentelemetry::Value::Bool(true)),
            "given up, as an annotated stream is"
        );
    }
}

#[test]
fn a_grpc_stream_dropped_by_another_panic_has_no_reply() {
    use otel_traced::tower::GrpcLayer;
    let captured = capture(|| {
        let mut service = GrpcLayer::client().layer(replies(|_: &str| {
            http::Response::builder()
                .status(200)
                .body("a first message".to_owned())
                .unwrap()
        }));
        let response =
            futures::executor::block_on(service.call(request("POST", "/shop.Inventory/Watch")))
                .expect("served");
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let _body = response.into_body();
            panic!("the caller failed");
        }))
        .is_err()
    });
    assert!(*captured.output());
    let span = captured.find("shop.Inventory/Watch").expect("the span");
    assert_eq!(
        otel_traced_tests::attribute(span, "rpc.response.status_code"),
        None,
        "given up by a panic, not CANCELLED by its caller"
    );
    assert_eq!(
        otel_traced_tests::attribute(span, "otel_traced.cancelled"),
        Some(&otel_traced::opentelemetry::Value::Bool(true)),
        "nor completed"
    );
}

#[test]
fn a_method_the_served_service_does_not_have_is_other() {
    use otel_traced::tower::GrpcLayer;
    use otel_traced_tests::{attribute, string};
    let layer = GrpcLayer::server().serving(["shop.Inventory"]);
    let captured = capture(|| {
        for (path, message) in [
            // tonic's answer to a method its service does not have.
            ("/shop.Inventory/Zz1", None),
            // A handler refusing a method it has, and saying why.
            ("/shop.Inventory/Export", Some("not in this region")),
            // A router's answer to a path it has no route for: no gRPC status.
            ("/shop.Inventory/Zz2", None),
        ] {
            let reply = move |path: &str| {
                if path.ends_with("Zz2") {
                    return http::Response::builder()
                        .status(404)
                        .body(String::new())
                        .unwrap();
                }
                let mut response = http::Response::builder()
                    .status(200)
                    .header("content-type", "application/grpc")
                    .header("grpc-status", "12");
                if let Some(message) = message {
                    response = response.header("grpc-message", message);
                }
                response.body(String::new()).unwrap()
            };
            through_layer(layer.layer(replies(reply)), request("POST", path));
        }
    });
    let unknown: Vec<_> = captured
        .spans()
        .iter()
        .filter(|span| span.name == "grpc")
        .collect();
    assert_eq!(unknown.len(), 2, "{:?}", captured.spans());
    for (span, path) in unknown.into_iter().zip(["Zz1", "Zz2"]) {
        assert_eq!(attribute(span, "rpc.method"), Some(&string("_OTHER")));
        assert_eq!(
            attribute(span, "rpc.method_original"),
            Some(&string(&format!("shop.Inventory/{path}")))
        );
        assert_eq!(
            attribute(span, "rpc.response.status_code"),
            Some(&string("UNIMPLEMENTED"))
        );
    }
    let refused = captured
        .find("shop.Inventory/Export")
        .expect("a method the server has keeps its name");
    assert_eq!(
        attribute(refused, "rpc.method"),
        Some(&string("shop.Inventory/Export"))
    );
    assert_eq!(attribute(refused, "rpc.method_original"), None);
}

#[test]
fn a_reply_whose_body_ended_already_ends_the_call_with_its_head() {
    // A 204 (as a reply to HEAD, a 304): no one polls its body, and a client keeps
    // the response while it acts on it.
    let (ended_before, captured) = {
        let captured = capture(|| {
            let mut service = HttpLayer::client().layer(replies(|_: &str| {
                http::Response::builder()
                    .status(204)
                    .body(http_body_util::Empty::<&'static [u8]>::new())
                    .unwrap()
            }));
            let response = futures::executor::block_on(service.call(request("HEAD", "/users/7")))
                .expect("answered");
            let answered = std::time::SystemTime::now();
            std::thread::sleep(std::time::Duration::from_millis(50));
            drop(response);
            answered
        });
        (*captured.output(), captured)
    };
    let [span] = captured.spans() else {
        panic!("one span: {:#?}", captured.spans());
    };
    assert!(
        span.end_time <= ended_before,
        "ended with the head, not the drop"
    );
    assert_eq!(
        otel_traced_tests::attribute(span, "http.response.status_code"),
        Some(&otel_traced::opentelemetry::Value::I64(204))
    );
}

#[test]
fn a_route_or_peer_finder_that_panics_finds_none_and_the_request_is_served() {
    let captured = capture(|| {
        let layer = HttpLayer::server()
            .route(|_| panic!("no MatchedPath"))
            .peer(|_| panic!("no ConnectInfo"));
        through_layer(
            layer.layer(replies(user_response)),
            request("GET", "/users/7"),
        )
    });
    assert_eq!(captured.output(), b"ada");
    let [span] = captured.spans() else {
        panic!("one span: {:#?}", captured.spans());
    };
    assert_eq!(span.name, "GET");
    assert_eq!(otel_traced_tests::attribute(span, "http.route"), None);
    assert_eq!(peer_attributes(span), [None, None, None, None]);
}

/// A service that panics where it is told to: in `call`, or in its future's poll
/// (where an axum or tonic handler runs).
#[derive(Clone, Copy)]
struct Panics {
    in_call: bool,
}

impl Service<http::Request<String>> for Panics {
    type Response = http::Response<String>;
    type Error = Infallible;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<http::Response<String>, Infallible>> + Send>,
    >;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Request<String>) -> Self::Future {
        assert!(!self.in_call, "out of stock in call");
        Box::pin(async { panic!("out of stock in poll") })
    }
}

/// A response body that notes, when it is dropped, the span current then, and
/// panics there if told to (a pooled connection whose return fails).
struct Held {
    dropped_under: Arc<Mutex<Option<SpanId>>>,
    panics: bool,
}

impl http_body::Body for Held {
    type Data = &'static [u8];
    type Error = Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<&'static [u8]>, Infallible>>> {
        Poll::Ready(Some(Ok(http_body::Frame::data(&b"a first message"[..]))))
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let current = otel_traced::opentelemetry::Context::current();
        *self.dropped_under.lock().unwrap() = Some(current.span().span_context().span_id());
        assert!(!self.panics, "the connection's return failed");
    }
}

#[test]
fn a_body_dropped_unread_is_dropped_under_its_span_and_a_panic_there_is_the_outcome() {
    use otel_traced::opentelemetry::trace::Status;
    use otel_traced_tests::{attribute, string};
    for panics in [false, true] {
        let dropped_under = Arc::new(Mutex::new(None));
        let held = Arc::clone(&dropped_under);
        let captured = capture(move || {
            let mut service = HttpLayer::server().layer(replies(move |_: &str| {
                http::Response::new(Held {
                    dropped_under: Arc::clone(&held),
                    panics,
                })
            }));
            let response = futures::executor::block_on(service.call(request("GET", "/users/7")))
                .expect("served");
            let body = response.into_body();
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(body))).is_err()
        });
        assert_eq!(*captured.output(), panics);
        let [span] = captured.spans() else {
            panic!("one span: {:#?}", captured.spans());
        };
        assert_eq!(
            *dropped_under.lock().unwrap(),
            Some(span.span_context.span_id()),
            "the body is dropped with its span current"
        );
        if panics {
            assert_eq!(attribute(span, "error.type"), Some(&string("panic")));
            assert_eq!(span.status, Status::error("the connection's return failed"));
        } else {
            // The response was given: a whole one is dropped unread so too (a
            // HEAD reply's, one of a `Content-Length` hyper wrote out).
            assert_eq!(attribute(span, "error.type"), None);
            assert_eq!(span.status, Status::Unset);
            assert_eq!(attribute(span, "otel_traced.cancelled"), None);
            assert_eq!(
                attribute(span, "http.response.status_code"),
                Some(&otel_traced::opentelemetry::Value::I64(200))
            );
        }
    }
}

/// A service whose response never comes; its future holds a [`Held`].
#[derive(Clone)]
struct Stalls {
    dropped_under: Arc<Mutex<Option<SpanId>>>,
    panics: bool,
}

struct Stalled(#[allow(dead_code, reason = "held for its drop")] Held);

impl std::future::Future for Stalled {
    type Output = Result<http::Response<String>, Infallible>;

    fn poll(self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
        Poll::Pending
    }
}

impl Service<http::Request<String>> for Stalls {
    type Response = http::Response<String>;
    type Error = Infallible;
    type Future = Stalled;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Request<String>) -> Stalled {
        Stalled(Held {
            dropped_under: Arc::clone(&self.dropped_under),
            panics: self.panics,
        })
    }
}

#[test]
fn a_call_given_up_drops_its_services_future_under_its_span_and_a_panic_there_is_the_outcome() {
    use otel_traced::opentelemetry::trace::Status;
    use otel_traced::tower::GrpcLayer;
    use otel_traced_tests::{attribute, string};
    for panics in [false, true] {
        let dropped_under = Arc::new(Mutex::new(None));
        let stalls = Stalls {
            dropped_under: Arc::clone(&dropped_under),
            panics,
        };
        let captured = capture(move || {
            let mut service = GrpcLayer::server().layer(stalls);
            let mut call = Box::pin(service.call(request("POST", "/shop.Inventory/Reserve")));
            let waker = futures::task::noop_waker();
            assert!(
                call.as_mut()
                    .poll(&mut Context::from_waker(&waker))
                    .is_pending()
            );
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(call))).is_err()
        });
        assert_eq!(*captured.output(), panics);
        let [span] = captured.spans() else {
            panic!("one span: {:#?}", captured.spans());
        };
        assert_eq!(
            *dropped_under.lock().unwrap(),
            Some(span.span_context.span_id()),
            "the service's future is dropped with its span current"
        );
        if panics {
            assert_eq!(attribute(span, "error.type"), Some(&string("panic")));
            assert_eq!(span.status, Status::error("the connection's return failed"));
            assert_eq!(attribute(span, "rpc.response.status_code"), None);
        } else {
            assert_eq!(
                attribute(span, "rpc.response.status_code"),
                Some(&string("CANCELLED"))
            );
            assert_eq!(span.status, Status::Unset, "no error on a server");
        }
    }
}

#[test]
fn a_panic_behind_a_layer_is_the_calls_outcome_not_a_cancellation() {
    use otel_traced::opentelemetry::trace::Status;
    use otel_traced::tower::GrpcLayer;
    use otel_traced_tests::{attribute, string};
    let grpc = ("POST", "/shop.Inventory/Reserve");
    let http = ("GET", "/users/7");
    let (in_poll, in_call) = (Panics { in_call: false }, Panics { in_call: true });
    let cases = [
        (
            http,
            HttpLayer::server().layer(in_poll),
            "out of stock in poll",
        ),
        (
            http,
            HttpLayer::server().layer(in_call),
            "out of stock in call",
        ),
        (
            http,
            HttpLayer::client().layer(in_poll),
            "out of stock in poll",
        ),
        (
            grpc,
            GrpcLayer::server().layer(in_poll),
            "out of stock in poll",
        ),
        (
            grpc,
            GrpcLayer::client().layer(in_call),
            "out of stock in call",
        ),
    ];
    for ((method, path), mut service, message) in cases {
        let captured = capture(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("a runtime");
            // As a server's connection task: tokio catches the panic, then drops
            // the future (not while unwinding).
            let answer = runtime.block_on(async move {
                tokio::spawn(async move { service.call(request(method, path)).await }).await
            });
            answer.expect_err("the panic").is_panic()
        });
        assert!(*captured.output());
        let [span] = captured.spans() else {
            panic!("one span: {:#?}", captured.spans());
        };
        assert_eq!(attribute(span, "error.type"), Some(&string("panic")));
        assert_eq!(attribute(span, "otel_traced.cancelled"), None);
        assert_eq!(span.status, Status::error(message), "{path}");
    }
}

#[test]
fn a_bare_404_dropped_unread_still_names_an_unknown_method() {
    use otel_traced::tower::GrpcLayer;
    use otel_traced_tests::{attribute, string};
    use tower_service::Service as _;
    // hyper's h2 server sends the end of an empty body and drops it unpolled.
    let captured = capture(|| {
        let mut service = GrpcLayer::server().layer(replies(|_: &str| {
            http::Response::builder()
                .status(404)
                .body(String::new())
                .unwrap()
        }));
        let response =
            futures::executor::block_on(service.call(request("POST", "/shop.Inventory/Zz3")))
                .expect("served");
        assert!(http_body::Body::is_end_stream(response.body()));
        drop(response);
    });
    let span = captured.find("grpc").expect("the unknown method's span");
    assert_eq!(attribute(span, "rpc.method"), Some(&string("_OTHER")));
    assert_eq!(
        attribute(span, "rpc.response.status_code"),
        Some(&string("UNIMPLEMENTED"))
    );
}

/// A response body cut off after its first message, as a channel's body reports
/// it: with the status tonic gives the application.
struct CutOff(bool);

impl http_body::Body for CutOff {
    type Data = prost::bytes::Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<prost::bytes::Bytes>, tonic::Status>>> {
        if std::mem::replace(&mut self.0, true) {
            return Poll::Ready(Some(Err(tonic::Status::unavailable("connection reset"))));
        }
        Poll::Ready(Some(Ok(http_body::Frame::data(
            prost::bytes::Bytes::from_static(b"a first message"),
        ))))
    }
}

/// A channel whose response is cut off, or whose error is of a type of its own.
struct Channel(bool);

impl Service<http::Request<String>> for Channel {
    type Response = http::Response<CutOff>;
    type Error = std::io::Error;
    type Future = Ready<Result<http::Response<CutOff>, std::io::Error>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Request<String>) -> Self::Future {
        ready(if self.0 {
            Ok(http::Response::new(CutOff(false)))
        } else {
            Err(std::io::Error::other("no route to host"))
        })
    }
}

#[test]
fn a_channels_failure_is_the_status_its_application_gets() {
    use otel_traced::opentelemetry::trace::Status;
    use otel_traced::tower::GrpcLayer;
    use otel_traced_tests::{attribute, string};
    for (answers, code, message) in [
        (true, "UNAVAILABLE", "connection reset"),
        (false, "UNKNOWN", "no route to host"),
    ] {
        let captured = capture(|| {
            let mut service = GrpcLayer::client()
                .calling("inventory:50051")
                .layer(Channel(answers));
            futures::executor::block_on(async {
                match service.call(request("POST", "/shop.Inventory/Watch")).await {
                    Ok(response) => response.into_body().collect().await.is_err(),
                    Err(_) => true,
                }
            })
        });
        assert!(*captured.output(), "it failed");
        let span = captured.find("shop.Inventory/Watch").expect("the span");
        assert_eq!(
            attribute(span, "rpc.response.status_code"),
            Some(&string(code))
        );
        assert_eq!(span.status, Status::error(message));
    }
}

/// Calls `service` with a request for a stream and reads its answer's body:
/// whether the body failed.
fn watch_body_fails<S, B>(mut service: S) -> bool
where
    S: Service<http::Request<String>, Response = http::Response<B>>,
    S::Error: std::fmt::Debug,
    B: http_body::Body,
{
    futures::executor::block_on(async {
        let response = service
            .call(request("POST", "/shop.Inventory/Watch"))
            .await
            .expect("answered");
        response.into_body().collect().await.is_err()
    })
}

/// A reply whose status is in its head (a `grpc-status` there, or a status but 200
/// without one) has it as the call's: a body failing after it (the connection
/// reset while the page is read) does not change it.
#[test]
fn a_body_failing_after_a_status_read_from_the_head_leaves_the_status() {
    use otel_traced::tower::GrpcLayer;
    use otel_traced_tests::{attribute, string};
    type Reply = fn(http::Request<String>) -> http::Response<CutOff>;
    // Each body fails with UNAVAILABLE.
    let replies: [(Reply, &str); 2] = [
        (
            |_| {
                http::Response::builder()
                    .status(400)
                    .body(CutOff(false))
                    .unwrap()
            },
            "the response has no grpc-status (HTTP 400)",
        ),
        (
            |_| {
                http::Response::builder()
                    .header("grpc-status", "13")
                    .header("grpc-message", "broken")
                    .body(CutOff(false))
                    .unwrap()
            },
            "broken",
        ),
    ];
    for (reply, message) in replies {
        for layer in [
            GrpcLayer::client().calling("inventory:50051"),
            GrpcLayer::server(),
        ] {
            let captured = capture(|| watch_body_fails(layer.layer(Handles(reply))));
            assert!(*captured.output(), "the body failed");
            let span = captured.find("shop.Inventory/Watch").expect("the span");
            assert_eq!(
                attribute(span, "rpc.response.status_code"),
                Some(&string("INTERNAL")),
                "{message}"
            );
            assert_eq!(attribute(span, "error.type"), Some(&string("INTERNAL")));
            assert_eq!(
                span.status,
                otel_traced::opentelemetry::trace::Status::error(message)
            );
        }
    }
}

/// A server's body failing mid-stream is no status it sent: hyper resets the stream.
#[test]
fn a_servers_body_failing_is_an_error_not_a_status() {
    use otel_traced::opentelemetry::trace::Status;
    use otel_traced::tower::GrpcLayer;
    use otel_traced_tests::attribute;
    let captured = capture(|| watch_body_fails(GrpcLayer::server().layer(Channel(true))));
    assert!(*captured.output(), "it failed");
    let span = captured.find("shop.Inventory/Watch").expect("the span");
    assert_eq!(attribute(span, "rpc.response.status_code"), None);
    assert!(
        matches!(&span.status, Status::Error { description } if description.contains("connection reset")),
        "{:?}",
        span.status
    );
}

/// A health check's requests, left untraced by the layer: served as without it
/// (the handler's own span, a root, no context read), while the others are
/// traced; a predicate that panics leaves nothing out.
#[test]
fn a_layer_leaves_the_paths_it_excepts_untraced() {
    let layer = HttpLayer::server()
        .except(|path| path == "/healthz")
        .route(|_| Some("/users/{id}".to_owned()));
    let captured = capture(|| {
        let served =
            |path: &str| through_layer(layer.layer(replies(user_response)), request("GET", path));
        (served("/healthz"), served("/users/7"))
    });
    assert_eq!(*captured.output(), (b"ada".to_vec(), b"ada".to_vec()));
    let names: Vec<&str> = captured.spans().iter().map(|span| &*span.name).collect();
    assert_eq!(names, ["GET /users/{id}"]);

    let panicking = HttpLayer::server().except(|_| panic!("a predicate of the application's"));
    let captured = capture(|| {
        through_layer(
            panicking.layer(replies(user_response)),
            request("GET", "/healthz"),
        )
    });
    assert_eq!(captured.spans().len(), 1);
}

#[traced_rpc(http, route = "/healthz", code = false)]
fn health(request: http::Request<String>) -> http::Response<String> {
    let _ = request;
    http::Response::new("ok".to_owned())
}

#[test]
fn a_handler_behind_a_layer_that_excepts_its_path_reads_the_callers_context() {
    let peer: std::net::SocketAddr = "203.0.113.9:41000".parse().unwrap();
    let layer = HttpLayer::server()
        .except(|path| path == "/healthz")
        .peer(move |_| Some(peer));
    let captured =
        capture(|| through_layer(layer.layer(Handles(health)), request("GET", "/healthz")));
    assert_eq!(captured.spans().len(), 1);
    let span = &captured.spans()[0];
    assert_eq!(span.name, "GET /healthz");
    // The caller's trace, from the headers, as without the layer.
    assert_eq!(
        span.span_context.trace_id().to_string(),
        &TRACEPARENT[3..35]
    );
    // The peer the layer gives every request it serves.
    assert_eq!(
        otel_traced_tests::attribute(span, "network.peer.address"),
        Some(&otel_traced_tests::string("203.0.113.9"))
    );
}

/// Answers with the `traceparent` its request carries.
fn echo_traceparent(request: http::Request<String>) -> http::Response<String> {
    let traceparent = request.headers().get("traceparent");
    let said = traceparent.and_then(|value| value.to_str().ok());
    http::Response::new(said.unwrap_or_default().to_owned())
}

/// A gRPC client's call to the health service, left out: no span, and the
/// request's headers as they were (the context of none of ours written).
#[test]
fn a_grpc_client_layer_leaves_the_calls_it_excepts_untraced_and_unwritten() {
    use otel_traced::tower::GrpcLayer;
    let layer = GrpcLayer::client()
        .calling("http://inventory:50051")
        .except(|path| path.starts_with("/grpc.health.v1.Health/"));
    let captured = capture(|| {
        let sent = |path: &str| {
            let answer = through_layer(
                layer.layer(Handles(echo_traceparent)),
                request("POST", path),
            );
            String::from_utf8(answer).expect("text")
        };
        (
            sent("/grpc.health.v1.Health/Check"),
            sent("/shop.Inventory/Reserve"),
        )
    });
    let (health, reserve) = captured.output();
    assert_eq!(health, TRACEPARENT, "left as it was");
    assert_ne!(reserve, TRACEPARENT, "the call's own context written");
    let names: Vec<&str> = captured.spans().iter().map(|span| &*span.name).collect();
    assert_eq!(names, ["shop.Inventory/Reserve"]);
}

/// A client calling a service outside sends nothing of the context: the headers
/// of the propagator a request already had are removed (a gateway copying a
/// caller's), none written, the baggage set in the process too; its span is
/// recorded all the same, a child of the current one.
#[test]
fn a_client_to_a_public_endpoint_sends_no_context() {
    use otel_traced::tower::GrpcLayer;
    /// Answers with the propagator's headers its request carries.
    fn echo_context(request: http::Request<String>) -> http::Response<String> {
        let said: Vec<String> = ["traceparent", "tracestate", "baggage"]
            .into_iter()
            .filter_map(|name| request.headers().get(name))
            .map(|value| value.to_str().unwrap_or_default().to_owned())
            .collect();
        http::Response::new(said.join(" "))
    }
    #[otel_traced::traced(set_baggage(user.id = "ada"))]
    fn checkout<S, B>(#[skip] client: S) -> String
    where
        S: Service<http::Request<String>, Response = http::Response<B>>,
        S::Error: std::fmt::Debug,
        B: http_body::Body,
        B::Error: std::fmt::Debug,
    {
        let mut request = request("POST", "/v1/charges");
        let headers = request.headers_mut();
        headers.insert("tracestate", http::HeaderValue::from_static("vendor=1"));
        headers.insert("baggage", http::HeaderValue::from_static("tenant=acme"));
        String::from_utf8(through_layer(client, request)).expect("text")
    }
    let http = HttpLayer::client().public_endpoint();
    let grpc = GrpcLayer::client()
        .calling("https://payments.example.com")
        .public_endpoint();
    for (name, captured) in [
        (
            "http",
            capture(|| checkout(http.layer(Handles(echo_context)))),
        ),
        (
            "grpc",
            capture(|| checkout(grpc.layer(Handles(echo_context)))),
        ),
    ] {
        assert_eq!(captured.output(), "", "{name}: nothing of the context sent");
        let parent = captured.find("checkout").expect("the caller's span");
        let client = (captured.spans().iter())
            .find(|span| span.span_kind == otel_traced::opentelemetry::trace::SpanKind::Client)
            .unwrap_or_else(|| panic!("{name}: the client's span in {}", captured.tree()));
        assert_eq!(
            client.parent_span_id,
            parent.span_context.span_id(),
            "{name}"
        );
    }
    // Not public: the context is written, the baggage with it.
    let captured = capture(|| checkout(HttpLayer::client().layer(Handles(echo_context))));
    let sent = captured.output();
    assert!(!sent.starts_with(TRACEPARENT), "{sent}");
    assert!(sent.contains("user.id=ada"), "{sent}");
}

/// An annotated handler that answers with what it was given of its caller: the
/// trace id of the `traceparent` left in its request, and the `tenant` of its
/// baggage.
#[traced_rpc(http, route = "/users/{id}", code = false)]
fn get_user_telling_what_it_sees(request: http::Request<String>) -> http::Response<String> {
    let trace = (request.headers().get("traceparent"))
        .and_then(|value| value.to_str().ok())
        .map(|value| value[3..35].to_owned());
    let tenant = otel_traced::baggage::get("tenant");
    http::Response::new(format!("{trace:?} {tenant:?}"))
}

#[test]
fn a_public_endpoint_starts_a_new_trace_linked_to_the_callers_and_forgets_its_context() {
    use otel_traced::tower::GrpcLayer;
    let called = || {
        let mut request = request("GET", "/users/7");
        let headers = request.headers_mut();
        headers.insert("tracestate", http::HeaderValue::from_static("vendor=1"));
        headers.insert("baggage", http::HeaderValue::from_static("tenant=acme"));
        request
    };
    let caller = SpanId::from_hex(&TRACEPARENT[36..52]).unwrap();
    let http = HttpLayer::server()
        .route(|_| Some("/users/{id}".to_owned()))
        .public_endpoint();
    let grpc = GrpcLayer::server().public_endpoint();
    for (name, captured) in [
        (
            "http",
            capture(|| through_layer(http.layer(Handles(get_user_telling_what_it_sees)), called())),
        ),
        (
            "grpc",
            capture(|| through_layer(grpc.layer(Handles(get_user_telling_what_it_sees)), called())),
        ),
    ] {
        let spans = captured.spans();
        let [handler, layer] = spans else {
            panic!(
                "{name}: the handler's span and the layer's: {}",
                captured.tree()
            );
        };
        // A root of its own trace, the caller's span a link.
        assert_eq!(layer.parent_span_id, SpanId::INVALID, "{name}");
        assert_ne!(
            layer.span_context.trace_id().to_string(),
            &TRACEPARENT[3..35],
            "{name}"
        );
        let links: Vec<_> = layer.links.iter().map(|link| &link.span_context).collect();
        assert_eq!(links.len(), 1, "{name}");
        assert_eq!(links[0].span_id(), caller, "{name}");
        assert_eq!(
            links[0].trace_id().to_string(),
            &TRACEPARENT[3..35],
            "{name}"
        );
        assert_eq!(links[0].trace_state().header(), "vendor=1", "{name}");
        // The handler is the layer's child, and was given nothing of the
        // caller's: the layer's own context in the caller's place.
        assert_eq!(
            handler.parent_span_id,
            layer.span_context.span_id(),
            "{name}"
        );
        assert_eq!(
            String::from_utf8_lossy(captured.output()),
            format!("Some({:?}) None", layer.span_context.trace_id().to_string()),
            "{name}"
        );
    }
    // Without a caller's context: a root with no link.
    let mut anonymous = request("GET", "/users/7");
    anonymous.headers_mut().remove("traceparent");
    let captured = capture(|| through_layer(http.layer(Handles(get_user)), anonymous));
    let [_, layer] = captured.spans() else {
        panic!("{}", captured.tree());
    };
    assert_eq!(layer.parent_span_id, SpanId::INVALID);
    assert!(layer.links.is_empty());
    // A caller that sampled nothing decides nothing here: the layer's root is
    // sampled by this service's parent-based sampler, as a root.
    let mut unsampled = called();
    unsampled.headers_mut().insert(
        "traceparent",
        http::HeaderValue::from_str(&format!("{}-00", &TRACEPARENT[..52])).unwrap(),
    );
    let parent_based = otel_traced::testing::Capture::new().sampler(
        otel_traced::sdk::trace::Sampler::ParentBased(Box::new(
            otel_traced::sdk::trace::Sampler::AlwaysOn,
        )),
    );
    let captured = parent_based.run(|| through_layer(http.layer(Handles(get_user)), unsampled));
    assert_eq!(captured.spans().len(), 2, "{}", captured.tree());
    // A path it leaves untraced is not read: nothing of the caller's reaches its
    // handler, which starts a trace of its own.
    let excepting = HttpLayer::server()
        .public_endpoint()
        .except(|path| path == "/healthz");
    let captured = capture(|| {
        let mut health = called();
        *health.uri_mut() = http::Uri::from_static("/healthz");
        through_layer(
            excepting.layer(Handles(get_user_telling_what_it_sees)),
            health,
        )
    });
    let [handler] = captured.spans() else {
        panic!("{}", captured.tree());
    };
    assert_eq!(
        handler.parent_span_id,
        SpanId::INVALID,
        "a trace of its own"
    );
    assert!(handler.links.is_empty());
    assert_eq!(String::from_utf8_lossy(captured.output()), "None None");
}

/// An annotated handler reading the request's headers alone.
#[traced_rpc(http, route = "/users/{id}", carrier = headers, code = false)]
fn get_user_by_headers(headers: &http::HeaderMap) -> http::StatusCode {
    let _ = headers;
    http::StatusCode::OK
}

#[test]
fn a_handler_reading_headers_alone_behind_a_public_endpoint_continues_the_layer() {
    let layer = HttpLayer::server().public_endpoint();
    let captured = capture(|| {
        through_layer(
            layer.layer(Handles(|request: http::Request<String>| {
                let mut response = http::Response::new(String::new());
                *response.status_mut() = get_user_by_headers(request.headers());
                response
            })),
            request("GET", "/users/7"),
        )
    });
    let [handler, layer] = captured.spans() else {
        panic!("{}", captured.tree());
    };
    assert_eq!(handler.parent_span_id, layer.span_context.span_id());
    assert_eq!(
        handler.span_context.trace_id(),
        layer.span_context.trace_id()
    );
}

/// A public endpoint's annotated handler.
#[traced_rpc(http, route = "/users/{id}", root, code = false)]
fn get_user_publicly(request: http::Request<String>) -> http::Response<String> {
    user_response(request.uri().path())
}

#[test]
fn a_root_handler_behind_a_server_layer_is_still_the_layers_child() {
    for public in [false, true] {
        let mut layer = HttpLayer::server().route(|_| Some("/users/{id}".to_owned()));
        if public {
            layer = layer.public_endpoint();
        }
        let captured = capture(|| {
            through_layer(
                layer.layer(Handles(get_user_publicly)),
                request("GET", "/users/7"),
            )
        });
        let [handler, layer] = captured.spans() else {
            panic!("{}", captured.tree());
        };
        assert_eq!(
            handler.parent_span_id,
            layer.span_context.span_id(),
            "public {public}"
        );
        assert!(handler.links.is_empty(), "public {public}");
    }
}

/// `get_user` under a route of its own: the adaptive sampler's counts of an
/// operation are the process's, which other tests' calls of `get_user` add to.
#[traced_rpc(http, route = "/counted/{id}", code = false)]
fn get_counted(request: http::Request<String>) -> http::Response<String> {
    user_response(request.uri().path())
}

#[test]
fn a_handler_behind_a_server_layer_is_counted_once_for_the_adaptive_sampler() {
    let sampler: otel_traced::sdk::trace::Sampler = otel_traced::AdaptiveSampler::new(0.0)
        .first(5)
        .min_calls(10)
        .error_threshold(0.5)
        .into();
    let captured = otel_traced::testing::Capture::new()
        .sampler(sampler)
        .run(|| {
            for _ in 0..10 {
                // Failing (a 503), each a root of its own.
                let mut request = request("GET", "/counted/0");
                request.headers_mut().remove("traceparent");
                let layer = HttpLayer::server().route(|_| Some("/counted/{id}".to_owned()));
                through_layer(layer.layer(Handles(get_counted)), request);
            }
        });
    // The first 5 requests sampled, the next 5 not: 5 calls ended are fewer than
    // the 10 an error rate is judged by. (Counted by the layer and the handler
    // both, 10 had ended, and every request after the fifth was sampled too.)
    let roots = (captured.spans().iter())
        .filter(|span| span.parent_span_id == SpanId::INVALID)
        .count();
    assert_eq!(roots, 5, "{}", captured.tree());
}
