//! Boundaries over real connections on 127.0.0.1, in one test process: a hyper
//! client calls an axum gateway, which calls a tonic service, which calls its own
//! `#[traced]` functions. One trace id across every tier, correct parents and
//! kinds, the conventions' attributes and status for each outcome, the client's
//! baggage in the server's body, and the gRPC layer giving the attribute's spans.

use axum::body::Bytes;
use axum::extract::{Path, Request};
use axum::http::StatusCode;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use otel_traced::opentelemetry::Value;
use otel_traced::opentelemetry::trace::{SpanKind, Status};
use otel_traced::sdk::trace::SpanData;
use otel_traced::testing::{Captured, capture};
use otel_traced::tower::GrpcLayer;
use otel_traced::{baggage, traced, traced_rpc};
use otel_traced_tests::receiver::RefusingPort;
use otel_traced_tests::shop_proto::inventory_client::InventoryClient;
use otel_traced_tests::shop_proto::inventory_server::{Inventory, InventoryServer};
use otel_traced_tests::shop_proto::{ReserveReply, ReserveRequest, StockUpdate, WatchRequest};
use otel_traced_tests::{
    Shape, assert_child_of, assert_error_without_reply, assert_http_error, attribute,
    exception_message, shape, string,
};
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tonic::transport::Channel;
use tonic::transport::server::TcpIncoming;
use tonic::{Code, Response};

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// The inventory, annotated: `sku` decides the outcome (`code-N` answers status N).
struct AnnotatedShop;

#[tonic::async_trait]
impl Inventory for AnnotatedShop {
    #[traced_rpc(service = "shop.v1.Inventory", code = false)]
    async fn reserve(
        &self,
        request: tonic::Request<ReserveRequest>,
    ) -> Result<Response<ReserveReply>, tonic::Status> {
        answer(request.into_inner())
    }

    type WatchStream = futures::stream::Empty<Result<StockUpdate, tonic::Status>>;

    async fn watch(
        &self,
        request: tonic::Request<WatchRequest>,
    ) -> Result<Response<Self::WatchStream>, tonic::Status> {
        not_watched(request)
    }
}

/// The same inventory without annotation, for the layer.
struct PlainShop;

#[tonic::async_trait]
impl Inventory for PlainShop {
    async fn reserve(
        &self,
        request: tonic::Request<ReserveRequest>,
    ) -> Result<Response<ReserveReply>, tonic::Status> {
        answer(request.into_inner())
    }

    type WatchStream = futures::stream::Empty<Result<StockUpdate, tonic::Status>>;

    async fn watch(
        &self,
        request: tonic::Request<WatchRequest>,
    ) -> Result<Response<Self::WatchStream>, tonic::Status> {
        not_watched(request)
    }
}

/// `Watch` of the shops that only reserve.
fn not_watched<S>(request: tonic::Request<WatchRequest>) -> Result<Response<S>, tonic::Status> {
    drop(request);
    Err(tonic::Status::unimplemented("not watched here"))
}

fn answer(request: ReserveRequest) -> Result<Response<ReserveReply>, tonic::Status> {
    if let Some(code) = request.sku.strip_prefix("code-") {
        let code = Code::from_i32(code.parse().unwrap_or(2));
        return Err(tonic::Status::new(code, format!("answered {code:?}")));
    }
    let remaining = take_stock(&request.sku, request.quantity)
        .map_err(|error| tonic::Status::failed_precondition(error.to_string()))?;
    let user = baggage::get("user.id").unwrap_or_default();
    Ok(Response::new(ReserveReply {
        reservation_id: format!("{user}:{}", request.sku),
        remaining,
    }))
}

#[derive(Debug)]
struct OutOfStock;

impl std::fmt::Display for OutOfStock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("out of stock")
    }
}

impl std::error::Error for OutOfStock {}

#[traced]
fn take_stock(sku: &str, quantity: u32) -> Result<u32, OutOfStock> {
    match sku {
        "piano" => Err(OutOfStock),
        _ => Ok(10 - quantity),
    }
}

async fn start_inventory<S: Inventory>(shop: S, layered: bool) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let address = listener.local_addr().expect("bound");
    let incoming = TcpIncoming::from(listener);
    let service = InventoryServer::new(shop);
    if layered {
        tokio::spawn(
            tonic::transport::Server::builder()
                .layer(GrpcLayer::server())
                .add_service(service)
                .serve_with_incoming(incoming),
        );
    } else {
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(incoming),
        );
    }
    address
}

#[traced_rpc(client, service = "shop.v1.Inventory", method = "Reserve", server = address)]
async fn reserve(
    mut inventory: InventoryClient<Channel>,
    request: tonic::Request<ReserveRequest>,
    #[skip] address: &str,
) -> Result<Response<ReserveReply>, tonic::Status> {
    inventory.reserve(request).await
}

/// Its carrier found by itself: axum's `Request`, an alias that names its body.
#[traced_rpc(http, route = "/orders/{sku}")]
async fn place_order(
    request: Request,
    sku: String,
    #[skip] inventory: InventoryClient<Channel>,
    #[skip] address: String,
) -> (StatusCode, String) {
    drop(request);
    let reservation = tonic::Request::new(ReserveRequest { sku, quantity: 1 });
    match reserve(inventory, reservation, &address).await {
        Ok(reply) => (StatusCode::CREATED, reply.into_inner().reservation_id),
        Err(status) if status.code() == Code::FailedPrecondition => {
            (StatusCode::CONFLICT, status.message().to_owned())
        }
        Err(status) => (StatusCode::BAD_GATEWAY, status.message().to_owned()),
    }
}

async fn start_gateway(inventory: SocketAddr) -> SocketAddr {
    let channel = Channel::from_shared(format!("http://{inventory}"))
        .expect("a valid URI")
        .connect_lazy();
    let app = axum::Router::new().route(
        "/orders/{sku}",
        axum::routing::post(move |Path(sku): Path<String>, request: Request| {
            place_order(
                request,
                sku,
                InventoryClient::new(channel.clone()),
                inventory.to_string(),
            )
        }),
    );
    serve(app).await
}

/// Orders `sku` from `gateway` through a hyper client behind `HttpLayer::client()`,
/// reading the answer whole; its status.
#[traced(root)]
async fn layered_client(gateway: SocketAddr, sku: &str) -> StatusCode {
    use tower_layer::Layer as _;
    use tower_service::Service as _;
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let mut client = otel_traced::tower::HttpLayer::client().layer(client);
    let request = http::Request::post(format!("http://{gateway}/orders/{sku}"))
        .body(Full::default())
        .expect("a valid request");
    let response = client.call(request).await.expect("an answer");
    let status = response.status();
    response.into_body().collect().await.expect("a body");
    status
}

/// Asserts that the client span `client` records `server`, on the loopback, as
/// the address that answered (`network.peer.*`).
fn assert_answered_by(client: &SpanData, server: SocketAddr) {
    assert_eq!(
        attribute(client, "network.peer.address"),
        Some(&string("127.0.0.1"))
    );
    assert_eq!(
        attribute(client, "network.peer.port"),
        Some(&Value::I64(i64::from(server.port())))
    );
}

/// Serves `app` on a port of its own, on the current runtime; its address.
async fn serve(app: axum::Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let address = listener.local_addr().expect("bound");
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

#[traced(root, set_baggage(user.id = user))]
async fn customer_visit(
    #[skip] gateway: SocketAddr,
    user: &str,
    sku: &str,
) -> (StatusCode, String) {
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let request = http::Request::post(format!("http://{gateway}/orders/{sku}"))
        .body(Full::default())
        .expect("a valid request");
    send(request, &client)
        .await
        .unwrap_or((StatusCode::BAD_GATEWAY, String::new()))
}

#[traced_rpc(client, http, template = "/orders/{sku}")]
async fn send(
    request: http::Request<Full<Bytes>>,
    client: &HttpClient,
) -> Result<(StatusCode, String), Box<dyn std::error::Error + Send + Sync>> {
    let response = client.request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// A reqwest client's call: the request it sends is the carrier.
#[traced_rpc(client, http, template = "/orders/{sku}", carrier = request)]
async fn send_with_reqwest(
    #[skip] client: &reqwest::Client,
    request: reqwest::Request,
) -> reqwest::Result<reqwest::Response> {
    client.execute(request).await
}

/// A reqwest client's call whose status is its error (`error_for_status`); the
/// reply is made here, as the gateway would give it.
#[traced_rpc(client, http, template = "/orders/{sku}", carrier = request)]
fn send_checked(request: reqwest::Request, status: u16) -> reqwest::Result<reqwest::Response> {
    let _ = request;
    let reply = http::Response::builder().status(status).body(String::new());
    reqwest::Response::from(reply.expect("a valid response")).error_for_status()
}

#[test]
fn a_reqwest_error_made_of_a_status_is_the_clients_reply() {
    let request = || {
        let url = "http://inventory/orders/piano"
            .parse()
            .expect("a valid url");
        reqwest::Request::new(reqwest::Method::POST, url)
    };
    let captured = capture(|| send_checked(request(), 409));
    assert!(captured.output().is_err());
    assert_http_error(&captured.spans()[0], 409);
    // The same call answered with a success has the same status attribute.
    let captured = capture(|| send_checked(request(), 201));
    let client = &captured.spans()[0];
    assert_eq!(
        attribute(client, "http.response.status_code"),
        Some(&Value::I64(201))
    );
    assert_eq!(client.status, Status::Unset);
}

/// A server failing with its upstream's status: not the reply it sends.
#[traced_rpc(http, route = "/orders/{sku}")]
fn serve_checked(request: &http::Request<()>) -> reqwest::Result<u32> {
    let _ = request;
    let upstream = http::Response::builder().status(404).body(String::new());
    let upstream = reqwest::Response::from(upstream.expect("a valid response"));
    upstream.error_for_status().map(|_| 1)
}

#[test]
fn a_reqwest_error_on_a_server_is_its_error_not_its_reply() {
    let captured = capture(|| serve_checked(&http::Request::new(())));
    assert_error_without_reply(
        &captured.spans()[0],
        "http.response.status_code",
        "reqwest::error::Error",
    );
}

#[traced(root)]
async fn reqwest_visit(#[skip] gateway: SocketAddr, sku: &str) -> (StatusCode, String) {
    // A reqwest of no TLS feature of its own, as an application's may be: built
    // with otel-traced's TLS, a client needs no crypto provider installed first.
    let client = reqwest::Client::new();
    let request = client
        .post(format!("http://{gateway}/orders/{sku}"))
        .build()
        .expect("a valid request");
    let response = send_with_reqwest(&client, request)
        .await
        .expect("the gateway answers");
    let status = response.status();
    (status, response.text().await.unwrap_or_default())
}

#[test]
fn a_reqwest_errors_url_is_recorded_without_its_credentials() {
    // Nobody listens there: the error names the URL it failed on, whole.
    let refusing = RefusingPort::new();
    let port = refusing.port();
    let failed = captured(async || {
        let client = reqwest::Client::new();
        let request = client
            .post(format!(
                "http://ada:secret@127.0.0.1:{port}/orders/piano?X-Amz-Signature=abc"
            ))
            .build()
            .expect("a valid request");
        send_with_reqwest(&client, request).await.err()
    });
    let error = failed.output().as_ref().expect("nobody answers");
    // (reqwest sends the user information as a header, and leaves it out.)
    assert!(error.to_string().contains("X-Amz-Signature=abc"), "{error}");
    let client = span(&failed, "POST /orders/{sku}", SpanKind::Client);
    let Status::Error { description } = &client.status else {
        panic!("{:?}", client.status);
    };
    let expected = format!("http://127.0.0.1:{port}/orders/piano?X-Amz-Signature=REDACTED");
    assert!(description.contains(&expected), "{description}");
    let message = exception_message(client).expect("its exception's message");
    assert!(message.contains(&expected), "{message}");
    assert!(
        !message.contains("secret") && !message.contains("abc"),
        "{message}"
    );
}

/// Runs `visit` on a fresh multi-threaded runtime inside a capture.
fn captured<R>(visit: impl AsyncFnOnce() -> R) -> Captured<R> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    capture(|| runtime.block_on(visit()))
}

fn span<'a, R>(captured: &'a Captured<R>, name: &str, kind: SpanKind) -> &'a SpanData {
    captured
        .spans()
        .iter()
        .find(|span| span.name == name && span.span_kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?} span `{name}` in\n{}", captured.tree()))
}

#[test]
fn one_trace_crosses_client_gateway_service_and_internal_calls() {
    let captured = captured(async || {
        let inventory = start_inventory(AnnotatedShop, false).await;
        let gateway = start_gateway(inventory).await;
        (customer_visit(gateway, "ada", "book").await, gateway)
    });
    let (reply, gateway) = captured.output();
    assert_eq!(
        *reply,
        (StatusCode::CREATED, "ada:book".to_owned()),
        "the client's baggage reached the service's body"
    );
    let visit = span(&captured, "customer_visit", SpanKind::Internal);
    let http_client = span(&captured, "POST /orders/{sku}", SpanKind::Client);
    let http_server = span(&captured, "POST /orders/{sku}", SpanKind::Server);
    let grpc_client = span(&captured, "shop.v1.Inventory/Reserve", SpanKind::Client);
    let grpc_server = span(&captured, "shop.v1.Inventory/Reserve", SpanKind::Server);
    let internal = span(&captured, "take_stock", SpanKind::Internal);
    assert_eq!(captured.spans().len(), 6, "{}", captured.tree());
    assert_child_of(http_client, visit);
    assert_child_of(http_server, http_client);
    assert_child_of(grpc_client, http_server);
    assert_child_of(grpc_server, grpc_client);
    assert_child_of(internal, grpc_server);
    assert!(http_server.parent_span_is_remote && grpc_server.parent_span_is_remote);
    assert!(
        captured
            .spans()
            .iter()
            .all(|span| attribute(span, "user.id").is_none()),
        "baggage becomes an attribute only where `baggage(..)` names it"
    );

    assert_eq!(
        attribute(http_client, "http.response.status_code"),
        Some(&Value::I64(201))
    );
    assert_eq!(
        attribute(http_client, "url.full"),
        Some(&string(&format!("http://{gateway}/orders/book")))
    );
    assert_eq!(
        attribute(http_client, "server.address"),
        Some(&string("127.0.0.1"))
    );
    assert_eq!(
        attribute(http_client, "server.port"),
        Some(&Value::I64(i64::from(gateway.port())))
    );
    assert_eq!(
        attribute(http_server, "http.route"),
        Some(&string("/orders/{sku}"))
    );
    assert_eq!(
        attribute(http_server, "url.path"),
        Some(&string("/orders/book"))
    );
    assert_eq!(
        attribute(http_server, "http.response.status_code"),
        Some(&Value::I64(201))
    );
    for grpc in [grpc_client, grpc_server] {
        assert_eq!(attribute(grpc, "rpc.system.name"), Some(&string("grpc")));
        assert_eq!(
            attribute(grpc, "rpc.method"),
            Some(&string("shop.v1.Inventory/Reserve"))
        );
        assert_eq!(
            attribute(grpc, "rpc.response.status_code"),
            Some(&string("OK"))
        );
        assert_eq!(grpc.status, Status::Unset);
    }
    assert_eq!(
        attribute(grpc_client, "server.address"),
        Some(&string("127.0.0.1"))
    );
}

#[test]
fn an_application_error_is_recorded_on_every_tier_by_its_conventions() {
    let captured = captured(async || {
        let inventory = start_inventory(AnnotatedShop, false).await;
        let gateway = start_gateway(inventory).await;
        customer_visit(gateway, "grace", "piano").await
    });
    assert_eq!(captured.output().0, StatusCode::CONFLICT);
    let internal = span(&captured, "take_stock", SpanKind::Internal);
    assert_eq!(internal.status, Status::error("out of stock"));
    let grpc_server = span(&captured, "shop.v1.Inventory/Reserve", SpanKind::Server);
    assert_eq!(
        attribute(grpc_server, "rpc.response.status_code"),
        Some(&string("FAILED_PRECONDITION"))
    );
    assert_eq!(grpc_server.status, Status::Unset, "the caller's problem");
    let grpc_client = span(&captured, "shop.v1.Inventory/Reserve", SpanKind::Client);
    assert_eq!(grpc_client.status, Status::error("out of stock"));
    assert_eq!(
        attribute(grpc_client, "error.type"),
        Some(&string("FAILED_PRECONDITION"))
    );
    let http_server = span(&captured, "POST /orders/{sku}", SpanKind::Server);
    assert_eq!(
        http_server.status,
        Status::Unset,
        "a 4xx is not a server error"
    );
    let http_client = span(&captured, "POST /orders/{sku}", SpanKind::Client);
    assert_eq!(attribute(http_client, "error.type"), Some(&string("409")));
}

#[test]
fn a_reqwest_client_call_continues_its_trace_on_the_server_with_the_conventions() {
    let created = captured(async || {
        let inventory = start_inventory(AnnotatedShop, false).await;
        let gateway = start_gateway(inventory).await;
        (reqwest_visit(gateway, "book").await, gateway)
    });
    let (reply, gateway) = created.output();
    assert_eq!(reply.0, StatusCode::CREATED);
    let visit = span(&created, "reqwest_visit", SpanKind::Internal);
    let client = span(&created, "POST /orders/{sku}", SpanKind::Client);
    let server = span(&created, "POST /orders/{sku}", SpanKind::Server);
    assert_child_of(client, visit);
    assert_child_of(server, client);
    assert!(server.parent_span_is_remote);
    assert_eq!(
        attribute(client, "http.request.method"),
        Some(&string("POST"))
    );
    assert_eq!(
        attribute(client, "url.full"),
        Some(&string(&format!("http://{gateway}/orders/book")))
    );
    assert_eq!(
        attribute(client, "server.address"),
        Some(&string("127.0.0.1"))
    );
    assert_eq!(
        attribute(client, "server.port"),
        Some(&Value::I64(i64::from(gateway.port())))
    );
    assert_eq!(
        attribute(client, "http.response.status_code"),
        Some(&Value::I64(201))
    );
    assert_eq!(
        attribute(client, "network.protocol.version"),
        Some(&string("1.1"))
    );
    // The address that answered, which the reply knows.
    assert_answered_by(client, *gateway);
    assert_eq!(client.status, Status::Unset);

    // A 4xx reply is the client's error.
    let refused = captured(async || {
        let inventory = start_inventory(AnnotatedShop, false).await;
        let gateway = start_gateway(inventory).await;
        reqwest_visit(gateway, "piano").await
    });
    assert_eq!(refused.output().0, StatusCode::CONFLICT);
    let client = span(&refused, "POST /orders/{sku}", SpanKind::Client);
    assert_eq!(
        attribute(client, "http.response.status_code"),
        Some(&Value::I64(409))
    );
    assert_eq!(attribute(client, "error.type"), Some(&string("409")));
    assert_eq!(client.status, Status::error(""));
}

/// The codes that are the server's own fault (semconv's list for gRPC servers).
const SERVER_FAULTS: [Code; 6] = [
    Code::Unknown,
    Code::DeadlineExceeded,
    Code::Unimplemented,
    Code::Internal,
    Code::Unavailable,
    Code::DataLoss,
];

/// The code's name as the conventions write it.
fn code_name(code: Code) -> String {
    let debug = format!("{code:?}");
    let mut name = String::new();
    for (index, c) in debug.chars().enumerate() {
        if c.is_uppercase() && index > 0 {
            name.push('_');
        }
        name.push(c.to_ascii_uppercase());
    }
    name.replace("O_K", "OK")
}

async fn call_inventory(
    address: SocketAddr,
    sku: String,
) -> Result<Response<ReserveReply>, tonic::Status> {
    let channel = Channel::from_shared(format!("http://{address}"))
        .expect("a valid URI")
        .connect_lazy();
    let request = tonic::Request::new(ReserveRequest { sku, quantity: 1 });
    reserve(InventoryClient::new(channel), request, &address.to_string()).await
}

#[test]
fn every_grpc_status_class_has_its_status_on_client_and_server() {
    for number in 1..=16 {
        let code = Code::from_i32(number);
        let captured = captured(async || {
            let address = start_inventory(AnnotatedShop, false).await;
            call_inventory(address, format!("code-{number}")).await
        });
        let reply = captured.output().as_ref().expect_err("an error status");
        assert_eq!(reply.code(), code);
        let name = code_name(code);
        let client = span(&captured, "shop.v1.Inventory/Reserve", SpanKind::Client);
        let server = span(&captured, "shop.v1.Inventory/Reserve", SpanKind::Server);
        assert_child_of(server, client);
        for span in [client, server] {
            assert_eq!(
                attribute(span, "rpc.response.status_code"),
                Some(&string(&name)),
                "{name}"
            );
        }
        let message = format!("answered {code:?}");
        assert_eq!(
            client.status,
            Status::error(message.clone()),
            "{name}: any non-OK code fails the client"
        );
        assert_eq!(attribute(client, "error.type"), Some(&string(&name)));
        if SERVER_FAULTS.contains(&code) {
            assert_eq!(
                server.status,
                Status::error(message),
                "{name} is the server's fault"
            );
            assert_eq!(attribute(server, "error.type"), Some(&string(&name)));
        } else {
            assert_eq!(
                server.status,
                Status::Unset,
                "{name} is the caller's problem"
            );
            assert_eq!(attribute(server, "error.type"), None, "{name}");
        }
    }
}

/// The `Reserve` span of `kind` as the attribute and the layer both make it (each
/// test calls a server of its own, so the port is left out).
fn reserve_shape(
    captured: &Captured<Result<Response<ReserveReply>, tonic::Status>>,
    kind: SpanKind,
) -> Shape {
    shape(
        span(captured, "shop.v1.Inventory/Reserve", kind),
        &["server.port"],
    )
}

#[test]
fn the_grpc_layer_and_the_attribute_give_identical_server_spans() {
    for sku in ["book", "piano", "code-5", "code-13"] {
        let by_attribute = captured(async || {
            let address = start_inventory(AnnotatedShop, false).await;
            call_inventory(address, sku.to_owned()).await
        });
        let by_layer = captured(async || {
            let address = start_inventory(PlainShop, true).await;
            call_inventory(address, sku.to_owned()).await
        });
        let server_shape = |captured: &Captured<_>| {
            shape(
                span(captured, "shop.v1.Inventory/Reserve", SpanKind::Server),
                &["server.address", "server.port"],
            )
        };
        assert_eq!(
            server_shape(&by_layer),
            server_shape(&by_attribute),
            "{sku}"
        );
        let layered = span(&by_layer, "shop.v1.Inventory/Reserve", SpanKind::Server);
        let client = span(&by_layer, "shop.v1.Inventory/Reserve", SpanKind::Client);
        assert_child_of(layered, client);
        assert_asked_server(layered, client);
        // A handler without the layer is not told HTTP/2's `:authority`.
        let alone = span(&by_attribute, "shop.v1.Inventory/Reserve", SpanKind::Server);
        assert_eq!(attribute(alone, "server.address"), None);
    }
}

/// `server` records the server `client` asked for (HTTP/2's `:authority`): the
/// address and port the client was given.
fn assert_asked_server(server: &SpanData, client: &SpanData) {
    assert_eq!(
        attribute(server, "server.address"),
        Some(&string("127.0.0.1"))
    );
    let port = attribute(client, "server.port");
    assert!(port.is_some(), "the client records its server's port");
    assert_eq!(attribute(server, "server.port"), port);
}

/// An inventory that answers at once and audits the reservation later, in a task.
struct AuditingShop;

#[tonic::async_trait]
impl Inventory for AuditingShop {
    #[traced_rpc(service = "shop.v1.Inventory", code = false)]
    async fn reserve(
        &self,
        request: tonic::Request<ReserveRequest>,
    ) -> Result<Response<ReserveReply>, tonic::Status> {
        let request = request.into_inner();
        let sku = request.sku.clone();
        drop(otel_traced::spawn(async move {
            // After the call's spans have all ended.
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            audit(&sku).await;
        }));
        answer(request)
    }

    type WatchStream = futures::stream::Empty<Result<StockUpdate, tonic::Status>>;

    async fn watch(
        &self,
        request: tonic::Request<WatchRequest>,
    ) -> Result<Response<Self::WatchStream>, tonic::Status> {
        not_watched(request)
    }
}

#[traced]
async fn audit(sku: &str) {
    let _ = sku;
}

#[test]
fn a_capture_waits_for_the_work_of_a_server_started_outside_it() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    // Started outside the capture: the server joins the capture by the trace its
    // request carries.
    let address = runtime.block_on(start_inventory(AuditingShop, false));
    let captured = capture(|| runtime.block_on(call_inventory(address, "book".to_owned())));
    let server = span(&captured, "shop.v1.Inventory/Reserve", SpanKind::Server);
    let audit = captured
        .find("audit")
        .unwrap_or_else(|| panic!("{}", captured.tree()));
    assert_child_of(audit, server);
}

#[test]
fn an_annotated_grpc_handler_behind_the_server_layer_is_its_child() {
    let captured = captured(async || {
        let address = start_inventory(AnnotatedShop, true).await;
        call_inventory(address, "book".to_owned()).await
    });
    let servers: Vec<_> = captured
        .spans()
        .iter()
        .filter(|span| {
            span.name == "shop.v1.Inventory/Reserve" && span.span_kind == SpanKind::Server
        })
        .collect();
    assert_eq!(servers.len(), 2, "{}", captured.tree());
    let client = span(&captured, "shop.v1.Inventory/Reserve", SpanKind::Client);
    // The handler's ends first: it is the layer's child, the layer the client's.
    let (handler, layer) = (servers[0], servers[1]);
    assert_child_of(layer, client);
    assert_child_of(handler, layer);
    // Both told the server asked for: the handler by the layer, as tonic gives it
    // no URI.
    assert_asked_server(layer, client);
    assert_asked_server(handler, client);
}

/// A channel to the inventory at `address` under `layer`, a client layer.
fn layered_channel(address: SocketAddr, layer: GrpcLayer) -> otel_traced::tower::Traced<Channel> {
    use tower_layer::Layer as _;
    let channel = Channel::from_shared(format!("http://{address}"))
        .expect("a valid URI")
        .connect_lazy();
    layer.calling(address.to_string()).layer(channel)
}

#[traced(root)]
async fn layered_call(
    address: SocketAddr,
    sku: String,
) -> Result<Response<ReserveReply>, tonic::Status> {
    let mut inventory = InventoryClient::new(layered_channel(address, GrpcLayer::client()));
    inventory
        .reserve(tonic::Request::new(ReserveRequest { sku, quantity: 1 }))
        .await
}

/// A client whose origin has a path of its own (a gateway's prefix), before the
/// method's in every request's URI, under `layer`.
#[traced(root)]
async fn layered_call_under_a_prefix(
    address: SocketAddr,
    layer: GrpcLayer,
) -> Result<Response<ReserveReply>, tonic::Status> {
    let origin: http::Uri = format!("http://{address}/inventory-api")
        .parse()
        .expect("a valid URI");
    let mut inventory = InventoryClient::with_origin(layered_channel(address, layer), origin);
    let request = ReserveRequest {
        sku: "book".to_owned(),
        quantity: 1,
    };
    inventory.reserve(tonic::Request::new(request)).await
}

#[test]
fn the_grpc_client_layer_names_the_method_under_an_origins_path() {
    let named = captured(async || {
        let address = start_inventory(AnnotatedShop, false).await;
        // The server routes no such path: its answer is not the point.
        let _ = layered_call_under_a_prefix(address, GrpcLayer::client()).await;
    });
    let client = span(&named, "shop.v1.Inventory/Reserve", SpanKind::Client);
    assert_eq!(
        attribute(client, "rpc.method"),
        Some(&Value::from("shop.v1.Inventory/Reserve")),
        "{}",
        named.tree()
    );
    // `except` is given the method's path too.
    let excepted = captured(async || {
        let address = start_inventory(AnnotatedShop, false).await;
        let layer = GrpcLayer::client().except(|path| path == "/shop.v1.Inventory/Reserve");
        let _ = layered_call_under_a_prefix(address, layer).await;
    });
    assert!(
        !excepted
            .spans()
            .iter()
            .any(|span| span.span_kind == SpanKind::Client),
        "{}",
        excepted.tree()
    );
}

#[test]
fn the_grpc_client_layer_and_the_attribute_give_identical_client_spans() {
    for sku in ["book", "code-5", "code-13"] {
        let by_attribute = captured(async || {
            let address = start_inventory(AnnotatedShop, false).await;
            call_inventory(address, sku.to_owned()).await
        });
        let by_layer = captured(async || {
            let address = start_inventory(AnnotatedShop, false).await;
            layered_call(address, sku.to_owned()).await
        });
        assert_eq!(
            reserve_shape(&by_layer, SpanKind::Client),
            reserve_shape(&by_attribute, SpanKind::Client),
            "{sku}"
        );
        let client = span(&by_layer, "shop.v1.Inventory/Reserve", SpanKind::Client);
        let server = span(&by_layer, "shop.v1.Inventory/Reserve", SpanKind::Server);
        assert_child_of(server, client);
        assert!(matches!(attribute(client, "server.port"), Some(Value::I64(port)) if *port > 0));
    }
}

/// An inventory streaming `updates` stock updates on `Watch`; then, as its sku
/// says, the end (`book`), a failure (`code-N`) or nothing more (`endless`).
struct StreamingShop;

#[tonic::async_trait]
impl Inventory for StreamingShop {
    async fn reserve(
        &self,
        request: tonic::Request<ReserveRequest>,
    ) -> Result<Response<ReserveReply>, tonic::Status> {
        answer(request.into_inner())
    }

    type WatchStream = futures::stream::BoxStream<'static, Result<StockUpdate, tonic::Status>>;

    async fn watch(
        &self,
        request: tonic::Request<WatchRequest>,
    ) -> Result<Response<Self::WatchStream>, tonic::Status> {
        use futures::StreamExt as _;
        let WatchRequest { sku, updates } = request.into_inner();
        let failure = sku.strip_prefix("code-").map(|code| {
            let code = Code::from_i32(code.parse().unwrap_or(2));
            Err(tonic::Status::new(code, "the feed stopped"))
        });
        let endless = sku == "endless";
        let stream = futures::stream::iter((0..updates).map(move |remaining| {
            Ok(StockUpdate {
                sku: sku.clone(),
                remaining,
            })
        }))
        .chain(futures::stream::iter(failure));
        Ok(Response::new(if endless {
            stream.chain(futures::stream::pending()).boxed()
        } else {
            stream.boxed()
        }))
    }
}

/// Watches `sku` through the client layer, taking three updates at most, then
/// what ends the stream; the stream is dropped after the third update.
#[traced(root)]
async fn watch_through_layers(address: SocketAddr, sku: &str) -> (usize, Option<Code>) {
    use tower_layer::Layer as _;
    let channel = Channel::from_shared(format!("http://{address}"))
        .expect("a valid URI")
        .connect_lazy();
    let layer = GrpcLayer::client().calling(address.to_string());
    let mut inventory = InventoryClient::new(layer.layer(channel));
    let request = WatchRequest {
        sku: sku.to_owned(),
        updates: 3,
    };
    let mut updates = inventory
        .watch(request)
        .await
        .expect("watching")
        .into_inner();
    let mut taken = 0;
    while taken < 3 {
        match updates.message().await {
            Ok(Some(_)) => taken += 1,
            Ok(None) => return (taken, None),
            Err(status) => return (taken, Some(status.code())),
        }
    }
    let end = if sku == "endless" {
        None
    } else {
        match updates.message().await {
            Ok(message) => {
                assert!(message.is_none(), "three updates only");
                None
            }
            Err(status) => Some(status.code()),
        }
    };
    drop(updates);
    (taken, end)
}

#[test]
fn the_grpc_layers_end_a_streamed_call_at_its_trailers_or_when_it_is_given_up() {
    for (sku, status) in [
        ("book", "OK"),
        ("code-8", "RESOURCE_EXHAUSTED"),
        ("endless", "CANCELLED"),
    ] {
        let captured = captured(async || {
            let address = start_inventory(StreamingShop, true).await;
            let watched = watch_through_layers(address, sku).await;
            // The server learns of a stream given up when the reset reaches it.
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            watched
        });
        let expected_end = (sku == "code-8").then_some(Code::ResourceExhausted);
        assert_eq!(*captured.output(), (3, expected_end), "{sku}");
        for kind in [SpanKind::Client, SpanKind::Server] {
            let calls: Vec<_> = captured
                .spans()
                .iter()
                .filter(|span| span.name == "shop.v1.Inventory/Watch" && span.span_kind == kind)
                .collect();
            assert_eq!(calls.len(), 1, "{sku} {kind:?}:\n{}", captured.tree());
            assert_eq!(
                attribute(calls[0], "rpc.response.status_code"),
                Some(&string(status)),
                "{sku} {kind:?}"
            );
        }
        let client = span(&captured, "shop.v1.Inventory/Watch", SpanKind::Client);
        let server = span(&captured, "shop.v1.Inventory/Watch", SpanKind::Server);
        assert_child_of(server, client);
    }
}

/// The HTTP layers on a real axum server (the route from axum's `MatchedPath`) and
/// a hyper client, against the attribute's spans for the same request.
#[test]
fn the_http_layers_and_the_attribute_give_identical_spans_over_the_network() {
    use axum::extract::MatchedPath;
    use otel_traced::tower::HttpLayer;

    async fn layered_gateway() -> SocketAddr {
        let app = axum::Router::new()
            .route(
                "/orders/{sku}",
                axum::routing::post(|| async { (StatusCode::CREATED, "reserved") }),
            )
            .route_layer(HttpLayer::server().route(|extensions| {
                extensions
                    .get::<MatchedPath>()
                    .map(|path| path.as_str().to_owned())
            }));
        serve(app).await
    }

    #[traced_rpc(http, route = "/orders/{sku}", carrier = request, code = false)]
    async fn annotated(request: Request) -> (StatusCode, &'static str) {
        drop(request);
        (StatusCode::CREATED, "reserved")
    }

    async fn annotated_gateway() -> SocketAddr {
        let app = axum::Router::new().route("/orders/{sku}", axum::routing::post(annotated));
        serve(app).await
    }

    #[traced(root)]
    async fn annotated_client(gateway: SocketAddr) -> StatusCode {
        let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
        let request = http::Request::post(format!("http://{gateway}/orders/book"))
            .body(Full::default())
            .expect("a valid request");
        let response = plain_send(request, &client).await.expect("an answer");
        let status = response.status();
        response.into_body().collect().await.expect("a body");
        status
    }

    #[traced_rpc(client, http, code = false)]
    async fn plain_send(
        request: http::Request<Full<Bytes>>,
        client: &HttpClient,
    ) -> Result<http::Response<hyper::body::Incoming>, hyper_util::client::legacy::Error> {
        client.request(request).await
    }

    let by_layers = captured(async || {
        let gateway = layered_gateway().await;
        (layered_client(gateway, "book").await, gateway)
    });
    let by_attributes = captured(async || annotated_client(annotated_gateway().await).await);
    let (layered_status, gateway) = *by_layers.output();
    assert_eq!(layered_status, StatusCode::CREATED);
    assert_eq!(*by_attributes.output(), StatusCode::CREATED);
    for (name, kind) in [
        ("POST", SpanKind::Client),
        ("POST /orders/{sku}", SpanKind::Server),
    ] {
        let layered = span(&by_layers, name, kind.clone());
        let annotated = span(&by_attributes, name, kind.clone());
        let except = ["server.port", "url.full", "network.peer.port"];
        assert_eq!(
            shape(layered, &except),
            shape(annotated, &except),
            "{kind:?}"
        );
    }
    let client = span(&by_layers, "POST", SpanKind::Client);
    let server = span(&by_layers, "POST /orders/{sku}", SpanKind::Server);
    assert_child_of(server, client);
    // The address that answered, from the hyper-util client's response.
    assert_answered_by(client, gateway);
}

/// The HTTP layer added last with `Router::layer`, as the README has it: it sees
/// the route a request matched, a request no route matches (the fallback's 404:
/// a span `GET`, no `http.route`), and the answer of a layer added before it (a
/// timeout's, a load shedder's), which a layer inside them would not see.
#[tokio::test]
async fn the_http_layer_added_last_sees_routes_fallbacks_and_inner_layers_answers() {
    use axum::extract::MatchedPath;
    use axum::response::IntoResponse as _;
    use otel_traced::tower::HttpLayer;
    use tower_service::Service as _;
    let mut app = axum::Router::new()
        .route("/users/{id}", axum::routing::get(|| async { "ada" }))
        .route("/slow", axum::routing::get(|| async { "late" }))
        // Answers for the handler, as a timeout does.
        .layer(axum::middleware::from_fn(
            async |request: Request, next: axum::middleware::Next| {
                if request.uri().path() == "/slow" {
                    return StatusCode::SERVICE_UNAVAILABLE.into_response();
                }
                next.run(request).await
            },
        ))
        .layer(HttpLayer::server().route(|extensions| {
            extensions
                .get::<MatchedPath>()
                .map(|path| path.as_str().to_owned())
        }));
    for (path, name, route, status) in [
        ("/users/7", "GET /users/{id}", Some("/users/{id}"), 200),
        ("/nowhere", "GET", None, 404),
        ("/slow", "GET /slow", Some("/slow"), 503),
    ] {
        let request = http::Request::get(path)
            .body(axum::body::Body::empty())
            .expect("a request");
        let captured = otel_traced::testing::capture_async(async {
            let response = app.call(request).await.expect("infallible");
            let status = response.status();
            response.into_body().collect().await.expect("a body");
            status
        })
        .await;
        assert_eq!(captured.output().as_u16(), status, "{path}");
        let span = captured
            .find(name)
            .unwrap_or_else(|| panic!("{path}: no span {name} in {}", captured.tree()));
        assert_eq!(
            attribute(span, "http.route"),
            route.map(string).as_ref(),
            "{path}"
        );
        assert_eq!(
            attribute(span, "http.response.status_code"),
            Some(&Value::I64(i64::from(status))),
            "{path}"
        );
        assert_eq!(attribute(span, "otel_traced.cancelled"), None, "{path}");
    }
}

/// The HTTP layer on the outermost axum router, after `nest`, as its docs say: it
/// sees the whole path (a nested router's own layers see it without the prefix)
/// and the whole matched route.
#[tokio::test]
async fn the_http_layer_after_nest_sees_the_whole_path() {
    use axum::extract::MatchedPath;
    use otel_traced::tower::HttpLayer;
    use tower_service::Service as _;
    let users = axum::Router::new().route("/{id}", axum::routing::get(|| async { "ada" }));
    let mut app =
        axum::Router::new()
            .nest("/api/users", users)
            .route_layer(HttpLayer::server().route(|extensions| {
                extensions
                    .get::<MatchedPath>()
                    .map(|path| path.as_str().to_owned())
            }));
    let captured = otel_traced::testing::capture_async(async move {
        let request = http::Request::get("/api/users/7")
            .body(axum::body::Body::empty())
            .expect("a request");
        let response = app.call(request).await.expect("infallible");
        let status = response.status();
        response.into_body().collect().await.expect("a body");
        status
    })
    .await;
    assert_eq!(*captured.output(), StatusCode::OK);
    let span = captured
        .find("GET /api/users/{id}")
        .expect("the layer's span, named by the whole route");
    assert_eq!(attribute(span, "url.path"), Some(&string("/api/users/7")));
    assert_eq!(
        attribute(span, "http.route"),
        Some(&string("/api/users/{id}"))
    );
}

#[test]
fn a_layered_hyper_util_clients_failure_keeps_its_cause() {
    use otel_traced::tower::HttpLayer;
    use tower_layer::Layer as _;
    use tower_service::Service as _;
    let failed = captured(async || {
        // A port nothing listens on.
        let refusing = RefusingPort::new();
        let address = format!("127.0.0.1:{}", refusing.port());
        let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
        let mut client = HttpLayer::client().layer(client);
        let request = http::Request::post(format!("http://{address}/orders/book"))
            .body(Full::default())
            .expect("a valid request");
        client
            .call(request)
            .await
            .err()
            .map(|error| error.to_string())
    });
    assert_eq!(failed.output().as_deref(), Some("client error (Connect)"));
    let client = span(&failed, "POST", SpanKind::Client);
    let message = exception_message(client).expect("its exception's message");
    assert!(
        message.starts_with("client error (Connect): tcp connect error"),
        "{message}"
    );
}

/// An annotated axum handler, as the README's axum service has it: extractors as
/// its parameters (the router's state, a path destructured), `impl IntoResponse`
/// returned, under the HTTP layer's server span. It is that span's child, records
/// none of the extractors, and its answer is the handler's.
#[test]
fn an_annotated_axum_handler_taking_extractors_is_the_server_spans_child() {
    use axum::extract::{MatchedPath, State};
    use axum::response::IntoResponse;
    use otel_traced::tower::HttpLayer;

    #[derive(Clone)]
    struct Shop {
        in_stock: &'static [&'static str],
    }

    #[traced]
    async fn order(State(shop): State<Shop>, Path(sku): Path<String>) -> impl IntoResponse {
        match shop.in_stock.contains(&sku.as_str()) {
            true => (StatusCode::CREATED, "reserved"),
            false => (StatusCode::CONFLICT, "out of stock"),
        }
    }

    async fn gateway() -> SocketAddr {
        let app = axum::Router::new()
            .route("/orders/{sku}", axum::routing::post(order))
            .route_layer(HttpLayer::server().route(|extensions| {
                extensions
                    .get::<MatchedPath>()
                    .map(|path| path.as_str().to_owned())
            }))
            .with_state(Shop {
                in_stock: &["book"],
            });
        serve(app).await
    }

    let captured = captured(async || layered_client(gateway().await, "piano").await);
    assert_eq!(*captured.output(), StatusCode::CONFLICT);
    let server = span(&captured, "POST /orders/{sku}", SpanKind::Server);
    let handler = captured.find("order").expect("the handler's span");
    assert_child_of(handler, server);
    let recorded: Vec<&str> = (handler.attributes.iter())
        .map(|attribute| attribute.key.as_str())
        .filter(|key| !key.starts_with("code."))
        .collect();
    assert!(recorded.is_empty(), "no extractor recorded: {recorded:?}");
    assert_eq!(
        attribute(server, "http.response.status_code"),
        Some(&Value::I64(409))
    );
}
