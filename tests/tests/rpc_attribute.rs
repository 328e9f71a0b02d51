//! `#[traced_rpc]` on its own, the carriers built by hand: names, kinds, the
//! attributes of the conventions, extraction and injection, and status mapping.
// The expansion's uses of a carrier named `_request` are its own (clippy's
// pedantic lint, which CI's clippy then checks here).
#![warn(
    clippy::used_underscore_binding,
    clippy::no_effect_underscore_binding,
    clippy::shadow_same
)]

use otel_traced::opentelemetry::Value;
use otel_traced::opentelemetry::trace::{SpanKind, Status};
use otel_traced::testing::capture;
use otel_traced::{baggage, traced, traced_rpc};
use otel_traced_tests::{
    assert_error_without_reply, assert_http_error, attribute, own_keys, string,
};
use tonic::{Code, Request, Response};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID: &str = "00f067aa0ba902b7";
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn grpc_request(headers: &[(&'static str, &'static str)]) -> Request<String> {
    let mut request = Request::new("sku-1".to_owned());
    for (key, value) in headers {
        request
            .metadata_mut()
            .append(*key, value.parse().expect("a valid metadata value"));
    }
    request
}

#[traced_rpc(service = "shop.v1.Inventory")]
async fn reserve(request: Request<String>) -> Result<Response<u32>, tonic::Status> {
    match request.into_inner().as_str() {
        "missing" => Err(tonic::Status::not_found("no such sku")),
        "broken" => Err(tonic::Status::internal("stock table unreadable")),
        "dumped" => Err(tonic::Status::internal("x".repeat(100_000))),
        _ => Ok(Response::new(
            baggage::get("tenant").map_or(0, |t| t.len() as u32),
        )),
    }
}

fn run_reserve(
    request: Request<String>,
) -> otel_traced::testing::Captured<Result<Response<u32>, tonic::Status>> {
    capture(|| futures::executor::block_on(reserve(request)))
}

/// A server-streaming handler: its status comes at the stream's end.
type Stock = futures::stream::Iter<std::vec::IntoIter<Result<u32, tonic::Status>>>;

#[traced_rpc(service = "shop.v1.Inventory")]
async fn watch(request: Request<String>) -> Result<Response<Stock>, tonic::Status> {
    let _ = request;
    Ok(Response::new(futures::stream::iter(vec![
        Ok(1),
        Err(tonic::Status::internal("the feed broke")),
    ])))
}

#[test]
fn a_response_carrying_a_stream_says_no_status_it_does_not_know_yet() {
    let captured = capture(|| futures::executor::block_on(watch(grpc_request(&[]))));
    let span = captured.find("shop.v1.Inventory/Watch").expect("the span");
    assert_eq!(attribute(span, "rpc.response.status_code"), None);
    assert_eq!(span.status, Status::Unset);
    // A response carrying a message is the whole call's.
    let captured = run_reserve(grpc_request(&[]));
    assert_eq!(
        attribute(&captured.spans()[0], "rpc.response.status_code"),
        Some(&string("OK"))
    );
}

/// A client handing on the updates themselves (`.into_inner()`), as a stream of
/// gRPC messages.
#[traced_rpc(client, service = "shop.v1.Inventory", method = "Watch")]
async fn watch_updates(
    request: Request<String>,
) -> Result<futures::stream::BoxStream<'static, Result<u32, tonic::Status>>, tonic::Status> {
    let _ = request;
    use futures::StreamExt as _;
    Ok(futures::stream::iter(vec![Ok(1)]).boxed())
}

#[test]
fn a_stream_of_grpc_messages_says_no_status_it_does_not_know_yet() {
    let captured = capture(|| futures::executor::block_on(watch_updates(grpc_request(&[]))));
    let span = captured.find("shop.v1.Inventory/Watch").expect("the span");
    assert_eq!(attribute(span, "rpc.response.status_code"), None);
    assert_eq!(span.status, Status::Unset);
}

#[test]
fn a_grpc_server_continues_the_callers_trace_by_the_conventions() {
    let captured = run_reserve(grpc_request(&[
        ("traceparent", TRACEPARENT),
        ("baggage", "tenant=acme"),
    ]));
    assert_eq!(
        captured.output().as_ref().map(|r| *r.get_ref()).ok(),
        Some(4),
        "the request's baggage is current in the body"
    );
    let span = &captured.spans()[0];
    assert_eq!(span.name, "shop.v1.Inventory/Reserve");
    assert_eq!(span.span_kind, SpanKind::Server);
    assert_eq!(span.span_context.trace_id().to_string(), TRACE_ID);
    assert_eq!(span.parent_span_id.to_string(), PARENT_ID);
    assert!(span.parent_span_is_remote);
    assert_eq!(
        own_keys(span),
        ["rpc.system.name", "rpc.method", "rpc.response.status_code"]
    );
    assert_eq!(attribute(span, "rpc.system.name"), Some(&string("grpc")));
    assert_eq!(
        attribute(span, "rpc.method"),
        Some(&string("shop.v1.Inventory/Reserve"))
    );
    assert_eq!(
        attribute(span, "rpc.response.status_code"),
        Some(&string("OK"))
    );
    assert_eq!(span.status, Status::Unset);
}

#[test]
fn a_grpc_server_error_is_an_error_only_for_the_servers_own_faults() {
    let captured =
        run_reserve(grpc_request(&[("traceparent", TRACEPARENT)]).map(|_| "missing".to_owned()));
    let span = &captured.spans()[0];
    assert_eq!(
        attribute(span, "rpc.response.status_code"),
        Some(&string("NOT_FOUND"))
    );
    assert_eq!(
        span.status,
        Status::Unset,
        "NOT_FOUND is the caller's problem"
    );
    assert_eq!(attribute(span, "error.type"), None);
    assert!(span.events.is_empty(), "a status is not an exception");

    let captured = run_reserve(grpc_request(&[]).map(|_| "broken".to_owned()));
    let span = &captured.spans()[0];
    assert_eq!(
        attribute(span, "rpc.response.status_code"),
        Some(&string("INTERNAL"))
    );
    assert_eq!(attribute(span, "error.type"), Some(&string("INTERNAL")));
    assert_eq!(span.status, Status::error("stock table unreadable"));

    let captured = run_reserve(grpc_request(&[]).map(|_| "dumped".to_owned()));
    assert_eq!(
        captured.spans()[0].status,
        Status::error("x".repeat(4096)),
        "a status message is cut as an error's is"
    );
}

#[test]
fn an_invalid_traceparent_starts_a_new_trace_and_an_invalid_tracestate_is_dropped() {
    let captured = run_reserve(grpc_request(&[(
        "traceparent",
        "00-xyz-00f067aa0ba902b7-01",
    )]));
    let span = &captured.spans()[0];
    assert_ne!(span.span_context.trace_id().to_string(), TRACE_ID);
    assert!(!span.parent_span_is_remote);
    assert_eq!(span.parent_span_id.to_string(), "0000000000000000");

    let captured = run_reserve(grpc_request(&[
        ("traceparent", TRACEPARENT),
        ("tracestate", "bad key=1"),
    ]));
    let span = &captured.spans()[0];
    assert_eq!(span.parent_span_id.to_string(), PARENT_ID);
    assert_eq!(span.span_context.trace_state().header(), "");
}

#[traced_rpc(
    client,
    service = "shop.v1.Inventory",
    method = "Reserve",
    server = "inventory:50051"
)]
fn call_reserve(request: Request<String>) -> Result<Response<String>, tonic::Status> {
    let traceparent = request
        .metadata()
        .get("traceparent")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    traceparent
        .ok_or_else(|| tonic::Status::unavailable("nothing injected"))
        .map(Response::new)
}

#[test]
fn a_grpc_client_injects_its_own_context_before_the_body() {
    let captured = capture(|| call_reserve(Request::new("sku".to_owned())));
    let span = &captured.spans()[0];
    let sent = captured
        .output()
        .as_ref()
        .expect("a traceparent was injected")
        .get_ref();
    assert_eq!(
        *sent,
        format!(
            "00-{}-{}-01",
            span.span_context.trace_id(),
            span.span_context.span_id()
        )
    );
    assert_eq!(span.name, "shop.v1.Inventory/Reserve");
    assert_eq!(span.span_kind, SpanKind::Client);
    assert_eq!(
        attribute(span, "server.address"),
        Some(&string("inventory"))
    );
    assert_eq!(attribute(span, "server.port"), Some(&Value::I64(50051)));
    assert_eq!(
        attribute(span, "rpc.response.status_code"),
        Some(&string("OK"))
    );
}

/// The server written as tonic endpoints are: a URL, its scheme implying the port.
#[traced_rpc(
    client,
    service = "shop.v1.Inventory",
    server = "https://inventory.shop"
)]
fn call_by_url(request: Request<()>) -> Result<Response<()>, tonic::Status> {
    let _ = request;
    Ok(Response::new(()))
}

#[test]
fn a_server_written_as_a_url_records_its_host_and_port() {
    let captured = capture(|| call_by_url(Request::new(())));
    let span = &captured.spans()[0];
    assert_eq!(
        attribute(span, "server.address"),
        Some(&string("inventory.shop"))
    );
    assert_eq!(attribute(span, "server.port"), Some(&Value::I64(443)));
}

#[traced_rpc(client, service = "shop.v1.Inventory", server = "inventory:50051")]
fn check(request: Request<Code>) -> Result<Response<()>, tonic::Status> {
    let code = *request.get_ref();
    Err(tonic::Status::new(code, "refused"))
}

#[test]
fn every_non_ok_code_is_an_error_on_the_client() {
    for (code, name) in [
        (Code::NotFound, "NOT_FOUND"),
        (Code::InvalidArgument, "INVALID_ARGUMENT"),
        (Code::Unavailable, "UNAVAILABLE"),
    ] {
        let captured = capture(|| check(Request::new(code)));
        let span = &captured.spans()[0];
        assert_eq!(span.status, Status::error("refused"), "{code:?}");
        assert_eq!(attribute(span, "error.type"), Some(&string(name)));
        assert_eq!(
            attribute(span, "rpc.response.status_code"),
            Some(&string(name))
        );
    }
}

#[traced_rpc(client, service = "shop.v1.Inventory", method = "Check")]
fn check_naming_the_failure(request: Request<()>) -> Result<Response<()>, tonic::Status> {
    drop(request);
    otel_traced::record!(error.type = "stock_service_down");
    Err(tonic::Status::unavailable("refused"))
}

#[test]
fn an_error_type_the_body_records_stays_over_the_replys_code() {
    let captured = capture(|| check_naming_the_failure(Request::new(())));
    let span = &captured.spans()[0];
    let error_types: Vec<_> = (span.attributes.iter())
        .filter(|attribute| attribute.key.as_str() == "error.type")
        .collect();
    assert_eq!(
        error_types,
        [&otel_traced::opentelemetry::KeyValue::new(
            "error.type",
            "stock_service_down"
        )]
    );
    assert_eq!(
        attribute(span, "rpc.response.status_code"),
        Some(&string("UNAVAILABLE"))
    );
}

/// A gRPC-web bridge: the gRPC call answered by an HTTP response (here, the one
/// the request holds).
#[traced_rpc(client, service = "shop.v1.Inventory", method = "Reserve")]
fn bridged(request: Request<http::Response<()>>) -> Result<http::Response<()>, tonic::Status> {
    Ok(request.into_inner())
}

fn http_response(status: u16, headers: &[(&str, &str)]) -> http::Response<()> {
    let mut response = http::Response::builder().status(status);
    for (name, value) in headers {
        response = response.header(*name, *value);
    }
    response.body(()).unwrap()
}

#[test]
fn a_grpc_call_answered_by_an_http_response_reads_its_status_as_grpc_clients_do() {
    let cases = [
        // A trailers-only response: the status in the headers, its message
        // percent-encoded.
        (
            http_response(
                200,
                &[("grpc-status", "5"), ("grpc-message", "no%20such%20sku")],
            ),
            Some("NOT_FOUND"),
            Status::error("no such sku"),
        ),
        // A status but 200 without one: the code gRPC's HTTP mapping gives it.
        (
            http_response(503, &[]),
            Some("UNAVAILABLE"),
            Status::error("the response has no grpc-status (HTTP 503)"),
        ),
        // A 200 without one: the status comes in the trailers, after the call.
        (http_response(200, &[]), None, Status::Unset),
    ];
    for (response, code, status) in cases {
        let headers = format!("{} {:?}", response.status(), response.headers());
        let captured = capture(|| bridged(Request::new(response)));
        let span = &captured.spans()[0];
        assert_eq!(
            attribute(span, "rpc.response.status_code"),
            code.map(string).as_ref(),
            "{headers}"
        );
        assert_eq!(
            attribute(span, "error.type"),
            code.map(string).as_ref(),
            "{headers}"
        );
        assert_eq!(span.status, status, "{headers}");
        assert_eq!(attribute(span, "http.response.status_code"), None);
    }
}

/// A gRPC client failing with the HTTP response that says why.
#[traced_rpc(client, service = "shop.v1.Inventory", method = "Lookup")]
fn refused_through_a_bridge(request: Request<()>) -> Result<u32, http::Response<()>> {
    let _ = request;
    Err(http_response(200, &[("grpc-status", "14")]))
}

/// A gRPC client failing with an HTTP response whose status is still to come.
#[traced_rpc(client, service = "shop.v1.Inventory", method = "Lookup")]
fn refused_before_its_status(request: Request<()>) -> Result<u32, http::Response<()>> {
    let _ = request;
    Err(http_response(200, &[]))
}

#[test]
fn a_grpc_calls_http_response_without_a_status_as_its_error_is_an_error() {
    let captured = capture(|| refused_before_its_status(Request::new(())));
    assert_error_without_reply(
        &captured.spans()[0],
        "rpc.response.status_code",
        "http::response::Response<()>",
    );
}

#[test]
fn a_grpc_calls_http_response_as_its_error_is_its_status() {
    let captured = capture(|| refused_through_a_bridge(Request::new(())));
    let span = &captured.spans()[0];
    assert_eq!(
        ["rpc.response.status_code", "error.type"].map(|key| attribute(span, key)),
        [Some(&string("UNAVAILABLE")); 2],
        "the status, not the response's type"
    );
    assert_eq!(span.status, Status::error(""));
}

/// A client returning what `?` made of tonic's status, as tonic's examples do.
#[traced_rpc(client, service = "shop.v1.Inventory", method = "Reserve")]
fn reserve_boxed(request: Request<()>) -> Result<u32, Box<dyn std::error::Error + Send + Sync>> {
    let _ = request;
    Err(tonic::Status::not_found("no such sku"))?
}

/// The same, its error boxed without `Send`.
#[traced_rpc(client, service = "shop.v1.Inventory", method = "Reserve")]
fn reserve_boxed_here(request: Request<()>) -> Result<u32, Box<dyn std::error::Error>> {
    let _ = request;
    Err(tonic::Status::unavailable("closed"))?
}

#[test]
fn a_status_boxed_in_the_error_is_the_calls_reply() {
    let captured = capture(|| {
        (
            reserve_boxed(Request::new(())).is_err(),
            reserve_boxed_here(Request::new(())).is_err(),
        )
    });
    assert_eq!(*captured.output(), (true, true));
    for (span, code, message) in [
        (&captured.spans()[0], "NOT_FOUND", "no such sku"),
        (&captured.spans()[1], "UNAVAILABLE", "closed"),
    ] {
        assert_eq!(
            ["rpc.response.status_code", "error.type"].map(|key| attribute(span, key)),
            [Some(&string(code)); 2],
            "the status, not the box's type"
        );
        assert_eq!(span.status, Status::error(message));
    }
}

#[derive(Debug)]
struct Unreachable;

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("inventory unreachable")
    }
}

impl std::error::Error for Unreachable {}

#[traced_rpc(client, service = "shop.v1.Inventory", method = "Reserve")]
fn failing_call(request: Request<()>) -> Result<Response<()>, Unreachable> {
    let _ = request;
    Err(Unreachable)
}

#[test]
fn an_error_that_is_not_a_status_is_recorded_as_traced_records_errors() {
    let captured = capture(|| failing_call(Request::new(())));
    let span = &captured.spans()[0];
    assert_eq!(attribute(span, "rpc.response.status_code"), None);
    assert_eq!(
        attribute(span, "error.type"),
        Some(&string("rpc_attribute::Unreachable"))
    );
    assert_eq!(span.status, Status::error("inventory unreachable"));
}

/// A handler that does not read its request, named so; and a client sending one.
#[traced_rpc(service = "shop.v1.Health")]
fn health(_request: Request<()>) -> Result<Response<()>, tonic::Status> {
    Ok(Response::new(()))
}

#[traced_rpc(client, service = "shop.v1.Health", method = "Check")]
fn check_health(_request: &mut Request<()>) -> Result<Response<()>, tonic::Status> {
    Ok(Response::new(()))
}

#[test]
fn a_carrier_the_body_does_not_read_is_still_the_carrier() {
    let mut request = Request::new(());
    request
        .metadata_mut()
        .insert("traceparent", TRACEPARENT.parse().unwrap());
    let captured = capture(|| health(request));
    let server = &captured.spans()[0];
    assert_eq!(&*server.name, "shop.v1.Health/Health");
    assert_eq!(server.span_context.trace_id().to_string(), TRACE_ID);
    assert_eq!(server.parent_span_id.to_string(), PARENT_ID, "read");

    let mut request = Request::new(());
    let captured = capture(|| check_health(&mut request));
    let client = &captured.spans()[0];
    assert_eq!(client.span_kind, SpanKind::Client);
    assert_eq!(
        request
            .metadata()
            .get("traceparent")
            .map(|value| value.to_str().unwrap()),
        Some(&*format!(
            "00-{}-{}-01",
            client.span_context.trace_id(),
            client.span_context.span_id()
        )),
        "written"
    );
}

/// tonic's examples name their handlers' `Result` so.
type EchoResult<T> = Result<Response<T>, tonic::Status>;

#[traced_rpc(service = "grpc.examples.echo.Echo")]
async fn unary_echo(request: Request<String>) -> EchoResult<String> {
    match request.into_inner().as_str() {
        "boom" => Err(tonic::Status::internal("boom")),
        "odd" => Err(tonic::Status::invalid_argument("odd")),
        message => Ok(Response::new(message.to_owned())),
    }
}

#[traced_rpc(client, service = "grpc.examples.echo.Echo", method = "UnaryEcho")]
fn call_echo(request: Request<()>) -> EchoResult<()> {
    let _ = request;
    Err(tonic::Status::unavailable("no route"))
}

#[traced_rpc(client, service = "grpc.examples.echo.Echo", method = "UnaryEcho")]
fn call_echo_boxed(request: Request<()>) -> Result<Response<()>, Box<tonic::Status>> {
    let _ = request;
    Err(Box::new(tonic::Status::not_found("no echo")))
}

/// Handlers answering as axum's tuples do: a status, headers, a body.
#[traced_rpc(http, route = "/stock")]
fn busy(
    request: &http::Request<()>,
) -> (
    http::StatusCode,
    [(http::HeaderName, &'static str); 1],
    &'static str,
) {
    let _ = request;
    (
        http::StatusCode::SERVICE_UNAVAILABLE,
        [(http::header::RETRY_AFTER, "5")],
        "busy",
    )
}

#[traced_rpc(http, route = "/stock")]
fn moved(
    request: &http::Request<()>,
) -> (
    http::response::Parts,
    [(http::HeaderName, &'static str); 1],
    &'static str,
) {
    let _ = request;
    let (mut parts, ()) = http::Response::new(()).into_parts();
    parts.status = http::StatusCode::MOVED_PERMANENTLY;
    (parts, [(http::header::LOCATION, "/stocks")], "moved")
}

#[traced_rpc(http, route = "/stock")]
fn gone(
    request: &http::Request<()>,
) -> (
    http::Response<()>,
    [(http::HeaderName, &'static str); 1],
    &'static str,
) {
    let _ = request;
    let mut head = http::Response::new(());
    *head.status_mut() = http::StatusCode::BAD_GATEWAY;
    (head, [(http::header::RETRY_AFTER, "5")], "gone")
}

#[test]
fn a_handlers_tuple_replies_with_its_status() {
    let request = http::Request::new(());
    let captured = capture(|| busy(&request));
    assert_http_error(&captured.spans()[0], 503);
    let captured = capture(|| moved(&request));
    let span = &captured.spans()[0];
    assert_eq!(
        attribute(span, "http.response.status_code"),
        Some(&Value::I64(301))
    );
    assert_eq!(span.status, Status::Unset);
    let captured = capture(|| gone(&request));
    assert_http_error(&captured.spans()[0], 502);
}

/// An HTTP handler answering an error status in its `Err`, through an alias.
type Reply = Result<http::Response<()>, http::StatusCode>;

#[traced_rpc(http, route = "/orders")]
fn list_orders(request: &http::Request<()>) -> Reply {
    let _ = request;
    Err(http::StatusCode::SERVICE_UNAVAILABLE)
}

#[test]
fn a_grpc_server_reads_its_peer_and_client_from_its_request() {
    let served = |metadata: &[(&'static str, &str)]| {
        let mut request = Request::new("hi".to_owned());
        let peer = "10.1.2.3:4000".parse().unwrap();
        request
            .extensions_mut()
            .insert(otel_traced::propagation::PeerAddress(peer));
        for (key, value) in metadata {
            request.metadata_mut().insert(*key, value.parse().unwrap());
        }
        let captured = capture(|| futures::executor::block_on(unary_echo(request)));
        let span = &captured.spans()[0];
        [
            "network.peer.address",
            "network.peer.port",
            "client.address",
            "client.port",
        ]
        .map(|key| attribute(span, key).cloned())
    };
    let asked = |metadata: &[(&'static str, &str)]| {
        let mut request = Request::new("hi".to_owned());
        for (key, value) in metadata {
            request.metadata_mut().insert(*key, value.parse().unwrap());
        }
        let captured = capture(|| futures::executor::block_on(unary_echo(request)));
        let span = &captured.spans()[0];
        ["server.address", "server.port"].map(|key| attribute(span, key).cloned())
    };
    assert_eq!(
        asked(&[("host", "echo.internal:8080")]),
        [Some(string("echo.internal")), Some(Value::I64(8080))],
        "the server a client asked for where it sent a host (gRPC-Web)"
    );
    assert_eq!(
        asked(&[
            ("host", "echo-1:8080"),
            ("x-forwarded-host", "echo.example")
        ]),
        [Some(string("echo.example")), None],
        "as a proxy was asked for"
    );
    assert_eq!(
        asked(&[]),
        [None, None],
        "none asked for (HTTP/2 without the layer)"
    );
    let peer = [Some(string("10.1.2.3")), Some(Value::I64(4000))];
    assert_eq!(
        served(&[]),
        [
            peer[0].clone(),
            peer[1].clone(),
            peer[0].clone(),
            peer[1].clone()
        ],
        "no proxy: the peer is the client"
    );
    assert_eq!(
        served(&[("x-forwarded-for", "203.0.113.9, 10.0.0.1")]),
        [
            peer[0].clone(),
            peer[1].clone(),
            Some(string("203.0.113.9")),
            None
        ],
        "the client a proxy names in the metadata"
    );
    assert_eq!(
        served(&[("forwarded", "for=unknown")]),
        [peer[0].clone(), peer[1].clone(), None, None],
        "a proxy naming no client: the peer is the proxy"
    );
}

#[test]
fn a_result_written_through_an_alias_replies_as_one_written_out() {
    let status = |text: &str| {
        let captured =
            capture(|| futures::executor::block_on(unary_echo(Request::new(text.to_owned()))));
        let span = &captured.spans()[0];
        (
            attribute(span, "rpc.response.status_code").cloned(),
            attribute(span, "error.type").cloned(),
            span.status.clone(),
        )
    };
    assert_eq!(
        status("boom"),
        (
            Some(string("INTERNAL")),
            Some(string("INTERNAL")),
            Status::error("boom")
        )
    );
    assert_eq!(
        status("odd"),
        (Some(string("INVALID_ARGUMENT")), None, Status::Unset),
        "the caller's error, not the server's"
    );
    assert_eq!(status("hi"), (Some(string("OK")), None, Status::Unset));

    let captured = capture(|| call_echo(Request::new(())));
    let span = &captured.spans()[0];
    assert_eq!(
        attribute(span, "rpc.response.status_code"),
        Some(&string("UNAVAILABLE"))
    );
    assert_eq!(span.status, Status::error("no route"));

    let captured = capture(|| call_echo_boxed(Request::new(())));
    let span = &captured.spans()[0];
    assert_eq!(
        attribute(span, "rpc.response.status_code"),
        Some(&string("NOT_FOUND")),
        "a boxed status is the status"
    );
    assert_eq!(attribute(span, "error.type"), Some(&string("NOT_FOUND")));

    let request = http::Request::get("/orders").body(()).unwrap();
    let captured = capture(|| list_orders(&request));
    assert_http_error(&captured.spans()[0], 503);
}

#[traced_rpc(http, route = "/users/{id}")]
fn get_user(request: http::Request<()>, id: u64) -> http::Response<String> {
    let status = if id == 0 { 500 } else { 200 };
    let _ = request;
    http::Response::builder()
        .status(status)
        .body(inner(id))
        .expect("a valid response")
}

#[traced]
fn inner(id: u64) -> String {
    id.to_string()
}

/// An axum handler taking the body (`Json`, last) has the request's head beside
/// it with axum's `Parts` extractor: found as the carrier, written out or imported.
#[traced_rpc(http, route = "/orders/{sku}")]
fn place_order(parts: http::request::Parts, sku: String) -> http::StatusCode {
    let _ = (parts, sku);
    http::StatusCode::CREATED
}

mod imported_parts {
    use http::request::Parts;

    #[otel_traced::traced_rpc(http, route = "/orders/{sku}")]
    pub(super) fn place_order(parts: &Parts) -> http::StatusCode {
        let _ = parts;
        http::StatusCode::CREATED
    }
}

#[test]
fn a_requests_parts_tell_its_method_and_path_as_the_request_does() {
    let (parts, ()) = http::Request::post("/orders/ab-12?express=1")
        .header("traceparent", TRACEPARENT)
        .header("host", "shop.example")
        .body(())
        .unwrap()
        .into_parts();
    for captured in [
        capture(|| imported_parts::place_order(&parts)),
        capture(|| place_order(parts.clone(), "ab-12".to_owned())),
    ] {
        let span = captured
            .find("POST /orders/{sku}")
            .expect("named by its method and route");
        assert_eq!(span.span_kind, SpanKind::Server);
        assert_eq!(
            attribute(span, "http.request.method"),
            Some(&string("POST"))
        );
        assert_eq!(attribute(span, "url.path"), Some(&string("/orders/ab-12")));
        assert_eq!(attribute(span, "url.query"), Some(&string("express=1")));
        assert_eq!(
            attribute(span, "server.address"),
            Some(&string("shop.example"))
        );
        assert_eq!(
            span.span_context.trace_id().to_string(),
            TRACE_ID,
            "the caller's trace"
        );
    }
}

#[test]
fn an_http_server_span_is_named_by_method_and_route() {
    let request = http::Request::get("/users/7?full=1")
        .header("traceparent", TRACEPARENT)
        .header("host", "shop.example:8443")
        .header("user-agent", "curl/8.5.0")
        .header("x-forwarded-for", "203.0.113.9, 10.0.0.2")
        .body(())
        .unwrap();
    let captured = capture(|| get_user(request, 7));
    let span = captured.find("GET /users/{id}").expect("the server span");
    assert_eq!(span.span_kind, SpanKind::Server);
    assert_eq!(
        own_keys(span),
        [
            "http.request.method",
            "http.route",
            "url.path",
            "url.query",
            "url.scheme",
            "server.address",
            "server.port",
            "client.address",
            "user_agent.original",
            "network.protocol.version",
            "id",
            "http.response.status_code"
        ]
    );
    assert_eq!(
        attribute(span, "server.address"),
        Some(&string("shop.example"))
    );
    assert_eq!(attribute(span, "server.port"), Some(&Value::I64(8443)));
    assert_eq!(
        attribute(span, "client.address"),
        Some(&string("203.0.113.9")),
        "the first hop's client"
    );
    assert_eq!(
        attribute(span, "user_agent.original"),
        Some(&string("curl/8.5.0"))
    );
    let request = http::Request::get("/users/7")
        .header(
            "user-agent",
            http::HeaderValue::from_bytes("MyApp/1.0 (Zoë's phone)".as_bytes()).unwrap(),
        )
        .body(())
        .unwrap();
    let by_zoe = capture(|| get_user(request, 7));
    assert_eq!(
        attribute(
            by_zoe.find("GET /users/{id}").expect("the server span"),
            "user_agent.original"
        ),
        Some(&string("MyApp/1.0 (Zoë's phone)")),
        "UTF-8 beyond ASCII"
    );
    let client_of = |forwarded: &str| {
        let name = if forwarded.contains('=') {
            "forwarded"
        } else {
            "x-forwarded-for"
        };
        let request = http::Request::get("/users/7")
            .header(name, forwarded)
            .body(())
            .unwrap();
        let captured = capture(|| get_user(request, 7));
        let span = captured.find("GET /users/{id}").expect("the server span");
        attribute(span, "client.address").cloned()
    };
    assert_eq!(
        client_of("for=\"[2001:db8:cafe::17]:4711\";proto=https, for=10.0.0.2"),
        Some(string("2001:db8:cafe::17"))
    );
    assert_eq!(
        client_of("For=192.0.2.43:47011"),
        Some(string("192.0.2.43"))
    );
    assert_eq!(client_of("for=_hidden, for=10.0.0.2"), None, "obfuscated");
    assert_eq!(client_of("proto=https"), None);
    assert_eq!(
        client_of("\"203.0.113.9\", 10.0.0.2"),
        Some(string("203.0.113.9")),
        "an X-Forwarded-For address quoted"
    );
    assert_eq!(client_of("<script>, 10.0.0.2"), None, "no address");
    assert_eq!(client_of("for=UNKNOWN"), None, "unknown, in any case");
    assert_eq!(
        client_of("for=\"[2001:db8::1:8080\""),
        None,
        "a bracket left open"
    );
    // The server the client asked for: its address, port and scheme.
    let server_of = |headers: &[(&str, &str)]| {
        let mut request = http::Request::get("/users/7");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let captured = capture(|| get_user(request.body(()).unwrap(), 7));
        let span = captured.find("GET /users/{id}").expect("the server span");
        ["server.address", "server.port", "url.scheme"].map(|key| attribute(span, key).cloned())
    };
    assert_eq!(
        server_of(&[
            ("host", "app:8080"),
            ("forwarded", "host=shop.example;proto=https")
        ]),
        [
            Some(string("shop.example")),
            Some(Value::I64(443)),
            Some(string("https"))
        ],
        "behind a proxy, with the port its scheme implies"
    );
    assert_eq!(
        server_of(&[("host", "shop.example")]),
        [Some(string("shop.example")), None, Some(string("http"))],
        "no port implied by a scheme nothing gave: the server may terminate TLS itself"
    );
    assert_eq!(attribute(span, "url.path"), Some(&string("/users/7")));
    assert_eq!(attribute(span, "url.query"), Some(&string("full=1")));
    let connect = http::Request::connect("shop.example:443").body(()).unwrap();
    let tunnel = capture(|| get_user(connect, 7));
    let tunnel = tunnel.find("CONNECT /users/{id}").expect("the server span");
    assert_eq!(
        attribute(tunnel, "url.path"),
        None,
        "an authority-form target has none"
    );
    assert_eq!(
        attribute(span, "http.response.status_code"),
        Some(&Value::I64(200))
    );
    assert_eq!(span.parent_span_id.to_string(), PARENT_ID);
    let child = captured.find("inner").expect("the body's span");
    otel_traced_tests::assert_child_of(child, span);

    let behind_tls = |forwarding: (&str, &str)| {
        let request = http::Request::get("/users/7")
            .header(forwarding.0, forwarding.1)
            .body(())
            .unwrap();
        let captured = capture(|| get_user(request, 7));
        let span = captured.find("GET /users/{id}").expect("the server span");
        attribute(span, "url.scheme").cloned()
    };
    assert_eq!(
        behind_tls(("x-forwarded-proto", "https")),
        Some(string("https"))
    );
    assert_eq!(
        behind_tls((
            "forwarded",
            "for=192.0.2.60;proto=HTTPS;by=203.0.113.43, proto=http"
        )),
        Some(string("https")),
        "the first hop's"
    );
    assert_eq!(
        behind_tls(("x-forwarded-proto", "gopher")),
        Some(string("http")),
        "only http and https are taken"
    );
    // Over HTTP/2 the URI names the scheme of the last hop (`:scheme`): behind a
    // proxy terminating TLS, `http`; the proxy's header says the client's.
    let request = http::Request::get("http://shop.example/users/7")
        .header("x-forwarded-proto", "https")
        .body(())
        .unwrap();
    let captured = capture(|| get_user(request, 7));
    let span = captured.find("GET /users/{id}").expect("the server span");
    assert_eq!(
        ["url.scheme", "server.port"].map(|key| attribute(span, key).cloned()),
        [Some(string("https")), Some(Value::I64(443))],
        "the original client's scheme, and the port it implies"
    );
    // The scheme a client wrote into its request (HTTP/2's `:scheme`, an absolute
    // URI) is taken the same way: it is a metric's attribute.
    for (uri, scheme) in [
        ("a1://shop/users/7", "http"),
        ("HTTPS://shop/users/7", "https"),
    ] {
        let request = http::Request::get(uri).body(()).unwrap();
        let captured = capture(|| get_user(request, 7));
        let span = captured.find("GET /users/{id}").expect("the server span");
        assert_eq!(
            attribute(span, "url.scheme"),
            Some(&string(scheme)),
            "{uri}"
        );
    }

    let request = http::Request::post(
        "/users/0?sig=abc&X-Amz-Credential=AKIA&X-Amz-Security-Token=t&X-Amz-Signature=s&page=2&access_token=eyJ&API_KEY=k&tokens=3&private_token=glpat-1&accessToken=a",
    )
    .body(())
    .unwrap();
    let captured = capture(|| get_user(request, 0));
    let span = &captured.find("POST /users/{id}").expect("the server span");
    assert_eq!(
        attribute(span, "url.query"),
        Some(&string(
            "sig=REDACTED&X-Amz-Credential=REDACTED&X-Amz-Security-Token=REDACTED&X-Amz-Signature=REDACTED&page=2&access_token=REDACTED&API_KEY=REDACTED&tokens=3&private_token=REDACTED&accessToken=REDACTED"
        )),
        "credentials in the query are redacted"
    );
    assert_eq!(attribute(span, "error.type"), Some(&string("500")));
    assert_eq!(span.status, Status::error(""));
}

#[traced_rpc(client, http, template = "/users/{id}")]
fn fetch_user(mut request: http::Request<()>) -> http::StatusCode {
    request.headers_mut().insert("x-seen", "1".parse().unwrap());
    if request.headers().contains_key("traceparent") {
        http::StatusCode::NOT_FOUND
    } else {
        http::StatusCode::OK
    }
}

#[test]
fn an_http_client_records_the_url_and_counts_4xx_as_errors() {
    let request = http::Request::get("https://ada:pw@api.example.com/users/7")
        .body(())
        .unwrap();
    let captured = capture(|| fetch_user(request));
    assert_eq!(
        *captured.output(),
        http::StatusCode::NOT_FOUND,
        "injected before the body"
    );
    let span = &captured.spans()[0];
    assert_eq!(span.name, "GET /users/{id}");
    assert_eq!(span.span_kind, SpanKind::Client);
    assert_eq!(
        attribute(span, "url.full"),
        Some(&string("https://REDACTED:REDACTED@api.example.com/users/7"))
    );
    assert_eq!(
        attribute(span, "server.address"),
        Some(&string("api.example.com"))
    );
    assert_eq!(attribute(span, "server.port"), Some(&Value::I64(443)));
    assert_eq!(
        attribute(span, "url.template"),
        Some(&string("/users/{id}"))
    );
    assert_eq!(
        attribute(span, "http.response.status_code"),
        Some(&Value::I64(404))
    );
    assert_eq!(attribute(span, "error.type"), Some(&string("404")));
    assert_eq!(span.status, Status::error(""), "a client's 4xx is an error");
}

#[test]
fn a_request_sent_again_says_how_many_times_it_was_sent_before() {
    use otel_traced::propagation::ResendCount;
    let resent = |count: Option<u32>| {
        let mut request = http::Request::get("https://api.example.com/users/7")
            .body(())
            .unwrap();
        if let Some(count) = count {
            request.extensions_mut().insert(ResendCount(count));
        }
        let captured = capture(|| fetch_user(request));
        attribute(&captured.spans()[0], "http.request.resend_count").cloned()
    };
    assert_eq!(resent(Some(2)), Some(Value::I64(2)));
    assert_eq!(resent(Some(0)), None, "the first sending is no resend");
    assert_eq!(resent(None), None);
}

/// A client of one API, sending requests in origin form (a connection's
/// `send_request` takes the path, the host in `Host`).
#[traced_rpc(client, http, server = "https://api.example.com")]
fn api_call(request: http::Request<()>) -> http::StatusCode {
    let _ = request;
    http::StatusCode::OK
}

#[test]
fn an_origin_form_client_request_takes_its_urls_scheme_and_host_from_the_server() {
    let request = http::Request::get("/users/7?sig=s3cr3t&page=2")
        .body(())
        .unwrap();
    let span = capture(|| api_call(request)).spans()[0].clone();
    assert_eq!(
        attribute(&span, "url.full"),
        Some(&string(
            "https://api.example.com/users/7?sig=REDACTED&page=2"
        ))
    );
    assert_eq!(
        attribute(&span, "server.address"),
        Some(&string("api.example.com"))
    );
    assert_eq!(attribute(&span, "server.port"), Some(&Value::I64(443)));
}

#[traced_rpc(client, http, server = server)]
fn api_call_to(request: http::Request<()>, #[skip] server: &str) -> http::StatusCode {
    let _ = (request, server);
    http::StatusCode::OK
}

#[test]
fn an_origin_form_request_takes_only_a_web_url_with_a_host_from_the_server() {
    for (server, full) in [
        (
            "HTTP://api.example.com:8080",
            Some("HTTP://api.example.com:8080/users/7"),
        ),
        ("api.example.com:443", None),
        ("https://", None),
        ("unix:///run/api.sock", None),
    ] {
        let request = http::Request::get("/users/7").body(()).unwrap();
        let span = capture(|| api_call_to(request, server)).spans()[0].clone();
        assert_eq!(
            attribute(&span, "url.full"),
            full.map(string).as_ref(),
            "{server}"
        );
    }
}

#[test]
fn url_full_and_the_server_address_name_the_server_the_request_names() {
    let absolute = http::Request::get("http://b.example.com:8080/x")
        .body(())
        .unwrap();
    let with_host = http::Request::get("/users/7")
        .header("host", "b.example.com")
        .body(())
        .unwrap();
    for (request, full, port) in [
        (absolute, "http://b.example.com:8080/x", 8080),
        (with_host, "https://b.example.com/users/7", 443),
    ] {
        let span = capture(|| api_call_to(request, "https://a.example.com")).spans()[0].clone();
        assert_eq!(attribute(&span, "url.full"), Some(&string(full)));
        assert_eq!(
            attribute(&span, "server.address"),
            Some(&string("b.example.com")),
            "{full}"
        );
        assert_eq!(attribute(&span, "server.port"), Some(&Value::I64(port)));
    }
    // An empty `Host` names nothing: the server given does.
    let empty_host = http::Request::get("/users/7")
        .header("host", "")
        .body(())
        .unwrap();
    let span = capture(|| api_call_to(empty_host, "https://a.example.com")).spans()[0].clone();
    assert_eq!(
        attribute(&span, "url.full"),
        Some(&string("https://a.example.com/users/7"))
    );
    assert_eq!(
        attribute(&span, "server.address"),
        Some(&string("a.example.com"))
    );
    // A connector's URL of a Unix socket (hyperlocal's, its path hex-encoded)
    // names no server: the socket given does.
    let socket = http::Request::get("unix://2f72756e2f646f636b65722e736f636b:0/containers/json")
        .body(())
        .unwrap();
    let span = capture(|| api_call_to(socket, "unix:///run/docker.sock")).spans()[0].clone();
    assert_eq!(
        attribute(&span, "server.address"),
        Some(&string("/run/docker.sock"))
    );
    assert_eq!(attribute(&span, "server.port"), None);
}

/// A client whose carrier is the request's headers alone.
#[traced_rpc(client, http, server = "https://api.example.com")]
fn api_call_with_headers(headers: &mut http::HeaderMap) -> http::StatusCode {
    let _ = headers;
    http::StatusCode::OK
}

#[test]
fn a_client_that_knows_no_path_records_no_url() {
    let mut headers = http::HeaderMap::new();
    let span = capture(|| api_call_with_headers(&mut headers)).spans()[0].clone();
    assert_eq!(attribute(&span, "url.full"), None, "not made up");
    assert_eq!(
        attribute(&span, "server.address"),
        Some(&string("api.example.com"))
    );
    assert_eq!(attribute(&span, "server.port"), Some(&Value::I64(443)));
}

/// The span context the body runs under: trace id, span id, remote.
#[traced_rpc(service = "shop.v1.Inventory")]
async fn peek(request: Request<String>) -> Result<Response<(String, String, bool)>, tonic::Status> {
    let _ = request;
    use otel_traced::opentelemetry::trace::TraceContextExt as _;
    let current = otel_traced::opentelemetry::Context::current();
    let seen = current.span().span_context().clone();
    Ok(Response::new((
        seen.trace_id().to_string(),
        seen.span_id().to_string(),
        seen.is_remote(),
    )))
}

#[test]
fn without_a_destination_the_trace_and_baggage_pass_through() {
    let request = grpc_request(&[("traceparent", TRACEPARENT), ("baggage", "tenant=acme")]);
    let reply = futures::executor::block_on(reserve(request)).expect("served");
    assert_eq!(*reply.get_ref(), 4);
    let request = grpc_request(&[("traceparent", TRACEPARENT)]);
    let reply = futures::executor::block_on(peek(request)).expect("served");
    assert_eq!(
        *reply.get_ref(),
        (TRACE_ID.to_owned(), PARENT_ID.to_owned(), true),
        "the body runs under the caller's span"
    );
}

#[traced_rpc(http, route = "/items")]
fn list_items(headers: &http::HeaderMap) -> Vec<(String, String)> {
    let _ = headers;
    let mut seen: Vec<(String, String)> = otel_traced::opentelemetry::Context::map_current(|cx| {
        use otel_traced::opentelemetry::baggage::BaggageExt as _;
        cx.baggage()
            .iter()
            .map(|(key, (value, _))| (key.to_string(), value.to_string()))
            .collect()
    });
    seen.sort();
    seen
}

/// A case: its name, the headers, whether the trace is continued, the tracestate
/// kept and the baggage kept.
type HeaderCase = (
    &'static str,
    Vec<(&'static str, String)>,
    bool,
    &'static str,
    Vec<(&'static str, &'static str)>,
);

/// What a server made of one request's headers.
struct Seen {
    continued: bool,
    tracestate: String,
    baggage: Vec<(String, String)>,
}

fn serve_headers(headers: &[(&str, String)]) -> Seen {
    let mut map = http::HeaderMap::new();
    for (name, value) in headers {
        map.append(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            http::HeaderValue::from_str(value).unwrap(),
        );
    }
    let captured = capture(|| list_items(&map));
    let span = &captured.spans()[0];
    Seen {
        continued: span.parent_span_id.to_string() == PARENT_ID
            && span.span_context.trace_id().to_string() == TRACE_ID,
        tracestate: span.span_context.trace_state().header(),
        baggage: captured.output().clone(),
    }
}

#[test]
fn malformed_oversized_and_conflicting_headers_are_handled_as_the_specifications_say() {
    let tp = || ("traceparent", TRACEPARENT.to_owned());
    let pairs = |n: usize| {
        (0..n)
            .map(|i| format!("k{i}=v"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let cases: Vec<HeaderCase> = vec![
        ("valid", vec![tp()], true, "", vec![]),
        (
            "two traceparent headers",
            vec![tp(), tp()],
            false,
            "",
            vec![],
        ),
        (
            "uppercase traceparent",
            vec![("traceparent", TRACEPARENT.to_uppercase())],
            false,
            "",
            vec![],
        ),
        (
            "a later version with more fields",
            vec![(
                "traceparent",
                format!("cc{}-what-the-future-holds", &TRACEPARENT[2..]),
            )],
            true,
            "",
            vec![],
        ),
        (
            "an oversized traceparent",
            vec![(
                "traceparent",
                format!("{TRACEPARENT}{}", "0".repeat(10_000)),
            )],
            false,
            "",
            vec![],
        ),
        (
            "tracestate headers combined",
            vec![
                tp(),
                ("tracestate", "a=1".into()),
                ("tracestate", "b=2".into()),
            ],
            true,
            "a=1,b=2",
            vec![],
        ),
        (
            "33 tracestate members: dropped, traceparent kept",
            vec![tp(), ("tracestate", pairs(33))],
            true,
            "",
            vec![],
        ),
        (
            "a duplicate tracestate key: dropped",
            vec![tp(), ("tracestate", "a=1,a=2".into())],
            true,
            "",
            vec![],
        ),
        (
            "an invalid tracestate value: dropped",
            vec![tp(), ("tracestate", "foo=".into())],
            true,
            "",
            vec![],
        ),
        (
            "baggage without a traceparent",
            vec![("baggage", "user.id=ada".into())],
            false,
            "",
            vec![("user.id", "ada")],
        ),
        (
            "an invalid baggage member is ignored, the others kept",
            vec![tp(), ("baggage", "good=1,bad key=2,also=%20x".into())],
            true,
            "",
            vec![("also", " x"), ("good", "1")],
        ),
        (
            "baggage headers combined",
            vec![tp(), ("baggage", "a=1".into()), ("baggage", "b=2".into())],
            true,
            "",
            vec![("a", "1"), ("b", "2")],
        ),
        (
            "oversized baggage keeps what fits in 8192 bytes",
            vec![
                tp(),
                ("baggage", format!("first=1,huge={}", "x".repeat(9000))),
            ],
            true,
            "",
            vec![("first", "1")],
        ),
    ];
    for (case, headers, continued, tracestate, baggage) in cases {
        let seen = serve_headers(&headers);
        assert_eq!(seen.continued, continued, "{case}: continued");
        assert_eq!(seen.tracestate, tracestate, "{case}: tracestate");
        let expected: Vec<(String, String)> = baggage
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        assert_eq!(seen.baggage, expected, "{case}: baggage");
    }
}

/// A gateway forwarding the headers it received, written as such.
#[traced_rpc(client, http)]
fn forward(request: http::Request<()>) -> http::HeaderMap {
    request.headers().clone()
}

/// An untraced service's handler calling the next one.
#[traced_rpc(http, route = "/orders")]
fn relay(request: &http::Request<()>) -> http::HeaderMap {
    let _ = request;
    forward(
        http::Request::get("http://next.test/orders")
            .body(())
            .unwrap(),
    )
}

#[test]
fn without_init_a_service_passes_the_trace_and_baggage_on_unchanged() {
    let request = http::Request::get("/orders")
        .header("traceparent", TRACEPARENT)
        .header("baggage", "tenant=acme")
        .body(())
        .unwrap();
    // Outside any capture: nothing records, nothing is installed.
    let sent = relay(&request);
    assert_eq!(
        sent.get("traceparent").map(|value| value.to_str().unwrap()),
        Some(TRACEPARENT)
    );
    assert_eq!(
        sent.get("baggage").map(|value| value.to_str().unwrap()),
        Some("tenant=acme")
    );
}

#[test]
fn a_client_replaces_the_propagation_headers_a_gateway_copied() {
    let request = http::Request::get("http://inventory/items")
        .header("traceparent", TRACEPARENT)
        .header("tracestate", "vendor=stale")
        .header("baggage", "tenant=old")
        .header("x-request-id", "kept")
        .body(())
        .unwrap();
    let captured = capture(|| forward(request));
    let span = &captured.spans()[0];
    let sent = captured.output();
    assert_eq!(
        sent["traceparent"],
        format!(
            "00-{}-{}-01",
            span.span_context.trace_id(),
            span.span_context.span_id()
        )
    );
    assert_eq!(sent.get("tracestate"), None, "the call's own: none");
    assert_eq!(sent["baggage"], "tenant=old", "forwarded baggage stays");
    assert_eq!(sent["x-request-id"], "kept");
}

/// Waits for a reply that never comes.
#[traced_rpc(
    client,
    service = "shop.v1.Inventory",
    method = "Reserve",
    server = "inventory:50051"
)]
async fn reserve_forever(request: Request<()>) -> Result<Response<()>, tonic::Status> {
    let _ = request;
    std::future::pending().await
}

/// Serves a call whose reply never comes.
#[traced_rpc(service = "shop.v1.Inventory", method = "Reserve")]
async fn serve_forever(request: Request<()>) -> Result<Response<()>, tonic::Status> {
    let _ = request;
    std::future::pending().await
}

#[test]
fn a_grpc_call_dropped_before_its_reply_ends_cancelled() {
    use futures::FutureExt as _;
    let captured = capture(|| {
        let mut client = Box::pin(reserve_forever(Request::new(())));
        let mut server = Box::pin(serve_forever(Request::new(())));
        let mut task = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(client.poll_unpin(&mut task).is_pending());
        assert!(server.poll_unpin(&mut task).is_pending());
        // Given up: a timeout, a client that went away.
    });
    let client = captured.find("shop.v1.Inventory/Reserve").expect("a span");
    let [client, server] = [SpanKind::Client, SpanKind::Server].map(|kind| {
        captured
            .spans()
            .iter()
            .find(|span| span.span_kind == kind)
            .unwrap_or_else(|| panic!("a {kind:?} span: {client:?}"))
    });
    for span in [client, server] {
        assert_eq!(
            attribute(span, "rpc.response.status_code"),
            Some(&string("CANCELLED"))
        );
        assert_eq!(
            attribute(span, "otel_traced.cancelled"),
            Some(&Value::Bool(true))
        );
    }
    assert_eq!(attribute(client, "error.type"), Some(&string("CANCELLED")));
    assert_eq!(
        client.status,
        Status::error("the call was dropped before its reply"),
        "an error on the client only"
    );
    assert_eq!(attribute(server, "error.type"), None);
    assert_eq!(server.status, Status::Unset);
}

/// Headers whose reads and writes are traced themselves (a decoding helper with
/// `#[traced]`): our code calls them while it reads or writes the context.
struct TracedHeaders(Vec<(String, String)>);

#[traced]
fn decode(value: &str) -> &str {
    value
}

impl otel_traced::propagation::Extract for TracedHeaders {
    fn get_all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(name, _)| name == key)
            .map(|(_, value)| decode(value))
            .collect()
    }

    fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|(name, _)| decode(name)).collect()
    }
}

impl otel_traced::propagation::Inject for TracedHeaders {
    fn set(&mut self, key: &str, value: String) {
        let value = decode(&value).to_owned();
        self.0.push((key.to_owned(), value));
    }
}

#[traced_rpc(server, service = "shop.v1.Inventory", method = "Count", carrier = headers)]
fn count(headers: &TracedHeaders) -> Result<Response<u32>, tonic::Status> {
    Ok(Response::new(headers.0.len() as u32))
}

#[traced_rpc(client, service = "shop.v1.Inventory", method = "Count", carrier = headers)]
fn call_count(headers: &mut TracedHeaders) -> usize {
    headers.0.len()
}

#[test]
fn a_carrier_whose_own_code_is_traced_is_read_and_written() {
    let captured = capture(|| {
        let mut headers = TracedHeaders(Vec::new());
        let sent = call_count(&mut headers);
        count(&headers).map(|reply| (sent, reply.into_inner()))
    });
    assert_eq!(
        captured.output().as_ref().ok(),
        Some(&(1, 1)),
        "traceparent"
    );
    let client = captured.find("shop.v1.Inventory/Count").expect("spans");
    let server = captured
        .spans()
        .iter()
        .find(|span| span.span_kind == SpanKind::Server)
        .expect("the server's span");
    assert_eq!(server.parent_span_id, client.span_context.span_id());
}

/// A client library's answer whose `HasReply` cannot read it.
struct Garbled;

/// Whether the probe asked a `Garbled` for its reply.
static GARBLED_ASKED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

impl otel_traced::rpc::HasReply for Garbled {
    fn reply(&self) -> otel_traced::rpc::Reply<'_> {
        GARBLED_ASKED.store(true, std::sync::atomic::Ordering::Relaxed);
        panic!("a status line that cannot be read");
    }
}

#[traced_rpc(http, client, carrier = request)]
fn fetch_garbled(request: &mut http::Request<()>) -> Garbled {
    let _ = request;
    Garbled
}

#[test]
fn a_reply_whose_has_reply_panics_is_no_status_and_no_panic() {
    let captured = capture(|| {
        let mut request = http::Request::get("http://shop.example/orders")
            .body(())
            .unwrap();
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            fetch_garbled(&mut request);
        }))
        .is_ok()
    });
    assert!(*captured.output(), "the call returned its value");
    assert!(
        GARBLED_ASKED.load(std::sync::atomic::Ordering::Relaxed),
        "the reply was read"
    );
    let span = &captured.spans()[0];
    assert_eq!(attribute(span, "http.response.status_code"), None);
    assert_eq!(attribute(span, "error.type"), None);
    assert_eq!(span.status, Status::Unset);
}

/// A handler called inside a span of this process (a server in a test, a
/// dispatcher): the request decides its parent, not the span current here.
#[traced]
fn dispatch(request: Request<String>) -> Result<Response<u32>, tonic::Status> {
    futures::executor::block_on(reserve(request))
}

#[test]
fn a_server_continues_the_request_not_the_span_current_where_it_runs() {
    for headers in [
        &[][..],
        &[("traceparent", "00-xyz-00f067aa0ba902b7-01")][..],
        &[("traceparent", TRACEPARENT)][..],
    ] {
        let captured = capture(|| dispatch(grpc_request(headers)));
        let dispatch = captured.find("dispatch").expect("the local span");
        let server = captured
            .spans()
            .iter()
            .find(|span| span.span_kind == SpanKind::Server)
            .expect("the server's span");
        if headers
            .first()
            .is_some_and(|(_, value)| *value == TRACEPARENT)
        {
            assert_eq!(server.parent_span_id.to_string(), PARENT_ID);
            assert_eq!(server.span_context.trace_id().to_string(), TRACE_ID);
        } else {
            assert_eq!(
                server.parent_span_id.to_string(),
                "0000000000000000",
                "{headers:?}: a new root"
            );
            assert_ne!(
                server.span_context.trace_id(),
                dispatch.span_context.trace_id(),
                "{headers:?}: a trace of its own"
            );
        }
    }
}

/// A gRPC call failing with a status of the other protocol: an HTTP backend's.
#[traced_rpc(
    client,
    service = "shop.v1.Inventory",
    method = "Lookup",
    server = "inventory:50051"
)]
fn lookup(request: tonic::Request<()>) -> Result<u32, http::StatusCode> {
    let _ = request;
    Err(http::StatusCode::BAD_GATEWAY)
}

#[test]
fn an_err_with_a_status_of_another_protocol_is_recorded_as_an_error() {
    let captured = capture(|| lookup(tonic::Request::new(())));
    let span = &captured.spans()[0];
    assert_eq!(
        attribute(span, "error.type"),
        Some(&string("http::status::StatusCode"))
    );
    assert_eq!(span.status, Status::error("502 Bad Gateway"));
    assert_eq!(
        ["rpc.response.status_code", "http.response.status_code"].map(|key| attribute(span, key)),
        [None, None],
        "no reply of the call's own"
    );
}

#[test]
fn a_client_request_takes_no_scheme_from_a_forwarded_header() {
    // A reverse proxy sending on, in origin form, the header it adds upstream: it
    // says how the request reached the proxy, not how it leaves.
    let request = http::Request::get("/items")
        .header("host", "inventory")
        .header("x-forwarded-proto", "https")
        .body(())
        .unwrap();
    let captured = capture(|| forward(request));
    let span = &captured.spans()[0];
    assert_eq!(
        attribute(span, "server.address"),
        Some(&string("inventory")),
        "its host read"
    );
    assert_eq!(
        ["url.scheme", "url.full", "server.port"].map(|key| attribute(span, key).cloned()),
        [None, None, None],
        "{:?}",
        span.attributes
    );
}

#[traced_rpc(http, route = "/files")]
fn files(request: &http::Request<()>) -> http::StatusCode {
    let _ = request;
    http::StatusCode::MULTI_STATUS
}

/// `OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS` is read once, from the process
/// environment: a child process is given it.
#[test]
fn the_known_methods_are_those_the_environment_lists() {
    if std::env::var_os(otel_traced_tests::CHILD).is_some() {
        let seen = |method: &str| {
            let request = http::Request::builder()
                .method(method)
                .uri("/files")
                .body(())
                .unwrap();
            let captured = capture(|| files(&request));
            let span = &captured.spans()[0];
            (
                span.name.to_string(),
                attribute(span, "http.request.method").cloned(),
            )
        };
        assert_eq!(
            seen("PROPFIND"),
            ("PROPFIND /files".to_owned(), Some(string("PROPFIND")))
        );
        assert_eq!(
            seen("GET"),
            ("HTTP /files".to_owned(), Some(string("_OTHER"))),
            "the list replaces HTTP's own"
        );
        return;
    }
    otel_traced_tests::passes_in_a_child_process(
        "the_known_methods_are_those_the_environment_lists",
        &[("OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS", "PROPFIND, POST")],
    );
}

#[test]
fn a_header_map_carrier_gives_what_its_headers_tell() {
    let mut headers = http::HeaderMap::new();
    for (name, value) in [
        ("host", "shop.example.com"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-for", "203.0.113.7"),
        ("user-agent", "curl/8.5.0"),
    ] {
        headers.insert(name, http::HeaderValue::from_static(value));
    }
    let captured = capture(|| list_items(&headers));
    let span = &captured.spans()[0];
    for (key, expected) in [
        ("url.scheme", "https"),
        ("server.address", "shop.example.com"),
        ("client.address", "203.0.113.7"),
        ("user_agent.original", "curl/8.5.0"),
    ] {
        assert_eq!(
            attribute(span, key),
            Some(&Value::from(expected)),
            "{key}: {:?}",
            span.attributes
        );
    }
}

#[traced_rpc(service = "shop.v1.Echo", method = "Unary")]
fn echo_metadata(metadata: &tonic::metadata::MetadataMap) {
    let _ = metadata;
}

#[test]
fn a_metadata_map_carrier_gives_the_client_a_proxy_names() {
    let mut metadata = tonic::metadata::MetadataMap::new();
    metadata.insert("x-forwarded-for", "203.0.113.9, 10.0.0.1".parse().unwrap());
    let captured = capture(|| echo_metadata(&metadata));
    assert_eq!(
        attribute(&captured.spans()[0], "client.address"),
        Some(&string("203.0.113.9"))
    );
}

/// A public endpoint's server: what it was given of its caller's baggage.
#[traced_rpc(http, route = "/orders", root, code = false)]
fn serve_the_internet(request: http::Request<()>) -> Option<String> {
    let _ = request;
    baggage::get("tenant")
}

/// The same for gRPC.
#[traced_rpc(service = "shop.v1.Storefront", method = "Browse", root, code = false)]
fn browse_for_the_internet(
    request: Request<()>,
) -> Result<Response<Option<String>>, tonic::Status> {
    let _ = request;
    Ok(Response::new(baggage::get("tenant")))
}

#[test]
fn a_root_server_starts_a_new_trace_linked_to_its_caller_without_its_baggage() {
    let http = capture(|| {
        serve_the_internet(
            http::Request::get("/orders")
                .header("traceparent", TRACEPARENT)
                .header("baggage", "tenant=acme")
                .body(())
                .unwrap(),
        )
    });
    let grpc = capture(|| {
        let mut request = Request::new(());
        let metadata = request.metadata_mut();
        metadata.insert("traceparent", TRACEPARENT.parse().unwrap());
        metadata.insert("baggage", "tenant=acme".parse().unwrap());
        browse_for_the_internet(request).map(Response::into_inner)
    });
    for (name, span, tenant) in [
        ("http", &http.spans()[0], http.output().clone()),
        ("grpc", &grpc.spans()[0], grpc.output().clone().unwrap()),
    ] {
        assert_eq!(span.span_kind, SpanKind::Server, "{name}");
        assert_eq!(
            span.parent_span_id,
            otel_traced::opentelemetry::trace::SpanId::INVALID,
            "{name}: a root"
        );
        assert_ne!(span.span_context.trace_id().to_string(), TRACE_ID, "{name}");
        let [link] = &span.links.links[..] else {
            panic!("{name}: one link: {:?}", span.links);
        };
        assert_eq!(link.span_context.trace_id().to_string(), TRACE_ID, "{name}");
        assert_eq!(link.span_context.span_id().to_string(), PARENT_ID, "{name}");
        assert_eq!(tenant, None, "{name}: none of the caller's baggage");
    }
}

#[test]
fn what_a_peer_sends_is_kept_within_the_formatted_values_limit() {
    // No limit configured: a request's texts are held to what a formatted
    // argument is (4096 characters), however large the peer made them.
    const KEPT: usize = 4096;
    let long = |c: char| std::iter::repeat_n(c, 10_000).collect::<String>();
    let request = http::Request::builder()
        .method(long('M').as_str())
        .uri(format!("/{}?q={}", long('p'), long('q')))
        .header("user-agent", long('u'))
        .header("x-forwarded-for", long('f'))
        .header("host", format!("{}.example:8080", long('h')))
        .body(())
        .unwrap();
    let captured = capture(|| serve_the_internet(request));
    let span = &captured.spans()[0];
    for key in [
        "http.request.method_original",
        "url.path",
        "url.query",
        "user_agent.original",
        "client.address",
        "server.address",
    ] {
        let value = attribute(span, key).unwrap_or_else(|| panic!("{key}: {span:?}"));
        assert_eq!(value.as_str().chars().count(), KEPT, "{key}");
    }
    assert_eq!(
        attribute(span, "server.port"),
        Some(&Value::I64(8080)),
        "read before the host was cut"
    );
}

#[test]
fn a_long_url_is_cut_after_its_credentials_were_redacted_and_its_port_read() {
    let long = |c: char| std::iter::repeat_n(c, 5_000).collect::<String>();
    let request = http::Request::get(format!(
        "https://user:{}@shop.example.com:8443/{}?token={}",
        long('p'),
        long('a'),
        long('t')
    ))
    .body(())
    .unwrap();
    let captured = capture(|| fetch_user(request));
    let span = &captured.spans()[0];
    let full = attribute(span, "url.full").expect("url.full").as_str();
    assert_eq!(full.chars().count(), 4096);
    assert!(
        full.starts_with("https://REDACTED:REDACTED@shop.example.com:8443/aaa"),
        "{full}"
    );
    assert_eq!(
        attribute(span, "server.address"),
        Some(&string("shop.example.com"))
    );
    assert_eq!(attribute(span, "server.port"), Some(&Value::I64(8443)));
}

/// A health check's stub: its request written `_`, which is the carrier all the
/// same.
#[traced_rpc(service = "grpc.health.v1.Health", method = "Check")]
async fn check_stub(_: Request<String>) -> Result<Response<u32>, tonic::Status> {
    Ok(Response::new(1))
}

#[async_trait::async_trait]
trait Health {
    async fn check(&self, request: Request<String>) -> Result<Response<u32>, tonic::Status>;
}

struct Checker;

/// As `#[async_trait]` writes the stub: `_` made its positional `__arg1`.
#[async_trait::async_trait]
impl Health for Checker {
    #[traced_rpc(service = "grpc.health.v1.Health")]
    async fn check(&self, _: Request<String>) -> Result<Response<u32>, tonic::Status> {
        Ok(Response::new(2))
    }
}

#[traced_rpc(http, route = "/healthz")]
fn healthz(_: &http::Request<()>) -> http::StatusCode {
    http::StatusCode::NO_CONTENT
}

/// A named carrier beside one written `_`: the named one is read.
#[traced_rpc(http, route = "/healthz")]
fn healthz_by_headers(headers: &http::HeaderMap, _: &http::Request<()>) -> http::StatusCode {
    let _ = headers;
    http::StatusCode::NO_CONTENT
}

#[test]
fn a_request_written_underscore_carries_the_callers_context() {
    let called = || grpc_request(&[("traceparent", TRACEPARENT)]);
    let http_request = || {
        http::Request::get("/healthz")
            .header("traceparent", TRACEPARENT)
            .body(())
            .expect("a request")
    };
    for (name, captured) in [
        (
            "fn",
            capture(|| futures::executor::block_on(check_stub(called())).is_ok()),
        ),
        (
            "async_trait",
            capture(|| futures::executor::block_on(Checker.check(called())).is_ok()),
        ),
        ("http", capture(|| healthz(&http_request()).is_success())),
        (
            "named first",
            capture(|| {
                let request = http_request();
                let mut unread = http::Request::new(());
                *unread.uri_mut() = request.uri().clone();
                healthz_by_headers(request.headers(), &unread).is_success()
            }),
        ),
    ] {
        let [span] = captured.spans() else {
            let spans = captured.spans();
            panic!("{name}: one span: {spans:#?}");
        };
        assert_eq!(span.span_kind, SpanKind::Server, "{name}");
        assert_eq!(span.span_context.trace_id().to_string(), TRACE_ID, "{name}");
        assert_eq!(span.parent_span_id.to_string(), PARENT_ID, "{name}");
    }
}
