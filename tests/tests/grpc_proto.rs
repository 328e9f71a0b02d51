//! The `shop.v1` code generated from `proto/shop.proto` (by protox and tonic-prost-build in
//! `proto/build.rs`, without `protoc`): the generated client calls the generated server,
//! a unary call and a server-streaming one.

use otel_traced_tests::shop_proto::inventory_client::InventoryClient;
use otel_traced_tests::shop_proto::inventory_server::{Inventory, InventoryServer};
use otel_traced_tests::shop_proto::{ReserveReply, ReserveRequest, StockUpdate, WatchRequest};
use tonic::transport::server::TcpIncoming;
use tonic::{Code, Request, Response, Status};

/// Ten units of every item.
const STOCK: u32 = 10;

/// An inventory that keeps no state: every reservation takes from a full stock, and
/// `Watch` counts down from it.
#[derive(Debug)]
struct Shop;

#[tonic::async_trait]
impl Inventory for Shop {
    async fn reserve(
        &self,
        request: Request<ReserveRequest>,
    ) -> Result<Response<ReserveReply>, Status> {
        let ReserveRequest { sku, quantity } = request.into_inner();
        let remaining = STOCK
            .checked_sub(quantity)
            .ok_or_else(|| Status::failed_precondition(format!("{sku} is out of stock")))?;
        Ok(Response::new(ReserveReply {
            reservation_id: format!("{sku}-{quantity}"),
            remaining,
        }))
    }

    type WatchStream = futures::stream::Iter<std::vec::IntoIter<Result<StockUpdate, Status>>>;

    async fn watch(
        &self,
        request: Request<WatchRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let WatchRequest { sku, updates } = request.into_inner();
        let updates: Vec<_> = (0..updates.min(STOCK))
            .map(|taken| {
                Ok(StockUpdate {
                    sku: sku.clone(),
                    remaining: STOCK - taken,
                })
            })
            .collect();
        Ok(Response::new(futures::stream::iter(updates)))
    }
}

#[tokio::test]
async fn the_generated_client_calls_the_generated_server() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = listener.local_addr().expect("bound");
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(InventoryServer::new(Shop))
            .serve_with_incoming(TcpIncoming::from(listener)),
    );
    let mut client = InventoryClient::connect(format!("http://{address}"))
        .await
        .expect("connected");

    // Unary.
    let reply = client
        .reserve(ReserveRequest {
            sku: "book".to_owned(),
            quantity: 3,
        })
        .await
        .expect("reserved")
        .into_inner();
    assert_eq!(
        reply,
        ReserveReply {
            reservation_id: "book-3".to_owned(),
            remaining: 7,
        }
    );
    let refused = client
        .reserve(ReserveRequest {
            sku: "book".to_owned(),
            quantity: 11,
        })
        .await
        .expect_err("more than the stock");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(refused.message(), "book is out of stock");

    // Server streaming.
    let mut stream = client
        .watch(WatchRequest {
            sku: "pen".to_owned(),
            updates: 3,
        })
        .await
        .expect("watching")
        .into_inner();
    let mut updates = Vec::new();
    while let Some(update) = stream.message().await.expect("an update") {
        updates.push(update);
    }
    let remaining: Vec<_> = updates.iter().map(|update| update.remaining).collect();
    assert_eq!(remaining, [10, 9, 8]);
    assert!(updates.iter().all(|update| update.sku == "pen"));

    server.abort();
}
