//! The build script of the `examples` and `tests` packages (both name it with
//! `build = "../proto/build.rs"`): compiles `proto/shop.proto` into the messages, the client
//! and the server of `shop.v1`, in `$OUT_DIR/shop.v1.rs`.
//!
//! protox parses the file in Rust, so no `protoc` is needed (nor used: the `PROTOC`
//! environment variable is never read).

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../proto");
    let proto = proto_dir.join("shop.proto");
    println!("cargo:rerun-if-changed={}", proto.display());

    let descriptors = protox::compile([&proto], [&proto_dir])?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(descriptors)?;
    Ok(())
}
