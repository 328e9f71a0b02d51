//! The tour: one trace across three tiers, in one process.
//!
//! ```text
//! cargo run --example tour
//! ```
//!
//! A customer's client (hyper) calls an HTTP gateway (axum), which calls the
//! `shop.v1.Inventory` gRPC service (tonic), which calls its own `#[traced]`
//! functions. Every boundary carries `#[traced_rpc]`: the client injects
//! `traceparent` and `baggage`, each server continues the trace from its request,
//! so the console prints one waterfall per customer visit across all three tiers.
//! The customer's `user.id` travels as baggage and is recorded by the inventory.
//! The piano is out of stock: that call fails with `FAILED_PRECONDITION`, which the
//! gateway turns into a `409 Conflict`. When the guard shuts down, the console
//! prints the RED metrics of the run: the boundaries' duration histograms and
//! `take_stock`'s (`#[traced(metrics)]`), failures counted apart.

mod shop_proto;

use axum::body::Bytes;
use axum::extract::{Path, Request};
use axum::http::StatusCode;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use otel_traced::{traced, traced_rpc};
use shop_proto::inventory_client::InventoryClient;
use shop_proto::inventory_server::{Inventory, InventoryServer};
use shop_proto::{ReserveReply, ReserveRequest, StockUpdate, WatchRequest};
use std::time::Duration;
use tokio::net::TcpListener;
use tonic::transport::Channel;
use tonic::transport::server::TcpIncoming;
use tonic::{Response, Status};

type HttpClient = Client<HttpConnector, Full<Bytes>>;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let guard = otel_traced::init()?;

    let inventory = TcpListener::bind("127.0.0.1:0").await?;
    let inventory_address = inventory.local_addr()?.to_string();
    let inventory_server = tonic::transport::Server::builder()
        .add_service(InventoryServer::new(Shop))
        .serve_with_incoming(TcpIncoming::from(inventory));
    tokio::spawn(async move {
        if let Err(error) = inventory_server.await {
            eprintln!("the inventory stopped: {error}");
        }
    });

    let channel = Channel::from_shared(format!("http://{inventory_address}"))?.connect_lazy();
    let gateway = TcpListener::bind("127.0.0.1:0").await?;
    let gateway_address = gateway.local_addr()?.to_string();
    let app = axum::Router::new().route(
        "/orders/{sku}",
        axum::routing::post(move |Path(sku): Path<String>, request: Request| {
            let inventory = InventoryClient::new(channel.clone());
            let address = inventory_address.clone();
            async move { place_order(request, sku, inventory, &address).await }
        }),
    );
    tokio::spawn(async move {
        if let Err(error) = axum::serve(gateway, app).await {
            eprintln!("the gateway stopped: {error}");
        }
    });

    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    for (user, sku) in [("ada", "book"), ("grace", "piano"), ("linus", "lamp")] {
        let status = customer_visit(&client, &gateway_address, user, sku).await;
        println!("{user} ordered a {sku}: {status}");
        // Let the servers end their spans (they answer before they end), then print
        // this visit's waterfall before the next line (for the console's sake only:
        // a flush that fails is no reason to stop).
        tokio::time::sleep(Duration::from_millis(200)).await;
        if let Err(error) = tokio::task::block_in_place(|| guard.force_flush()) {
            eprintln!("{error}");
        }
    }
    Ok(())
}

// ---- Tier 1: the customer's client -------------------------------------------

/// A visit starts a trace; `user.id` goes into the baggage of everything it calls,
/// across the network too.
#[traced(root, set_baggage(user.id = user))]
async fn customer_visit(
    #[skip] client: &HttpClient,
    #[skip] gateway: &str,
    user: &str,
    sku: &str,
) -> StatusCode {
    // A sku that cannot be in a URI is the client's mistake, not a panic.
    let Ok(request) =
        http::Request::post(format!("http://{gateway}/orders/{sku}")).body(Full::default())
    else {
        return StatusCode::BAD_REQUEST;
    };
    send(request, client)
        .await
        .map_or(StatusCode::BAD_GATEWAY, |response| response.status())
}

/// The outgoing HTTP call: a client span, its context injected into the headers.
/// The response, not only its status, is returned: the span records the HTTP
/// version it came in, the one the connection negotiated.
#[traced_rpc(client, http, template = "/orders/{sku}")]
async fn send(
    request: http::Request<Full<Bytes>>,
    client: &HttpClient,
) -> Result<http::Response<hyper::body::Incoming>, hyper_util::client::legacy::Error> {
    client.request(request).await
}

// ---- Tier 2: the HTTP gateway --------------------------------------------------

/// The gateway's handler continues the customer's trace and calls the inventory.
#[traced_rpc(http, route = "/orders/{sku}", carrier = request)]
async fn place_order(
    request: Request,
    sku: String,
    #[skip] inventory: InventoryClient<Channel>,
    #[skip] inventory_address: &str,
) -> StatusCode {
    drop(request);
    let reservation = tonic::Request::new(ReserveRequest { sku, quantity: 1 });
    match reserve(inventory, reservation, inventory_address).await {
        Ok(_) => StatusCode::CREATED,
        Err(status) if status.code() == tonic::Code::FailedPrecondition => StatusCode::CONFLICT,
        Err(_) => StatusCode::BAD_GATEWAY,
    }
}

/// The gRPC call to the inventory, from the gateway.
#[traced_rpc(client, service = "shop.v1.Inventory", method = "Reserve", server = address)]
async fn reserve(
    mut inventory: InventoryClient<Channel>,
    request: tonic::Request<ReserveRequest>,
    #[skip] address: &str,
) -> Result<Response<ReserveReply>, Status> {
    inventory.reserve(request).await
}

// ---- Tier 3: the gRPC inventory ------------------------------------------------

struct Shop;

#[tonic::async_trait]
impl Inventory for Shop {
    /// The server side of `Reserve`: the trace and the baggage come from the
    /// request's metadata; `user.id` is recorded from the baggage.
    #[traced_rpc(service = "shop.v1.Inventory", baggage(user.id))]
    async fn reserve(
        &self,
        request: tonic::Request<ReserveRequest>,
    ) -> Result<Response<ReserveReply>, Status> {
        let ReserveRequest { sku, quantity } = request.into_inner();
        let remaining = take_stock(&sku, quantity)
            .map_err(|error| Status::failed_precondition(error.to_string()))?;
        let reservation_id = write_ledger(&sku).await;
        Ok(Response::new(ReserveReply {
            reservation_id,
            remaining,
        }))
    }

    type WatchStream = futures::stream::Empty<Result<StockUpdate, Status>>;

    #[traced_rpc(service = "shop.v1.Inventory")]
    async fn watch(
        &self,
        request: tonic::Request<WatchRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        drop(request);
        Err(Status::unimplemented("the tour does not watch stock"))
    }
}

/// Out of stock: the piano.
#[derive(Debug)]
struct OutOfStock(String);

impl std::fmt::Display for OutOfStock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is out of stock", self.0)
    }
}

impl std::error::Error for OutOfStock {}

#[traced(metrics)]
fn take_stock(sku: &str, quantity: u32) -> Result<u32, OutOfStock> {
    std::thread::sleep(Duration::from_millis(2));
    match sku {
        "piano" => Err(OutOfStock(sku.to_owned())),
        _ => 10u32
            .checked_sub(quantity)
            .ok_or_else(|| OutOfStock(sku.to_owned())),
    }
}

#[traced]
async fn write_ledger(sku: &str) -> String {
    tokio::time::sleep(Duration::from_millis(3)).await;
    format!("{sku}-0001")
}
