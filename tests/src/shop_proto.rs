//! The `shop.v1` gRPC service of `proto/shop.proto`: its messages, the `Inventory` client
//! and server, generated at build time without `protoc` (see `proto/build.rs`).

// Generated code: an undocumented addition to the proto must not fail the lint gate.
#![allow(missing_docs)]

tonic::include_proto!("shop.v1");
