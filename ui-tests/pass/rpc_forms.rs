//! Every form of `#[traced_rpc]` compiles without a single warning: gRPC and HTTP,
//! server and client, sync and async, carriers found by type or named with
//! `carrier =`, owned (`mut` or not), `&` on a server and `&mut` on a client, and
//! `server =` as a literal or an expression (a messaging boundary's broker too);
//! every messaging operation over both
//! kinds of message headers, alone or as a batch (owned, `mut`, boxed, an array,
//! `&` and `&mut`, in a method, with `root` and `parent` on a batch `process`, and
//! `batch = return` on a `receive`). `unused_qualifications` too, which reads the
//! user's spans.
#![deny(warnings, unused_qualifications)]

use std::collections::HashMap;

use futures::executor::block_on;
use otel_traced::opentelemetry::Context;
use otel_traced::traced_rpc;
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};

#[traced_rpc(service = "shop.v1.Inventory")]
async fn reserve(request: Request<String>) -> Result<Response<u32>, Status> {
    Ok(Response::new(request.into_inner().len() as u32))
}

#[traced_rpc(server, grpc, service = "shop.v1.Inventory", method = "Release")]
fn release(mut request: Request<u32>) -> Result<Response<()>, Status> {
    request.metadata_mut().remove("x-debug");
    Ok(Response::new(()))
}

#[traced_rpc(service = "shop.v1.Inventory", carrier = metadata)]
fn count(metadata: &MetadataMap, sku: &str) -> u32 {
    metadata.len() as u32 + sku.len() as u32
}

/// A message of the application's named `Request`, beside gRPC metadata: the
/// metadata carries the headers (tonic's request is written with its type).
mod messages {
    pub struct Request {
        pub sku: String,
    }

    #[otel_traced::traced_rpc(service = "shop.v1.Inventory", method = "Count")]
    pub fn count_message(metadata: &tonic::metadata::MetadataMap, request: Request) -> u32 {
        metadata.len() as u32 + request.sku.len() as u32
    }
}

struct InventoryClient {
    address: String,
}

impl InventoryClient {
    #[traced_rpc(client, service = "shop.v1.Inventory", method = "Reserve", server = self.address)]
    async fn reserve(&self, request: Request<String>) -> Result<Response<u32>, Status> {
        Ok(Response::new(request.get_ref().len() as u32))
    }
}

struct Target<'a> {
    address: &'a String,
}

#[traced_rpc(client, service = "shop.v1.Inventory", server = target.address)]
fn release_at(target: &Target<'_>, request: Request<u32>) -> Result<Response<()>, Status> {
    let _ = request.into_inner();
    Ok(Response::new(()))
}

#[traced_rpc(client, service = "shop.v1.Inventory", server = "inventory:50051", root)]
fn restock(mut request: Request<u32>) -> Result<Response<()>, Status> {
    *request.get_mut() += 1;
    Ok(Response::new(()))
}

// gRPC target names, and a host named like one of their schemes.
#[traced_rpc(client, service = "shop.v1.Inventory", method = "Restock", server = "dns:///[::1]:50051")]
fn restock_by_name(request: Request<u32>) -> Result<Response<()>, Status> {
    let _ = request;
    Ok(Response::new(()))
}

#[traced_rpc(client, service = "shop.v1.Inventory", method = "Restock", server = "ipv6:2607:f8b0:400e:c00::ef,::1")]
fn restock_at_an_address(request: Request<u32>) -> Result<Response<()>, Status> {
    let _ = request;
    Ok(Response::new(()))
}

#[traced_rpc(client, service = "shop.v1.Inventory", method = "Restock", server = "unix:///run/inventory.sock")]
fn restock_by_socket(request: Request<u32>) -> Result<Response<()>, Status> {
    let _ = request;
    Ok(Response::new(()))
}

#[traced_rpc(client, service = "shop.v1.Inventory", method = "Restock", server = "dns:53")]
fn restock_at_a_host_named_dns(request: Request<u32>) -> Result<Response<()>, Status> {
    let _ = request;
    Ok(Response::new(()))
}

#[traced_rpc(client, service = "shop.v1.Inventory", method = "Count", parent = context, carrier = metadata)]
fn count_remote(context: &Context, metadata: &mut MetadataMap) -> u32 {
    metadata.len() as u32
}

#[traced_rpc(http, route = "/users/{id}/files/{*path}")]
fn get_file(request: &http::Request<()>, id: u64) -> http::Response<String> {
    let _ = request;
    http::Response::new(id.to_string())
}

#[traced_rpc(http, route = "/users")]
async fn list_users(request: http::Request<()>) -> http::StatusCode {
    drop(request);
    http::StatusCode::OK
}

#[traced_rpc(client, http, template = "/users/{id}")]
async fn fetch_user(headers: &mut http::HeaderMap, id: u64) -> http::StatusCode {
    if headers.contains_key("traceparent") && id > 0 {
        http::StatusCode::OK
    } else {
        http::StatusCode::NOT_FOUND
    }
}

/// Actix's variables with the pattern they match, nested braces too.
#[traced_rpc(http, route = r"/orders/{id:\d+}/lines/{line:[0-9]{1,3}}/{ver:v?[ #]?\d+}/{tail:.*}")]
fn get_line(request: &http::Request<()>) -> http::StatusCode {
    let _ = request;
    http::StatusCode::OK
}

/// Any variable name a router takes, as OpenAPI writes them too; a brace of the
/// path itself, doubled as axum's router reads it.
#[traced_rpc(http, route = "/users/{user-id}/items/{item.id}/{{raw}}")]
fn get_item(request: &http::Request<()>) -> http::StatusCode {
    let _ = request;
    http::StatusCode::OK
}

/// salvo's wildcards: one segment unnamed, the rest of the path named (`{**}`
/// unnamed).
#[traced_rpc(http, route = "/static/{*}/{**path}")]
fn get_static(request: &http::Request<()>) -> http::StatusCode {
    let _ = request;
    http::StatusCode::OK
}

/// A URL template may hold a query, as the registry's own example does.
#[traced_rpc(client, http, template = "/users?id={id}")]
fn find_user(request: http::Request<()>) -> http::StatusCode {
    let _ = request;
    http::StatusCode::OK
}

#[traced_rpc(client, http)]
fn send(request: http::Request<()>) -> http::StatusCode {
    let _ = request;
    http::StatusCode::NO_CONTENT
}

#[traced_rpc(client, http, carrier = headers)]
fn publish(headers: HashMap<String, String>, topic: &str) -> usize {
    headers.len() + topic.len()
}

fn main() {
    block_on(reserve(Request::new("sku".to_owned()))).expect("reserved");
    release(Request::new(1)).expect("released");
    assert_eq!(count(&MetadataMap::new(), "ab"), 2);
    let request = messages::Request { sku: "ab".to_owned() };
    assert_eq!(messages::count_message(&MetadataMap::new(), request), 2);
    let client = InventoryClient {
        address: "inventory:50051".to_owned(),
    };
    block_on(client.reserve(Request::new("sku".to_owned()))).expect("reserved");
    release_at(
        &Target {
            address: &client.address,
        },
        Request::new(1),
    )
    .expect("released");
    restock(Request::new(1)).expect("restocked");
    restock_by_name(Request::new(1)).expect("restocked");
    restock_at_an_address(Request::new(1)).expect("restocked");
    restock_by_socket(Request::new(1)).expect("restocked");
    restock_at_a_host_named_dns(Request::new(1)).expect("restocked");
    let _ = count_remote(&Context::current(), &mut MetadataMap::new());
    let request = http::Request::get("/users/7/files/a/b").body(()).unwrap();
    assert_eq!(get_file(&request, 7).into_body(), "7");
    let request = http::Request::get("/users").body(()).unwrap();
    assert_eq!(block_on(list_users(request)), http::StatusCode::OK);
    let _ = block_on(fetch_user(&mut http::HeaderMap::new(), 7));
    let request = http::Request::post("http://users:8080/users").body(()).unwrap();
    assert_eq!(send(request), http::StatusCode::NO_CONTENT);
    let request = http::Request::get("/orders/7/lines/12/v2/x").body(()).unwrap();
    assert_eq!(get_line(&request), http::StatusCode::OK);
    let request = http::Request::get("http://users/users?id=7").body(()).unwrap();
    assert_eq!(find_user(request), http::StatusCode::OK);
    let request = http::Request::get("/users/7/items/9/{raw}").body(()).unwrap();
    assert_eq!(get_item(&request), http::StatusCode::OK);
    let request = http::Request::get("/static/v2/css/site.css").body(()).unwrap();
    assert_eq!(get_static(&request), http::StatusCode::OK);
    let _ = publish(HashMap::new(), "orders");
    messaging();
}

/// Message headers of both kinds, every messaging operation.
type Headers = HashMap<String, String>;

#[otel_traced::traced_rpc(messaging, create, system = "kafka", destination = "orders", server = "kafka-1:9092, SASL_SSL://kafka-2:9092", carrier = headers)]
fn create_message(body: &str, headers: Headers) -> (Headers, String) {
    (headers, body.to_owned())
}

#[otel_traced::traced_rpc(messaging, send, system = "kafka", destination = "orders", carrier = headers)]
async fn send_message(headers: &mut Vec<(String, Vec<u8>)>, body: &str) -> usize {
    headers.len() + body.len()
}

#[otel_traced::traced_rpc(messaging, receive, system = "aws_sqs", server = "sqs.us-east-1.amazonaws.com")]
fn receive_messages(batch: u32) -> Vec<Headers> {
    vec![Headers::new(); batch as usize]
}

#[otel_traced::traced_rpc(messaging, process, system = "rabbitmq", destination = "print jobs", server = "amqps://guest:pa,ss@[::1]:/print", carrier = headers)]
async fn process_message(headers: Headers) -> Result<(), std::io::Error> {
    drop(headers);
    Ok(())
}

#[otel_traced::traced_rpc(messaging, settle, system = "kafka", destination = "orders", carrier = headers)]
fn settle_message(headers: &Headers) {}

#[otel_traced::traced_rpc(messaging, send, system = "kafka", destination = "orders", batch = batch)]
async fn send_batch(mut batch: Vec<Headers>) -> usize {
    batch.drain(..).count()
}

#[otel_traced::traced_rpc(messaging, send, system = "kafka", destination = "orders", batch = batch)]
fn send_boxed(batch: Box<[Headers]>) -> usize {
    batch.len()
}

#[otel_traced::traced_rpc(messaging, receive, system = "kafka", destination = "orders", batch = batch)]
fn receive_batch(batch: &[Headers]) -> usize {
    batch.len()
}

#[otel_traced::traced_rpc(messaging, process, system = "kafka", destination = "orders", batch = batch, root)]
fn process_array(batch: [Headers; 2]) -> usize {
    batch.len()
}

#[otel_traced::traced_rpc(messaging, settle, system = "kafka", destination = "orders", batch = batch)]
fn settle_batch(batch: &mut Vec<Headers>) {
    batch.clear();
}

struct Worker;

impl Worker {
    #[otel_traced::traced_rpc(messaging, process, system = "kafka", destination = "orders", batch = batch, parent = context)]
    async fn process_raw(&self, context: &Context, batch: &[Vec<(String, Vec<u8>)>]) -> usize {
        batch.len()
    }

    #[otel_traced::traced_rpc(messaging, receive, system = "kafka", destination = "orders", batch = return)]
    async fn receive_returned(&self, most: usize) -> Result<Vec<Headers>, std::io::Error> {
        Ok(vec![Headers::new(); most])
    }
}

fn messaging() {
    let (headers, body) = create_message("one lamp", Headers::new());
    let mut raw = vec![];
    block_on(send_message(&mut raw, &body));
    receive_messages(1);
    block_on(process_message(headers.clone())).unwrap();
    settle_message(&headers);
    let mut batch = vec![headers.clone(), Headers::new()];
    assert_eq!(receive_batch(&batch), 2);
    assert_eq!(process_array([headers.clone(), Headers::new()]), 2);
    settle_batch(&mut batch);
    assert_eq!(send_boxed(vec![headers.clone()].into_boxed_slice()), 1);
    assert_eq!(block_on(send_batch(vec![headers])), 1);
    let processed = block_on(Worker.process_raw(&Context::current(), &[raw]));
    assert_eq!(processed, 1);
    assert_eq!(block_on(Worker.receive_returned(2)).unwrap().len(), 2);
}
