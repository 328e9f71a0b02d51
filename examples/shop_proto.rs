//! The `shop.v1` gRPC service of `proto/shop.proto`: its messages, the `Inventory` client
//! and server, generated at build time without `protoc` (see `proto/build.rs`).
//!
//! An example includes it with `mod shop_proto;`.

// Generated code: an undocumented addition to the proto must not fail the lint gate.
// (Unused parts raise no dead_code warning: the generated impls use every item.)
#![allow(missing_docs)]

tonic::include_proto!("shop.v1");
